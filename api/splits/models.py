"""Revenue splits: a payee set with shares, served by one RevenueSplitter clone on chain.

The factory gives one address per (ordered) payee set; Collab always orders payees by address,
so the same set always gets the same splitter. Payee 0 in that order also takes the rounding
dust of each distribution (a few units of the smallest denomination at most).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import JSON, BigInteger, Column, UniqueConstraint
from sqlmodel import Field as DBField
from sqlmodel import SQLModel

from api.charities.models import CharityPick
from api.collaborations.models import UnsignedTransaction
from api.kit.time import utcnow
from api.kit.types import Address, StrictInt, TokenInfo

TOTAL_BPS = 10_000
MAX_PAYEES = 16
# "payee": a splitter created on chain outside Collab, whose payees nobody declared here.
Role = Literal["creator", "designer", "charity", "brand", "payee"]


class RevenueSplit(SQLModel, table=True):
    """A splitter declared through the API, or seen created by the factory (then `declared_by`
    is None until someone declares its payee set). `created_*` come from the chain only."""

    __tablename__ = "revenue_split"
    __table_args__ = (UniqueConstraint("chain_id", "address"),)

    id: str = DBField(primary_key=True, max_length=40)
    chain_id: int = DBField(sa_type=BigInteger)
    factory_address: str = DBField(max_length=42)
    address: str = DBField(max_length=42, index=True)
    label: str | None = DBField(default=None, max_length=120)
    # In contract order (by address): role, name, wallet, share_bps, and the creator_id,
    # charity_id or brand_id the wallet belongs to.
    payees: list[dict[str, Any]] = DBField(sa_column=Column(JSON, nullable=False))
    declared_by: str | None = DBField(default=None, max_length=60, index=True)
    # The creators' EIP-712 consents (creator_id, wallet, signature) when another party declared.
    consents: list[dict[str, Any]] = DBField(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    created_block: int | None = DBField(default=None, sa_type=BigInteger)
    created_tx: str | None = DBField(default=None, max_length=66)
    created_at: datetime = DBField(default_factory=utcnow)
    updated_at: datetime = DBField(default_factory=utcnow)


class CreatorShare(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["creator"]
    creator_id: str = Field(min_length=1, max_length=40)
    share_bps: StrictInt = Field(ge=1, le=TOTAL_BPS)


class DesignerShare(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["designer"]
    name: str = Field(min_length=1, max_length=120)
    wallet: Address
    share_bps: StrictInt = Field(ge=1, le=TOTAL_BPS)


class CharityShare(CharityPick):
    role: Literal["charity"]


class BrandShare(BaseModel):
    """The declaring brand itself, paid at its wallet."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["brand"]
    share_bps: StrictInt = Field(ge=1, le=TOTAL_BPS)


PayeeShare = Annotated[
    CreatorShare | DesignerShare | CharityShare | BrandShare, Field(discriminator="role")
]


class SplitDeclaration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str | None = Field(default=None, max_length=120, examples=["Duo Run collection"])
    payees: list[PayeeShare] = Field(min_length=1, max_length=MAX_PAYEES)


class Consent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    creator_id: str = Field(min_length=1, max_length=40)
    signature: str = Field(
        pattern=r"^0x[0-9a-fA-F]{130}$",
        description="the creator wallet's EIP-712 signature of the split's `consent_typed_data`",
    )


class SplitCreate(SplitDeclaration):
    consents: list[Consent] = Field(
        default_factory=list,
        max_length=MAX_PAYEES,
        description="one per creator payee other than the caller: the creator wallet's "
        "signature of the consent typed data (POST /v1/splits/consent)",
    )


class TokenReceived(BaseModel):
    token: str
    paid: str
    credited: str
    withdrawn: str


class SplitPayeePublic(BaseModel):
    role: Role
    name: str
    wallet: str
    share_bps: int
    creator_id: str | None = None
    charity_id: str | None = None
    brand_id: str | None = None
    verified: bool | None = Field(
        default=None, description="charities: whether the operator verified it"
    )
    received: list[TokenReceived] = Field(
        default_factory=list, description="what this splitter paid or credited it, per token"
    )


class SplitBalance(TokenInfo):
    balance: str = Field(description="held by the splitter now")
    credited: str = Field(description="of it, owed to payees a push failed to reach")
    distributable: str = Field(description="what `distribute` would split now")
    total_in: str = Field(description="everything it ever received: held, paid out, withdrawn")
    distribute_transaction: UnsignedTransaction | None = Field(
        description="anyone may send it, once the splitter exists and holds something to split"
    )


class SplitConsentData(BaseModel):
    address: str
    payees: list[SplitPayeePublic]
    consent_typed_data: dict[str, Any] = Field(
        description="EIP-712 typed data each creator payee signs to consent (eth_signTypedData_v4)"
    )


class SplitPublic(BaseModel):
    id: str
    label: str | None
    chain_id: int
    factory_address: str
    address: str
    declared_by: str | None
    payees: list[SplitPayeePublic]
    created: bool = Field(description="the splitter exists on chain (seen by the indexer)")
    created_tx: str | None
    creation_transaction: UnsignedTransaction | None = Field(
        description="createSplitter on the factory: anyone may send it; a no-op once created "
        "(null when no chain is configured)"
    )
    balances: list[SplitBalance] | None = Field(
        description="per token the deployment takes, read from the chain (single reads only)"
    )
    created_at: datetime
