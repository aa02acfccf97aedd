"""How a disputed milestone ends through the platform: each party's signed proposal of a split,
and the one relayed transaction that ends the dispute (a mutual settlement or the terms' rule)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import BigInteger, UniqueConstraint
from sqlmodel import Field as DBField
from sqlmodel import SQLModel

from api.kit.time import utcnow

Party = Literal["brand", "creator"]
EndedBy = Literal["settlement", "dispute_rule"]
BPS = 10_000


class Settlement(SQLModel, table=True):
    """One row per disputed milestone. Requests that change it first take it for themselves
    (insert if absent, then lock it), so of two posts of the last signature (or a settlement
    racing the dispute rule) one sends the transaction and the other finds `tx_hash` set."""

    __tablename__ = "settlement"
    __table_args__ = (UniqueConstraint("collaboration_id", "milestone"),)

    id: int | None = DBField(default=None, primary_key=True)
    collaboration_id: str = DBField(max_length=40, foreign_key="collaboration.id")
    milestone: int = DBField(default=0)
    # The Settlement's deadline both parties sign: when the dispute rule starts to apply.
    deadline: int | None = DBField(default=None, sa_type=BigInteger)
    brand_share_bps: int | None = None
    brand_signature: str | None = DBField(default=None, max_length=132)
    brand_signed_at: datetime | None = None
    creator_share_bps: int | None = None
    creator_signature: str | None = DBField(default=None, max_length=132)
    creator_signed_at: datetime | None = None
    ended_by: str | None = DBField(default=None, max_length=20)
    payee_share_bps: int | None = None
    relayer: str | None = DBField(default=None, max_length=42)
    tx_hash: str | None = DBField(default=None, max_length=66)
    created_at: datetime = DBField(default_factory=utcnow)
    updated_at: datetime = DBField(default_factory=utcnow)


class SettlementBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payee_share_bps: int = Field(
        ge=0, le=BPS, description="what the payees get of the milestone, in basis points"
    )
    signature: str = Field(
        min_length=1,
        max_length=300,
        description="the brand's or the creator's EIP-712 signature of GET .../settlement",
    )
    milestone: int = Field(default=0, ge=0, lt=2**31, description="the milestone's index")


class ProposalPublic(BaseModel):
    payee_share_bps: int
    signed_at: datetime


class SettlementPublic(BaseModel):
    collaboration_id: str
    milestone: int
    deadline: int | None = Field(
        description="the Settlement's signed deadline (unix time): when the dispute rule applies"
    )
    brand: ProposalPublic | None = Field(description="the brand's signed proposal")
    creator: ProposalPublic | None = Field(description="the creator's signed proposal")
    status: Literal["open", "proposed", "ended"] = Field(
        description="open: nobody signed; proposed: one party signed, or both signed different "
        "splits; ended: the relayer sent the transaction that ends the dispute"
    )
    ended_by: EndedBy | None = None
    payee_share_bps: int | None = Field(default=None, description="the split that ended it")
    relayer: str | None = None
    tx_hash: str | None = None
    typed_data: dict[str, Any] | None = Field(
        default=None, description="with ?payee_share_bps=: the Settlement to sign"
    )

    @classmethod
    def of(
        cls, row: Settlement | None, *, collaboration_id: str, milestone: int
    ) -> SettlementPublic:
        if row is None:
            return cls(
                collaboration_id=collaboration_id,
                milestone=milestone,
                deadline=None,
                brand=None,
                creator=None,
                status="open",
            )

        def proposal(party: Party) -> ProposalPublic | None:
            share = getattr(row, f"{party}_share_bps")
            if share is None:
                return None
            return ProposalPublic(
                payee_share_bps=share, signed_at=getattr(row, f"{party}_signed_at")
            )

        brand, creator = proposal("brand"), proposal("creator")
        return cls(
            collaboration_id=row.collaboration_id,
            milestone=row.milestone,
            deadline=row.deadline,
            brand=brand,
            creator=creator,
            status="ended" if row.tx_hash else "proposed" if brand or creator else "open",
            ended_by=row.ended_by,
            payee_share_bps=row.payee_share_bps,
            relayer=row.relayer,
            tx_hash=row.tx_hash,
        )
