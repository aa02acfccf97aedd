from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import JSON, Column, text
from sqlmodel import Field as DBField
from sqlmodel import SQLModel

from api.kit.time import utcnow
from api.kit.types import Address
from api.legal.models import LegalIdentity, LegalIdentityPublic
from api.values.models import PhraseReading, Phrases, StoredPhrase

EMPTY_LIST = text("'[]'")


class BrandBase(SQLModel):
    name: str = DBField(min_length=1, max_length=120)
    description: str = DBField(default="", max_length=5000)


class Brand(BrandBase, table=True):
    id: str = DBField(primary_key=True, max_length=40)
    wallet: str = DBField(max_length=42, index=True)
    # The contracting party as a contract names it: see api.legal.models.
    legal_name: str | None = DBField(default=None, max_length=200)
    postal_address: str | None = DBField(default=None, max_length=500)
    email: str | None = DBField(default=None, max_length=254)
    tax_country: str | None = DBField(default=None, max_length=2)
    # What the engine reads: slugs derived from the phrases below (see api.values.service).
    values: list[str] = DBField(default_factory=list, sa_column=Column(JSON, nullable=False))
    practices: list[str] = DBField(default_factory=list, sa_column=Column(JSON, nullable=False))
    # The phrases as written, each with its interpretation.
    value_phrases: list[StoredPhrase] = DBField(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default=EMPTY_LIST)
    )
    practice_phrases: list[StoredPhrase] = DBField(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default=EMPTY_LIST)
    )
    api_key_hash: str = DBField(max_length=64, unique=True)
    created_at: datetime = DBField(default_factory=utcnow)
    updated_at: datetime = DBField(default_factory=utcnow)


class BrandCreate(LegalIdentity):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=5000)
    wallet: Address
    values: Phrases = Field(
        default_factory=list, description="what the brand stands for, in its own words"
    )
    practices: Phrases = Field(
        default_factory=list,
        description="what the brand does, e.g. animal testing or leather: creators screen on it "
        '(a negated phrase such as "no palm oil" says what the brand does not do)',
    )


class BrandUpdate(LegalIdentity):
    """Only what is sent changes; a null clears a legal identity field, elsewhere it is ignored."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=120)
    description: str | None = Field(default=None, max_length=5000)
    wallet: Address | None = None
    values: Phrases | None = None
    practices: Phrases | None = None


class BrandInterpretations(BaseModel):
    """How each phrase of `values` and `practices` was read, in the order written."""

    values: list[PhraseReading]
    practices: list[PhraseReading]


class BrandPublic(LegalIdentityPublic):
    id: str
    role: str = "brand"
    name: str
    description: str
    wallet: str
    values: list[str] = Field(
        description="slugs read in the value phrases: causes, and practices embraced"
    )
    practices: list[str] = Field(
        description="slugs of the practices read in the practice phrases (negated ones aside)"
    )
    interpretations: BrandInterpretations
    created_at: datetime
    updated_at: datetime


class BrandRegistered(BrandPublic):
    api_key: str = Field(description="shown once: store it, it cannot be read again")
