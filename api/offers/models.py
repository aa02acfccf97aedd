from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import JSON, Column
from sqlmodel import Field as DBField
from sqlmodel import SQLModel

from api.creators.models import Money
from api.idempotency import utcnow
from api.types import Amount, Token

OfferStatus = Literal["sent", "screened_out", "declined", "accepted", "expired"]
MIN_REVIEW_SECONDS = 60
MAX_REVIEW_SECONDS = 30 * 24 * 3600


class Offer(SQLModel, table=True):
    id: str = DBField(primary_key=True, max_length=40)
    request_id: str = DBField(foreign_key="collab_request.id", index=True, max_length=40)
    brand_id: str = DBField(foreign_key="brand.id", index=True, max_length=40)
    creator_id: str = DBField(foreign_key="creator.id", index=True, max_length=40)
    amount: str = DBField(max_length=78)
    token: str = DBField(max_length=42)
    deliver_by: datetime
    review_period_seconds: int
    platform_fee_bps: int
    # bytes32 deal id for the escrow, fixed when the offer is made so every signature binds it.
    deal_id: str = DBField(max_length=66, unique=True)
    brand_terms: str = DBField(max_length=10_000)
    terms_text: str = DBField(max_length=20_000)
    status: str = DBField(default="sent", max_length=20, index=True)
    screening: dict[str, Any] = DBField(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    decline_reason: str | None = DBField(default=None, max_length=1000)
    expires_at: datetime
    created_at: datetime = DBField(default_factory=utcnow)
    updated_at: datetime = DBField(default_factory=utcnow)


class OfferCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    creator_id: str = Field(min_length=1, max_length=40)
    amount: Amount
    token: Token | None = Field(default=None, description="omitted = the request's budget token")
    deliver_by: AwareDatetime
    review_period_seconds: int = Field(
        default=3 * 24 * 3600, ge=MIN_REVIEW_SECONDS, le=MAX_REVIEW_SECONDS
    )
    terms: str = Field(default="", max_length=10_000, description="the brand's own terms")

    @field_validator("deliver_by")
    @classmethod
    def _future(cls, value: datetime) -> datetime:
        if value <= datetime.now(UTC):
            raise ValueError("must be in the future")
        return value


class OfferDecline(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=1000)


class Screening(BaseModel):
    alignment: float | None = None
    threshold: float | None = None
    reasons: list[dict[str, Any]] = Field(default_factory=list)


class OfferPublic(BaseModel):
    id: str
    request_id: str
    brand_id: str
    creator_id: str
    price: Money
    deliver_by: datetime
    review_period_seconds: int
    platform_fee_bps: int
    deal_id: str
    terms_text: str
    status: OfferStatus
    screening: Screening
    decline_reason: str | None
    expires_at: datetime
    created_at: datetime
    updated_at: datetime
