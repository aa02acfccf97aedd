"""Money that reached (or was credited to) a wallet, as the indexer read it from chain events."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import BigInteger, UniqueConstraint
from sqlmodel import Field as DBField
from sqlmodel import SQLModel

from api.kit.time import utcnow


class Payout(SQLModel, table=True):
    """Money that reached (or was credited to) a wallet, from chain events."""

    __table_args__ = (UniqueConstraint("chain_id", "tx_hash", "log_index"),)

    id: int | None = DBField(default=None, primary_key=True)
    chain_id: int = DBField(sa_type=BigInteger)
    deal_id: str | None = DBField(default=None, max_length=66, index=True)
    # The deal's milestone whose payment, refund or resolution this is (None: a withdrawal, a
    # splitter's payout).
    milestone: int | None = None
    wallet: str = DBField(max_length=42, index=True)
    token: str = DBField(max_length=42)
    amount: str = DBField(max_length=78)
    kind: str = DBField(max_length=20)
    # Who paid: the escrow (a deal) or a revenue splitter (its address in `splitter`).
    source: str = DBField(
        default="escrow", max_length=20, sa_column_kwargs={"server_default": "escrow"}
    )
    splitter: str | None = DBField(default=None, max_length=42, index=True)
    block_number: int = DBField(sa_type=BigInteger)
    tx_hash: str = DBField(max_length=66)
    log_index: int
    created_at: datetime = DBField(default_factory=utcnow)


class PayoutPublic(BaseModel):
    deal_id: str | None
    milestone: int | None = Field(
        default=None, description="the deal's milestone this paid, refunded or split"
    )
    wallet: str
    token: str
    amount: str
    kind: Literal["paid", "credited", "withdrawn", "fee", "refund"]
    source: Literal["escrow", "splitter"] = Field(
        description="escrow: a deal (deal_id); splitter: a revenue split (splitter address)"
    )
    splitter: str | None = None
    block_number: int
    tx_hash: str
    log_index: int

    @classmethod
    def of(cls, row: Payout) -> PayoutPublic:
        return cls(
            deal_id=row.deal_id,
            milestone=row.milestone,
            wallet=row.wallet,
            token=row.token,
            amount=row.amount,
            kind=row.kind,
            source=row.source,
            splitter=row.splitter,
            block_number=row.block_number,
            tx_hash=row.tx_hash,
            log_index=row.log_index,
        )
