from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, model_validator
from sqlalchemy import JSON, Column, Index, LargeBinary, false, func, text
from sqlmodel import Field as DBField
from sqlmodel import SQLModel

from api.charities.models import CharityPick
from api.kit.time import utcnow
from api.kit.types import Address, Country, Language, Money, Platform, StrictInt
from api.legal.models import LegalIdentity, LegalIdentityPublic
from api.values.models import PhraseReading, Phrases, StoredPhrase

TOTAL_BPS = 10_000
EMPTY_LIST = text("'[]'")
MAX_PAYEES = 16


class Payee(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    wallet: Address
    share_bps: StrictInt = Field(ge=1, le=TOTAL_BPS)


class Split(BaseModel):
    """Who is paid from a deal: the creator first, then designers, then charities."""

    model_config = ConfigDict(extra="forbid")

    creator_share_bps: StrictInt = Field(
        ge=1, le=TOTAL_BPS, description="the creator is always a payee: it also takes the dust"
    )
    designers: list[Payee] = Field(default_factory=list, max_length=MAX_PAYEES - 1)
    charities: list[CharityPick] = Field(
        default_factory=list,
        max_length=MAX_PAYEES - 1,
        description="from the registry (/v1/charities), or a plain wallet accepted unverified",
    )

    @model_validator(mode="after")
    def _check(self) -> Split:
        total = self.creator_share_bps + sum(p.share_bps for p in self.designers + self.charities)
        if total != TOTAL_BPS:
            raise ValueError(f"shares must sum to exactly {TOTAL_BPS} basis points, not {total}")
        if 1 + len(self.designers) + len(self.charities) > MAX_PAYEES:
            raise ValueError(f"at most {MAX_PAYEES} payees, the creator included")
        wallets = [p.wallet for p in self.designers + self.charities if p.wallet]
        if len(set(wallets)) != len(wallets):
            raise ValueError("each designer and charity needs its own wallet")
        return self


class PlatformAudience(BaseModel):
    model_config = ConfigDict(extra="forbid")

    followers: StrictInt = Field(ge=0, le=10**10)
    engagement_rate: StrictFloat = Field(default=0.0, ge=0.0, le=1.0)
    countries: list[Country] = Field(default_factory=list, max_length=50)


class ScreeningPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_alignment: StrictFloat = Field(
        default=0.2, ge=0.0, le=1.0, description="offers aligning less are declined at once"
    )
    decline_dealbreakers: StrictBool = Field(
        default=True, description="always on: offers from brands doing a dealbreaker are declined"
    )


class Creator(SQLModel, table=True):
    # Handles are unique regardless of case; registration looks them up by lower(handle).
    __table_args__ = (
        Index("ix_creator_handle_lower", func.lower(text("handle")), unique=True),
        # What each API process polls for creators changed lately (api.match_index)
        Index("ix_creator_updated_at", "updated_at", "id"),
    )

    id: str = DBField(primary_key=True, max_length=40)
    handle: str = DBField(max_length=40, unique=True)
    display_name: str = DBField(max_length=120)
    bio: str = DBField(default="", max_length=5000)
    # What its value phrases and bio are about, for matching (matching.semantic, stored form).
    meaning: bytes | None = DBField(default=None, sa_column=Column(LargeBinary, nullable=True))
    # Its phrases' fingerprints, for matching's rerank (matching.closeness, stored form).
    phrases: bytes | None = DBField(default=None, sa_column=Column(LargeBinary, nullable=True))
    is_virtual: bool = False
    operator: str | None = DBField(default=None, max_length=200)
    # The contracting party (for a virtual creator, its operator): see api.legal.models.
    legal_name: str | None = DBField(default=None, max_length=200)
    postal_address: str | None = DBField(default=None, max_length=500)
    email: str | None = DBField(default=None, max_length=254)
    tax_country: str | None = DBField(default=None, max_length=2)
    retouched_images: bool = DBField(default=False, sa_column_kwargs={"server_default": false()})
    wallet: str = DBField(max_length=42, index=True)
    languages: list[str] = DBField(default_factory=list, sa_column=Column(JSON, nullable=False))
    audience: dict[str, Any] = DBField(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # What the engine reads: slugs derived from the phrases below (see api.values.service).
    values: list[str] = DBField(default_factory=list, sa_column=Column(JSON, nullable=False))
    dealbreakers: list[str] = DBField(default_factory=list, sa_column=Column(JSON, nullable=False))
    # The phrases as written, each with its interpretation.
    value_phrases: list[StoredPhrase] = DBField(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default=EMPTY_LIST)
    )
    dealbreaker_phrases: list[StoredPhrase] = DBField(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default=EMPTY_LIST)
    )
    min_fees: list[dict[str, str]] = DBField(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    split: dict[str, Any] = DBField(default_factory=dict, sa_column=Column(JSON, nullable=False))
    screening: dict[str, Any] = DBField(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    completed_deals: int = 0
    api_key_hash: str = DBField(max_length=64, unique=True)
    created_at: datetime = DBField(default_factory=utcnow)
    updated_at: datetime = DBField(default_factory=utcnow)


_HANDLE = r"^[A-Za-z0-9_.]{2,40}$"


RETOUCHED_IMAGES = (
    "the creator's images of faces or bodies are retouched (refined or thickened silhouette, "
    "changed face): every content then carries « Images retouchées » (loi 2023-451 art. 5)"
)


class CreatorFields(LegalIdentity):
    """The profile; the legal identity fields describe the operator of a virtual creator."""

    model_config = ConfigDict(extra="forbid")

    display_name: str = Field(min_length=1, max_length=120)
    bio: str = Field(default="", max_length=5000)
    is_virtual: StrictBool = False
    operator: str | None = Field(
        default=None,
        min_length=2,
        max_length=200,
        description="the person or company responsible; required for a virtual creator",
    )
    languages: list[Language] = Field(min_length=1, max_length=20)
    audience: dict[Platform, PlatformAudience] = Field(min_length=1, max_length=10)
    values: Phrases = Field(
        min_length=1, description="what the creator defends, in its own words (FR or EN)"
    )
    dealbreakers: Phrases = Field(
        default_factory=list,
        description="what a brand must not do, in the creator's words: offers from brands doing "
        "it are declined and they are left out of matches",
    )
    min_fees: list[Money] = Field(
        min_length=1, max_length=8, description="minimum fee per accepted token"
    )
    retouched_images: StrictBool = Field(default=False, description=RETOUCHED_IMAGES)
    wallet: Address
    split: Split
    screening: ScreeningPolicy = Field(default_factory=ScreeningPolicy)


def check_creator(fields: dict[str, Any]) -> None:
    """Rules across fields, for a whole profile (registration, or after an update)."""
    if fields.get("is_virtual") and not fields.get("operator"):
        raise ValueError(
            "a virtual creator must name its operator (the responsible person or company)"
        )
    tokens = [fee["token"] for fee in fields.get("min_fees", [])]
    if len(set(tokens)) != len(tokens):
        raise ValueError("one minimum fee per token")
    split = fields.get("split") or {}
    others = [p.get("wallet") for p in split.get("designers", []) + split.get("charities", [])]
    if fields.get("wallet") in others:
        raise ValueError("the creator's wallet cannot also be a designer's or a charity's")


class CreatorCreate(CreatorFields):
    handle: str = Field(pattern=_HANDLE, examples=["vegan_vera"])

    @model_validator(mode="after")
    def _rules(self) -> CreatorCreate:
        check_creator(self.model_dump())
        return self


class CreatorUpdate(LegalIdentity):
    """Only what is sent changes; a null clears the operator or a legal identity field."""

    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(default=None, min_length=1, max_length=120)
    bio: str | None = Field(default=None, max_length=5000)
    is_virtual: StrictBool | None = None
    operator: str | None = Field(default=None, min_length=2, max_length=200)
    languages: list[Language] | None = Field(default=None, min_length=1, max_length=20)
    audience: dict[Platform, PlatformAudience] | None = Field(default=None, min_length=1)
    values: Phrases | None = Field(default=None, min_length=1)
    dealbreakers: Phrases | None = None
    min_fees: list[Money] | None = Field(default=None, min_length=1, max_length=8)
    retouched_images: StrictBool | None = Field(default=None, description=RETOUCHED_IMAGES)
    wallet: Address | None = None
    split: Split | None = None
    screening: ScreeningPolicy | None = None


class CreatorInterpretations(BaseModel):
    """How each phrase of `values` and `dealbreakers` was read, in the order written."""

    values: list[PhraseReading]
    dealbreakers: list[PhraseReading]


class CreatorPublic(LegalIdentityPublic):
    id: str
    role: str = "creator"
    handle: str
    display_name: str
    bio: str
    is_virtual: bool
    operator: str | None
    retouched_images: bool
    wallet: str
    languages: list[str]
    audience: dict[str, PlatformAudience]
    values: list[str] = Field(
        description="slugs read in the value phrases: causes, and practices embraced"
    )
    dealbreakers: list[str] = Field(
        description="slugs of the practices read in the dealbreaker phrases (negated ones aside)"
    )
    interpretations: CreatorInterpretations
    min_fees: list[Money]
    split: Split
    screening: ScreeningPolicy
    completed_deals: int
    created_at: datetime
    updated_at: datetime


class CreatorRegistered(CreatorPublic):
    api_key: str = Field(description="shown once: store it, it cannot be read again")
