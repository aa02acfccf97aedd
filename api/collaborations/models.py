from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import JSON, BigInteger, Column, UniqueConstraint, and_, case
from sqlalchemy import true as sa_true
from sqlmodel import Field as DBField
from sqlmodel import SQLModel

from api.creators.models import Money
from api.idempotency import utcnow
from api.offers.models import OfferPublic

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
Action = Literal["fund", "deliver", "approve", "release", "refund", "dispute", "resolve"]


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
    created_at: datetime = DBField(default_factory=utcnow)
    updated_at: datetime = DBField(default_factory=utcnow)


def deal_expired(collaboration: Collaboration, now: datetime) -> bool:
    """A drafted deal past the creator's signature expiry: the escrow refuses to fund it."""
    return collaboration.status == "drafted" and collaboration.signature_expiry < int(
        now.timestamp()
    )


def effective_status(collaboration: Collaboration, now: datetime | None = None) -> str:
    """What the status is now: a stored `drafted` past the signature expiry reads `expired`."""
    return "expired" if deal_expired(collaboration, now or utcnow()) else collaboration.status


def effective_status_sql(now: datetime):
    """`effective_status` in SQL, for filters that must agree with what reads show."""
    return case(
        (
            and_(
                Collaboration.status == "drafted",
                Collaboration.signature_expiry < int(now.timestamp()),
            ),
            "expired",
        ),
        else_=Collaboration.status,
    )


class ChainEvent(SQLModel, table=True):
    """Every escrow event seen, once: (chain, tx hash, log index) is unique.

    `applied` says whether it changed the collaboration it names; when it did not fit (another
    escrow, other terms, a status it cannot follow) it is only recorded, and `note` says why.
    `status_before` is the collaboration's status when the event was applied, so a reorg can
    rebuild the collaboration from the events that remain.
    """

    __tablename__ = "chain_event"
    __table_args__ = (UniqueConstraint("chain_id", "tx_hash", "log_index"),)

    id: int | None = DBField(default=None, primary_key=True)
    chain_id: int = DBField(sa_type=BigInteger)
    address: str | None = DBField(default=None, max_length=42)
    block_number: int = DBField(sa_type=BigInteger, index=True)
    tx_hash: str = DBField(max_length=66)
    log_index: int
    name: str = DBField(max_length=40)
    deal_id: str | None = DBField(default=None, max_length=66, index=True)
    args: dict[str, Any] = DBField(sa_column=Column(JSON, nullable=False))
    applied: bool = DBField(default=True, sa_column_kwargs={"server_default": sa_true()})
    note: str | None = DBField(default=None, max_length=300)
    status_before: str | None = DBField(default=None, max_length=20)
    applied_at: datetime = DBField(default_factory=utcnow)


class Payout(SQLModel, table=True):
    """Money that reached (or was credited to) a wallet, from chain events."""

    __table_args__ = (UniqueConstraint("chain_id", "tx_hash", "log_index"),)

    id: int | None = DBField(default=None, primary_key=True)
    chain_id: int = DBField(sa_type=BigInteger)
    deal_id: str | None = DBField(default=None, max_length=66, index=True)
    wallet: str = DBField(max_length=42, index=True)
    token: str = DBField(max_length=42)
    amount: str = DBField(max_length=78)
    kind: str = DBField(max_length=20)
    block_number: int = DBField(sa_type=BigInteger)
    tx_hash: str = DBField(max_length=66)
    log_index: int
    created_at: datetime = DBField(default_factory=utcnow)


class IndexerCursor(SQLModel, table=True):
    __tablename__ = "indexer_cursor"

    name: str = DBField(primary_key=True, max_length=120)
    next_block: int = DBField(sa_type=BigInteger)
    updated_at: datetime = DBField(default_factory=utcnow)


class IndexerBlock(SQLModel, table=True):
    """Hash of a block an indexer scanned (the recent window): a reorg shows as a mismatch."""

    __tablename__ = "indexer_block"

    cursor: str = DBField(primary_key=True, max_length=120)
    number: int = DBField(primary_key=True, sa_type=BigInteger)
    hash: str = DBField(max_length=66)


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


class PayoutPublic(BaseModel):
    deal_id: str | None
    wallet: str
    token: str
    amount: str
    kind: Literal["paid", "credited", "withdrawn", "fee", "refund"]
    block_number: int
    tx_hash: str
    log_index: int


class CollaborationPublic(BaseModel):
    id: str
    offer_id: str
    request_id: str
    brand_id: str
    creator_id: str
    status: CollaborationStatus
    chain_id: int
    escrow_address: str
    deal_id: str
    price: Money
    platform_fee_bps: int
    deliver_by: datetime
    review_period_seconds: int
    terms_hash: str
    terms_text: str
    is_virtual: bool
    payees: list[PayeePublic]
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
