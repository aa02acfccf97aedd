from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import JSON, Column, Index, text
from sqlmodel import Field as DBField
from sqlmodel import SQLModel

from api.kit.time import utcnow
from api.kit.types import Amount, FutureDatetime, Money, StrictInt, Token

OfferStatus = Literal["sent", "screened_out", "declined", "accepted", "expired", "cancelled"]
# An offer is open while it is sent or accepted: at most one per creator and request, held by a
# partial unique index (a screened-out, declined, expired or cancelled offer does not count).
OPEN_OFFER_STATUSES = ("sent", "accepted")
OPEN_OFFER_WHERE = text("status IN ('sent', 'accepted')")
MIN_REVIEW_SECONDS = 60
MAX_REVIEW_SECONDS = 30 * 24 * 3600


class Offer(SQLModel, table=True):
    __table_args__ = (
        Index(
            "uq_offer_open_request_creator",
            "request_id",
            "creator_id",
            unique=True,
            sqlite_where=OPEN_OFFER_WHERE,
            postgresql_where=OPEN_OFFER_WHERE,
        ),
    )

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
    deliver_by: FutureDatetime
    review_period_seconds: StrictInt = Field(
        default=3 * 24 * 3600, ge=MIN_REVIEW_SECONDS, le=MAX_REVIEW_SECONDS
    )
    terms: str = Field(default="", max_length=10_000, description="the brand's own terms")


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
