"""Tables the indexer owns: every escrow event seen, its cursor, and recent block hashes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, UniqueConstraint
from sqlalchemy import true as sa_true
from sqlmodel import Field as DBField
from sqlmodel import SQLModel

from api.kit.time import utcnow


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
