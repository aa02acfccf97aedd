from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field as DBField
from sqlmodel import SQLModel

from api.kit.time import utcnow
from api.kit.types import Amount, FutureDatetime, Money, StrictInt, Token
from api.legal.models import UsageRights
from api.requests.models import Deliverable

OfferStatus = Literal[
    "sent", "countered", "screened_out", "declined", "accepted", "expired", "cancelled"
]
# An offer is open while it is sent, countered or accepted: at most one per creator and request,
# held by a partial unique index (a screened-out, declined, expired or cancelled offer does not
# count).
OPEN_OFFER_STATUSES = ("sent", "countered", "accepted")
OPEN_OFFER_WHERE = text("status IN ('sent', 'countered', 'accepted')")
# Whose turn it is: on a `sent` offer the creator answers (accept, decline, counter), on a
# `countered` one the brand does. Both are negotiating statuses, with an expiry.
NEGOTIATING = ("sent", "countered")
Party = Literal["brand", "creator"]
MIN_REVIEW_SECONDS = 60
MAX_REVIEW_SECONDS = 30 * 24 * 3600
# The escrow's own cap (CollabEscrow.MAX_MILESTONES): more would not fund.
MAX_MILESTONES = 16


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
        # GET /v1/offers: one account's offers in id order, a page without sorting them all.
        Index("ix_offer_brand_id_id", "brand_id", "id"),
        Index("ix_offer_creator_id_id", "creator_id", "id"),
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
    # The terms columns (amount to deal_id, terms_text, expires_at) are those of the current
    # version, copied when a counter makes a new one; `OfferVersion` keeps every version.
    # bytes32 salt of the escrow deal, fresh for each version so every signature binds one.
    deal_id: str = DBField(max_length=66, unique=True)
    brand_terms: str = DBField(max_length=10_000)
    terms_text: str = DBField(max_length=20_000)
    status: str = DBField(default="sent", max_length=20, index=True)
    screening: dict[str, Any] = DBField(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    decline_reason: str | None = DBField(default=None, max_length=1000)
    expires_at: datetime
    current_version: int = DBField(default=1)
    # The current version's milestones ({label, amount, deliver_by} with deliver_by in unix
    # seconds), or None: one milestone of the whole amount due at `deliver_by`.
    milestones: list[dict[str, Any]] | None = DBField(
        default=None, sa_column=Column(JSON, nullable=True)
    )
    created_at: datetime = DBField(default_factory=utcnow)
    updated_at: datetime = DBField(default_factory=utcnow)


class OfferVersion(SQLModel, table=True):
    """One version of an offer's terms: the brand's offer is version 1, each counter the next.
    Its terms never change. The signature columns are written once: the creator's (and the
    EIP-712 message it signed, with the payees) when it signs, the brand's when it accepts a
    creator's counter by signing the same message."""

    __tablename__ = "offer_version"
    __table_args__ = (UniqueConstraint("offer_id", "number"),)

    id: str = DBField(primary_key=True, max_length=40)
    offer_id: str = DBField(foreign_key="offer.id", index=True, max_length=40)
    number: int
    proposed_by: str = DBField(max_length=20)
    amount: str = DBField(max_length=78)
    token: str = DBField(max_length=42)
    deliverables: list[dict[str, Any]] = DBField(sa_column=Column(JSON, nullable=False))
    deliver_by: datetime
    review_period_seconds: int
    platform_fee_bps: int
    usage_rights: dict[str, Any] | None = DBField(
        default=None, sa_column=Column(JSON, nullable=True)
    )
    brand_terms: str = DBField(max_length=10_000)
    # The brand's commitment to send part of an ongoing revenue to a split (split_id, splitter,
    # share_bps, revenue): a clause of the contract whose hash is signed.
    revenue_share: dict[str, Any] | None = DBField(
        default=None, sa_column=Column(JSON, nullable=True)
    )
    note: str | None = DBField(default=None, max_length=1000)
    milestones: list[dict[str, Any]] | None = DBField(
        default=None, sa_column=Column(JSON, nullable=True)
    )
    salt: str = DBField(max_length=66, unique=True)
    terms_text: str = DBField(sa_column=Column(Text, nullable=False))
    terms_hash: str = DBField(max_length=66)
    expires_at: datetime
    created_at: datetime = DBField(default_factory=utcnow)
    creator_signature: str | None = DBField(default=None, max_length=2000)
    signed_message: dict[str, Any] | None = DBField(
        default=None, sa_column=Column(JSON, nullable=True)
    )
    payees: list[dict[str, Any]] | None = DBField(
        default=None, sa_column=Column(JSON, nullable=True)
    )
    deal_id: str | None = DBField(default=None, max_length=66)
    creator_signed_at: datetime | None = None
    brand_signature: str | None = DBField(default=None, max_length=2000)
    brand_signed_at: datetime | None = None


class MilestoneCreate(BaseModel):
    """One part of the deal: what is delivered, what it pays, when it is due."""

    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1, max_length=200, examples=["2 reels"])
    amount: Amount
    deliver_by: FutureDatetime


