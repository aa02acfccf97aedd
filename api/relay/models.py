"""Creator actions a relayer sent for the creator (who then needs no ETH): one row per action,
which is also the per-creator budget and rate limit's ledger."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import UniqueConstraint
from sqlmodel import Field as DBField
from sqlmodel import SQLModel

from api.kit.time import utcnow
from api.kit.types import StrictInt
from api.offers.models import MAX_MILESTONES

RelayAction = Literal["deliver"]


class RelayedAction(SQLModel, table=True):
    """A relayed transaction. Unique per collaboration, action and milestone: of two requests
    relaying the same delivery at once, one sends it and the other gets 409."""

    __tablename__ = "relayed_action"
    __table_args__ = (UniqueConstraint("collaboration_id", "action", "milestone"),)

    id: int | None = DBField(default=None, primary_key=True)
    collaboration_id: str = DBField(max_length=40, foreign_key="collaboration.id")
    creator_id: str = DBField(max_length=40, index=True)
    action: str = DBField(max_length=20)
    milestone: int = DBField(default=0, sa_column_kwargs={"server_default": "0"})
    relayer: str = DBField(max_length=42)
    tx_hash: str | None = DBField(default=None, max_length=66)
    created_at: datetime = DBField(default_factory=utcnow, index=True)


class RelayBody(BaseModel):
    action: RelayAction = "deliver"
    milestone: StrictInt = Field(
        default=0,
        ge=0,
        lt=MAX_MILESTONES,
        description="the milestone delivered (its index in `milestones`)",
    )
    deliverable: str = Field(min_length=1, max_length=2000, description="the delivered work")
    deadline: int = Field(ge=0, lt=2**64, description="the signed message's deadline")
    signature: str = Field(min_length=1, max_length=300, description="the creator's signature")


class RelayResult(BaseModel):
    collaboration_id: str
    action: RelayAction
    milestone: int
    relayer: str
    tx_hash: str
    gas_used: int


class WithdrawBody(BaseModel):
    """A credited wallet's signed `Withdraw` (GET .../credits/withdrawal gives what to sign)."""

    token: str = Field(min_length=1, max_length=42, description='"ETH" or the token address')
    to: str = Field(min_length=1, max_length=42, description="where the credit goes")
    nonce: int = Field(ge=0, lt=2**256, description="the signed message's nonce")
    deadline: int = Field(ge=0, lt=2**64, description="the signed message's deadline")
    signature: str = Field(min_length=1, max_length=300, description="the wallet's signature")


class WithdrawResult(BaseModel):
    wallet: str
    token: str
    to: str
    amount: str = Field(description="the credit withdrawn, in the token's smallest unit")
    collaboration_id: str = Field(description="the deal whose creator's relay budget paid it")
    relayer: str
    tx_hash: str
    gas_used: int
