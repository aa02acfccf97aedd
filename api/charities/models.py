"""The charity registry: who a charity is, its wallets, and whether the operator checked it.

A charity a creator names in a split is either picked from this registry or given as a plain
address the creator explicitly accepts unverified (`accept_unverified`); brands see which.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator
from sqlalchemy import UniqueConstraint
from sqlmodel import Field as DBField
from sqlmodel import SQLModel

from api.kit.time import utcnow
from api.kit.types import Address, Country, StrictInt, TokenInfo

CharityStatus = Literal["unverified", "verified", "rejected"]
MAX_WALLETS = 8
TOTAL_BPS = 10_000


class Charity(SQLModel, table=True):
    # A registration number is unique within its country; a charity carried over from a plain
    # address (migration 0013) has neither yet.
    __table_args__ = (UniqueConstraint("country", "registration_number"),)

    id: str = DBField(primary_key=True, max_length=40)
    name: str = DBField(max_length=200)
    country: str | None = DBField(default=None, max_length=2)
    registration_number: str | None = DBField(default=None, max_length=64)
    website: str | None = DBField(default=None, max_length=300)
    status: str = DBField(default="unverified", max_length=20, index=True)
    status_note: str | None = DBField(default=None, max_length=1000)
    verified_at: datetime | None = None
    # Principal.ref of who proposed it ("brand:<id>"...), or "migration" for carried-over addresses
    registered_by: str = DBField(max_length=60)
    created_at: datetime = DBField(default_factory=utcnow)
    updated_at: datetime = DBField(default_factory=utcnow)


class CharityWallet(SQLModel, table=True):
    """A wallet belongs to one charity at most: the address is the key."""

    __tablename__ = "charity_wallet"

    address: str = DBField(primary_key=True, max_length=42)
    charity_id: str = DBField(foreign_key="charity.id", index=True, max_length=40)
    created_at: datetime = DBField(default_factory=utcnow)


class CharityCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=2, max_length=200)
    country: Country
    registration_number: str = Field(
        min_length=2,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9 ./-]*$",
        description="the charity's official number in its country (e.g. RNA W751234567, SIREN)",
    )
    website: str | None = Field(default=None, max_length=300, pattern=r"^https://[^\s]+$")
    wallets: list[Address] = Field(min_length=1, max_length=MAX_WALLETS)

    @model_validator(mode="after")
    def _distinct(self) -> CharityCreate:
        if len(set(self.wallets)) != len(self.wallets):
            raise ValueError("each wallet once")
        return self


class CharityVerification(BaseModel):
    """The operator's decision after checking the charity (registry, website, wallet proof)."""

    model_config = ConfigDict(extra="forbid")

    status: CharityStatus
    note: str | None = Field(default=None, max_length=1000)


class CharityPick(BaseModel):
    """A charity in a creator's split: from the registry (`charity_id`), or a plain wallet with
    a name, which must be accepted unverified unless it is a verified registry wallet."""

    model_config = ConfigDict(extra="forbid")

    charity_id: str | None = Field(default=None, min_length=1, max_length=40)
    name: str | None = Field(default=None, min_length=1, max_length=120)
    wallet: Address | None = Field(
        default=None, description="with charity_id: one of its wallets (default: its first)"
    )
    share_bps: StrictInt = Field(ge=1, le=TOTAL_BPS)
    accept_unverified: StrictBool = Field(
        default=False,
        description="the creator knowingly pays a charity the operator has not verified; "
        "brands see it as unverified",
    )

    @model_validator(mode="after")
    def _named(self) -> CharityPick:
        if self.charity_id is None and (self.wallet is None or self.name is None):
            raise ValueError("a charity is a charity_id from /v1/charities, or a name and wallet")
        return self


class CharityTotal(TokenInfo):
    from_deals: str = Field(description="paid or credited by the escrow, smallest unit")
    from_splits: str = Field(description="paid or credited by revenue splitters, smallest unit")
    amount: str = Field(description="the two together")
    amount_human: str | None


class CharityPublic(BaseModel):
    id: str
    name: str
    country: str | None
    registration_number: str | None
    website: str | None
    status: CharityStatus
    verified: bool
    status_note: str | None
    verified_at: datetime | None
    wallets: list[str]
    created_at: datetime
    updated_at: datetime


class CharityDetail(CharityPublic):
    totals: list[CharityTotal] = Field(
        description="everything its wallets received, from chain events (tokens the deployment "
        "knows), across deals and revenue splits"
    )
    payouts: int = Field(description="how many payout events the totals sum")
