"""Money that reached (or was credited to) a wallet, as the indexer read it from chain events."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel
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
    wallet: str = DBField(max_length=42, index=True)
    token: str = DBField(max_length=42)
    amount: str = DBField(max_length=78)
    kind: str = DBField(max_length=20)
    block_number: int = DBField(sa_type=BigInteger)
    tx_hash: str = DBField(max_length=66)
    log_index: int
    created_at: datetime = DBField(default_factory=utcnow)


class PayoutPublic(BaseModel):
    deal_id: str | None
    wallet: str
    token: str
    amount: str
    kind: Literal["paid", "credited", "withdrawn", "fee", "refund"]
    block_number: int
    tx_hash: str
    log_index: int

    @classmethod
    def of(cls, row: Payout) -> PayoutPublic:
        return cls(
            deal_id=row.deal_id,
            wallet=row.wallet,
            token=row.token,
            amount=row.amount,
            kind=row.kind,
            block_number=row.block_number,
            tx_hash=row.tx_hash,
            log_index=row.log_index,
        )
