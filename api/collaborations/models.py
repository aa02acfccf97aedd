from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import JSON, BigInteger, Column, and_, bindparam, case
from sqlmodel import Field as DBField
from sqlmodel import SQLModel

from api.kit.time import utcnow
from api.kit.types import Money
from api.offers.models import OfferPublic, RevenueSharePublic
from api.payouts.models import PayoutPublic

CollaborationStatus = Literal[
    "drafted",
    "expired",
    "cancelled",
    "funded",
    "delivered",
    "released",
    "refunded",
    "disputed",
    "resolved",
]
# Nothing escrowed yet. `expired` (the creator's signature expired before funding) and
# `cancelled` (by the brand) are off-chain decisions; a DealCreated from the chain still wins.
UNFUNDED = ("drafted", "expired", "cancelled")
# A milestone moves as a one-milestone deal does; before funding it shows the deal's status.
MilestoneStatus = CollaborationStatus
# A milestone still waiting for someone, in the order the overall status reports them: a
# dispute first (it needs the arbiter or the rule), then a delivery to review, then work due.
OPEN_MILESTONE_STATUSES = ("disputed", "delivered", "funded")
Action = Literal[
    "fund", "deliver", "approve", "release", "refund", "dispute", "resolve", "apply_rule"
]


class Collaboration(SQLModel, table=True):
    id: str = DBField(primary_key=True, max_length=40)
    offer_id: str = DBField(foreign_key="offer.id", unique=True, max_length=40)
    request_id: str = DBField(foreign_key="collab_request.id", index=True, max_length=40)
    brand_id: str = DBField(foreign_key="brand.id", index=True, max_length=40)
    creator_id: str = DBField(foreign_key="creator.id", index=True, max_length=40)
    chain_id: int = DBField(sa_type=BigInteger)
    escrow_address: str = DBField(max_length=42)
    deal_id: str = DBField(max_length=66, unique=True)
    brand_wallet: str = DBField(max_length=42)
    creator_wallet: str = DBField(max_length=42)
    token: str = DBField(max_length=42)
    amount: str = DBField(max_length=78)
    platform_fee_bps: int
    deliver_by: int = DBField(sa_type=BigInteger)
    review_period_seconds: int = DBField(sa_type=BigInteger)
    terms_hash: str = DBField(max_length=66)
    is_virtual: bool
    signature_expiry: int = DBField(sa_type=BigInteger)
    creator_signature: str = DBField(max_length=2000)
    payees: list[dict[str, Any]] = DBField(sa_column=Column(JSON, nullable=False))
    status: str = DBField(default="drafted", max_length=20, index=True)
    deliverable_hash: str | None = DBField(default=None, max_length=66)
    delivered_at: int | None = DBField(default=None, sa_type=BigInteger)
    transactions: dict[str, str] = DBField(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    resolution: dict[str, Any] | None = DBField(default=None, sa_column=Column(JSON, nullable=True))
    # One entry per milestone of the signed terms, in order: {label, amount, deliver_by, status,
    # deliverable_hash, delivered_at, transactions, resolution}; the indexer moves them. The
    # columns above (status aside, which `overall_status` derives) are the latest event's.
    milestones: list[dict[str, Any]] = DBField(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    created_at: datetime = DBField(default_factory=utcnow)
    updated_at: datetime = DBField(default_factory=utcnow)


def new_milestone(*, label: str | None, amount: int, deliver_by: int) -> dict[str, Any]:
    """A milestone of a collaboration not funded yet."""
    return {
        "label": label,
        "amount": str(amount),
        "deliver_by": deliver_by,
        "status": "drafted",
        "deliverable_hash": None,
        "delivered_at": None,
        "transactions": {},
        "resolution": None,
    }


def overall_status(milestones: list[dict[str, Any]]) -> str:
    """A funded collaboration's status from its milestones': the first open one in
    OPEN_MILESTONE_STATUSES order (disputed, then delivered, then funded); once every milestone
    is closed, `released` if any was paid on delivery, else `resolved` if any was split, else
    `refunded`. One milestone: its own status, as a deal was before milestones."""
    statuses = {m["status"] for m in milestones}
    for status in (*OPEN_MILESTONE_STATUSES, "released", "resolved"):
        if status in statuses:
            return status
    return "refunded"


def deal_expired(collaboration: Collaboration, now: datetime) -> bool:
    """A drafted deal past the creator's signature expiry: the escrow refuses to fund it."""
    return collaboration.status == "drafted" and collaboration.signature_expiry < int(
        now.timestamp()
    )


def effective_status(collaboration: Collaboration, now: datetime | None = None) -> str:
    """What the status is now: a stored `drafted` past the signature expiry reads `expired`."""
    return "expired" if deal_expired(collaboration, now or utcnow()) else collaboration.status


# A statement built once cannot hold the time it runs at: it takes it as these parameters
# (values from `now_params`).
NOW = bindparam("now")
NOW_UNIX = bindparam("now_unix")


def now_params(now: datetime | None = None) -> dict:
    now = now or utcnow()
    return {"now": now, "now_unix": int(now.timestamp())}


def deal_expired_sql(now: datetime | None):
    """`deal_expired` as a SQL condition on the collaboration table (None: at `NOW_UNIX`)."""
    return and_(
        Collaboration.status == "drafted",
        Collaboration.signature_expiry < (NOW_UNIX if now is None else int(now.timestamp())),
    )


def effective_status_sql(now: datetime):
    """`effective_status` in SQL, for filters that must agree with what reads show."""
    return case((deal_expired_sql(now), "expired"), else_=Collaboration.status)


class AcceptBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    signature: str = Field(
        # Whole bytes only: 65 for an ECDSA signature, more for a contract wallet's (ERC-1271).
        pattern=r"^0x([0-9a-fA-F]{2}){65,995}$",
        description="the creator's EIP-712 signature of GET /v1/offers/{id}/typed-data",
    )


class PayeePublic(BaseModel):
    role: Literal["creator", "designer", "charity"]
    name: str
    wallet: str
    share_bps: int
    charity_id: str | None = Field(default=None, description="charities: its registry entry")
    verified: bool | None = Field(
        default=None,
        description="charities: verified by the operator; false means the creator accepted it "
        "unverified",
    )


class MilestoneStatePublic(BaseModel):
    index: int
    label: str | None = Field(description="None for a deal offered without milestones")
    amount: str = Field(description="its part of the price, in the token's smallest unit")
    deliver_by: datetime
    status: MilestoneStatus
    deliverable_hash: str | None
    delivered_at: datetime | None
    review_ends_at: datetime | None = Field(
        description="delivered: until then the brand may approve or dispute; after, anyone "
        "may release"
    )
    transactions: dict[str, str] = Field(description="action -> the transaction that took it")
    resolution: dict[str, Any] | None


class CollaborationPublic(BaseModel):
    id: str
    offer_id: str
    request_id: str
    brand_id: str
    creator_id: str
    status: CollaborationStatus = Field(
        description="before funding, drafted, expired or cancelled; after, derived from the "
        "milestones': the first of disputed, delivered, funded that one of them is in; when "
        "all are closed, released if any was released, else resolved if any was resolved, "
        "else refunded (with one milestone, its status)"
    )
    chain_id: int
    escrow_address: str
    deal_id: str
    price: Money
    platform_fee_bps: int
    deliver_by: datetime = Field(description="the last milestone's deliver-by")
    milestones: list[MilestoneStatePublic]
    review_period_seconds: int
    terms_hash: str
    terms_text: str
    is_virtual: bool
    payees: list[PayeePublic]
    revenue_share: RevenueSharePublic | None = Field(
        default=None, description="the ongoing revenue share its signed contract records"
    )
    deliverable_hash: str | None
    delivered_at: datetime | None
    transactions: dict[str, str]
    resolution: dict[str, Any] | None
    payouts: list[PayoutPublic]
    created_at: datetime
    updated_at: datetime


class UnsignedTransaction(BaseModel):
    to: str
    data: str
    value: str
    chain_id: int
    from_: str | None = Field(default=None, alias="from", serialization_alias="from")
    gas: str | None = None

    @classmethod
    def of(cls, tx: dict, sender: str | None = None, gas: int | None = None) -> UnsignedTransaction:
        """A wrapper's unsigned transaction (``bindings.UnsignedTx``) as the API shows it."""
        return cls(
            to=tx["to"],
            data=tx["data"],
            value=str(int(tx.get("value", 0))),
            chain_id=int(tx["chainId"]),
            **{"from": sender},
            gas=str(gas) if gas is not None else None,
        )

    def for_signing(self) -> dict:
        """In the shape a wallet (here `bindings.send`) signs: integers, EIP-155 chainId."""
        return {
            "to": self.to,
            "data": self.data,
            "value": int(self.value),
            "chainId": self.chain_id,
        }


class TransactionPublic(BaseModel):
    action: Action
    collaboration_id: str
    transaction: UnsignedTransaction
    requires: list[UnsignedTransaction] = Field(
        default_factory=list, description="send these first (e.g. an ERC-20 approval)"
    )
    note: str | None = None


class AcceptResult(BaseModel):
    offer: OfferPublic
    collaboration: CollaborationPublic
