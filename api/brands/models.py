from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import JSON, Column
from sqlmodel import Field as DBField
from sqlmodel import SQLModel

from api.kit.time import utcnow
from api.kit.types import Address
from api.values.models import ValueTerms


class BrandBase(SQLModel):
    name: str = DBField(min_length=1, max_length=120)
    description: str = DBField(default="", max_length=5000)


class Brand(BrandBase, table=True):
    id: str = DBField(primary_key=True, max_length=40)
    wallet: str = DBField(max_length=42, index=True)
    values: list[str] = DBField(default_factory=list, sa_column=Column(JSON, nullable=False))
    practices: list[str] = DBField(default_factory=list, sa_column=Column(JSON, nullable=False))
    api_key_hash: str = DBField(max_length=64, unique=True)
    created_at: datetime = DBField(default_factory=utcnow)
    updated_at: datetime = DBField(default_factory=utcnow)


class BrandCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=5000)
    wallet: Address
    values: ValueTerms = Field(default_factory=list)
    practices: ValueTerms = Field(
        default_factory=list,
        description="what the brand does, e.g. animal testing or leather: creators screen on it",
    )


class BrandUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=120)
    description: str | None = Field(default=None, max_length=5000)
    wallet: Address | None = None
    values: ValueTerms | None = None
    practices: ValueTerms | None = None


class BrandPublic(BaseModel):
    id: str
    role: str = "brand"
    name: str
    description: str
    wallet: str
    values: list[str]
    practices: list[str]
    created_at: datetime
    updated_at: datetime


class BrandRegistered(BrandPublic):
    api_key: str = Field(description="shown once: store it, it cannot be read again")
