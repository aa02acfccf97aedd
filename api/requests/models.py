from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import JSON, Column, text
from sqlmodel import Field as DBField
from sqlmodel import SQLModel

from api.kit.time import utcnow
from api.kit.types import Country, FutureDatetime, Language, Money, Platform, StrictInt
from api.legal.categories import CATEGORIES, Category
from api.values.models import PhraseReading, Phrases, StoredPhrase

Format = Literal["post", "story", "reel", "short", "video", "live", "article", "podcast"]


class Deliverable(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platform: Platform
    format: Format
    count: StrictInt = Field(default=1, ge=1, le=100)


class AudienceConstraints(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_followers: StrictInt = Field(default=0, ge=0, le=10**10)
    languages: list[Language] = Field(default_factory=list, max_length=20)
    countries: list[Country] = Field(default_factory=list, max_length=50)
    platforms: list[Platform] = Field(default_factory=list, max_length=10)


class CollabRequest(SQLModel, table=True):
    __tablename__ = "collab_request"

    id: str = DBField(primary_key=True, max_length=40)
    brand_id: str = DBField(foreign_key="brand.id", index=True, max_length=40)
    title: str = DBField(max_length=200)
    description: str = DBField(max_length=10_000)
    lang: str = DBField(max_length=2)
    # What the engine reads: slug -> weight, from the phrases below or tagged from the brief.
    target_values: dict[str, float] = DBField(sa_column=Column(JSON, nullable=False))
    # The brand's target phrases as written, each with its interpretation (empty when omitted).
    target_phrases: list[StoredPhrase] = DBField(
        default_factory=list,
        sa_column=Column(JSON, nullable=False, server_default=text("'[]'")),
    )
    values_source: str = DBField(max_length=10)
    budget_amount: str = DBField(max_length=78)
    budget_token: str = DBField(max_length=42)
    deliverables: list[dict[str, Any]] = DBField(sa_column=Column(JSON, nullable=False))
    deadline: datetime
    audience: dict[str, Any] = DBField(sa_column=Column(JSON, nullable=False))
    # Product categories the brief promotes (api.legal.categories): loi 2023-451 art. 4.
    categories: list[str] = DBField(
        default_factory=list,
        sa_column=Column(JSON, nullable=False, server_default=text("'[]'")),
    )
    status: str = DBField(default="open", max_length=10)
    created_at: datetime = DBField(default_factory=utcnow)


class RequestCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=3, max_length=200)
    description: str = Field(min_length=10, max_length=10_000, description="free text, FR or EN")
    target_values: Phrases | None = Field(
        default=None,
        description="the causes the brief is for, in the brand's words (FR or EN); omitted, or "
        "none understood = tagged from the title and description, plus the brand's own values",
    )
    lang: Literal["fr", "en"] | None = Field(default=None, description="omitted = detected")
    budget: Money
    deliverables: list[Deliverable] = Field(min_length=1, max_length=20)
    deadline: FutureDatetime
    audience: AudienceConstraints = Field(default_factory=AudienceConstraints)
    categories: list[Category] = Field(
        default_factory=list,
        max_length=20,
        description="what the brief promotes, one of: "
        + ", ".join(CATEGORIES)
        + ". Categories loi 2023-451 art. 4 prohibits are refused for an audience in France "
        "(here, or at offer time from the creator's audience when no country is given)",
    )


class TaggedValue(BaseModel):
    slug: str
    weight: float
    label: str


class RequestInterpretations(BaseModel):
    """How each phrase of `target_values` was read, in the order written."""

    target_values: list[PhraseReading]


class RequestPublic(BaseModel):
    id: str
    brand_id: str
    title: str
    description: str
    lang: str
    target_values: list[TaggedValue] = Field(
        description="the causes matched on, with their weight (empty: matched on the rest)"
    )
    values_source: Literal["brand", "tagged"]
    interpretations: RequestInterpretations
    budget: Money
    deliverables: list[Deliverable]
    deadline: datetime
    audience: AudienceConstraints
    categories: list[str]
    status: str
    created_at: datetime


class MatchCreator(BaseModel):
    id: str
    handle: str
    display_name: str
    is_virtual: bool


class MatchPublic(BaseModel):
    creator: MatchCreator
    score: float = Field(ge=0, le=1)
    components: dict[str, float]
    explanation: str
    is_virtual: bool


class MatchList(BaseModel):
    request_id: str
    diversified: bool
    items: list[MatchPublic]


class MatchReason(BaseModel):
    code: str = Field(description="the hard filter that applies, e.g. dealbreaker, language")
    message: str
    detail: dict[str, Any]


class MatchCheck(BaseModel):
    """Whether one creator can be matched with this request, and if not, every rule that
    keeps them out (a creator passing them all is ranked by `score` among the matches)."""

    request_id: str
    creator: MatchCreator
    matched: bool
    reasons: list[MatchReason]
    match: MatchPublic | None