MILESTONES_DESCRIPTION = (
    f"1 to {MAX_MILESTONES} milestones, in order: each delivered, approved, released, refunded "
    "or disputed on its own. Their amounts sum to `amount`; each deliver_by is in the future, "
    "within a year and not before the previous one's; `deliver_by` is the last one's. Omitted: "
    "one milestone of the whole amount due at `deliver_by`."
)


class MilestonePublic(BaseModel):
    index: int
    label: str | None = Field(description="None for an offer made without milestones")
    amount: str
    deliver_by: datetime


class CounterCreate(BaseModel):
    """New terms for the other party to answer. An omitted field keeps the current version's."""

    model_config = ConfigDict(extra="forbid")

    amount: Amount | None = None
    deliverables: list[Deliverable] | None = Field(default=None, min_length=1, max_length=20)
    deliver_by: FutureDatetime | None = None
    milestones: list[MilestoneCreate] | None = Field(
        default=None, min_length=1, max_length=MAX_MILESTONES, description=MILESTONES_DESCRIPTION
    )
    usage_rights: UsageRights | None = None
    note: str | None = Field(
        default=None, max_length=1000, description="a message to the other party"
    )


class SignatureBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    signature: str = Field(
        # Whole bytes only: 65 for an ECDSA signature, more for a contract wallet's (ERC-1271).
        pattern=r"^0x([0-9a-fA-F]{2}){65,995}$",
        description="an EIP-712 signature (eth_signTypedData_v4) of GET /v1/offers/{id}/typed-data",
    )


class RevenueShare(BaseModel):
    """Part of the collaboration's ongoing revenue (e.g. a co-branded collection's sales) that
    the brand commits, in the signed contract, to send to a revenue split (/v1/splits)."""

    model_config = ConfigDict(extra="forbid")

    split_id: str = Field(min_length=1, max_length=40)
    share_bps: StrictInt = Field(ge=1, le=10_000, description="of that revenue, in basis points")
    revenue: str = Field(
        default="ventes de la collection / collection sales",
        min_length=1,
        max_length=200,
        description="what revenue is shared, as the contract names it",
    )


class RevenueSharePublic(RevenueShare):
    splitter: str = Field(description="the split's address: where the brand sends that share")


class OfferVersionPublic(BaseModel):
    number: int
    proposed_by: Party
    price: Money
    deliverables: list[dict[str, Any]]
    deliver_by: datetime
    milestones: list[MilestonePublic]
    review_period_seconds: int
    usage_rights: UsageRights | None
    note: str | None
    revenue_share: RevenueSharePublic | None = None
    salt: str
    terms_text: str
    terms_hash: str
    expires_at: datetime
    created_at: datetime
    deal_id: str | None = Field(description="the escrow's deal id, once the creator has signed")
    signed_message: dict[str, Any] | None = Field(
        description="the EIP-712 DealTerms message the creator signed"
    )
    creator_signed_at: datetime | None
    brand_signed_at: datetime | None


class OfferCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    creator_id: str = Field(min_length=1, max_length=40)
    amount: Amount
    token: Token | None = Field(default=None, description="omitted = the request's budget token")
    deliver_by: FutureDatetime | None = Field(
        default=None, description="required without milestones; with them, the last one's"
    )
    milestones: list[MilestoneCreate] | None = Field(
        default=None, min_length=1, max_length=MAX_MILESTONES, description=MILESTONES_DESCRIPTION
    )
    review_period_seconds: StrictInt = Field(
        default=3 * 24 * 3600, ge=MIN_REVIEW_SECONDS, le=MAX_REVIEW_SECONDS
    )
    terms: str = Field(default="", max_length=10_000, description="the brand's own terms")
    usage_rights: UsageRights | None = Field(
        default=None, description="the brand's use of the content besides its publication"
    )
    revenue_share: RevenueShare | None = Field(
        default=None,
        description="an ongoing revenue share the contract records: this part of the revenue "
        "named goes to a declared split that pays the creator (e.g. a co-branded collection)",
    )


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
    milestones: list[MilestonePublic]
    review_period_seconds: int
    platform_fee_bps: int
    deal_id: str
    terms_text: str
    deliverables: list[dict[str, Any]]
    usage_rights: UsageRights | None
    revenue_share: RevenueSharePublic | None = None
    status: OfferStatus
    screening: Screening
    decline_reason: str | None
    expires_at: datetime
    current_version: int
    versions: list[OfferVersionPublic] = Field(
        description="every version of the terms, oldest first; the last is the current one"
    )
    created_at: datetime
    updated_at: datetime
