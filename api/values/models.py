"""Value, dealbreaker and practice phrases: what clients send, how it is stored, how it is shown.

People write these in their own words (FR or EN). No phrase is ever refused for its meaning:
each is stored as written with its interpretation (concepts with confidence, polarity, or "not
understood"), and the slug lists the matching engine reads are derived from those readings.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from typing_extensions import TypedDict  # pydantic reads it on Python < 3.12

from matching import load_taxonomy
from matching.interpret import Interpretation

MAX_PHRASES = 40
MAX_PHRASE_LENGTH = 500


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("must contain something besides spaces")
    return text


Phrase = Annotated[
    str, Field(min_length=1, max_length=MAX_PHRASE_LENGTH), AfterValidator(_not_blank)
]
Phrases = Annotated[
    list[Phrase],
    Field(
        max_length=MAX_PHRASES,
        description=(
            "free phrases, FR or EN (a taxonomy slug, label or synonym is a phrase too); each is "
            "stored as written with its interpretation, never refused for its meaning"
        ),
        examples=[["cause animale", "produits laitiers", "no palm oil"]],
    ),
]


class StoredConcept(TypedDict):
    slug: str
    confidence: float


class StoredPhrase(TypedDict):
    """One phrase in a profile's JSON column: as written, with how it was read."""

    text: str
    lang: str
    concepts: list[StoredConcept]
    negated: bool
    understood: bool
    reason: str


class ConceptPublic(BaseModel):
    slug: str
    label: str = Field(description="the concept's label in the phrase's language")
    confidence: float = Field(ge=0, le=1)


def _concepts(pairs, lang: str) -> list[ConceptPublic]:
    taxonomy = load_taxonomy()
    return [
        # A slug the taxonomy no longer has keeps its slug as label rather than failing a read.
        ConceptPublic(
            slug=slug,
            label=taxonomy.label(slug, lang) if slug in taxonomy else slug,
            confidence=confidence,
        )
        for slug, confidence in pairs
    ]


class PhraseReading(BaseModel):
    """A phrase as written and how it is read, so that its author can check and correct it.
    `negated` means the phrase states the absence of its concepts ("no palm oil")."""

    text: str
    lang: Literal["fr", "en"]
    concepts: list[ConceptPublic]
    negated: bool
    understood: bool
    reason: str

    @classmethod
    def of_stored(cls, phrase: StoredPhrase) -> PhraseReading:
        lang = phrase["lang"]
        pairs = [(c["slug"], c["confidence"]) for c in phrase["concepts"]]
        return cls(
            text=phrase["text"],
            lang=lang,
            concepts=_concepts(pairs, lang),
            negated=phrase["negated"],
            understood=phrase["understood"],
            reason=phrase.get("reason", ""),
        )


def readings(phrases: list[StoredPhrase]) -> list[PhraseReading]:
    return [PhraseReading.of_stored(phrase) for phrase in phrases]


class InterpretRequest(BaseModel):
    """A phrase to read as a value (causes) or as a practice or dealbreaker (practices)."""

    text: Phrase
    lang: Literal["fr", "en"] | None = Field(
        default=None, description="the phrase's language; detected when null"
    )
    role: Literal["value", "practice", "dealbreaker"] = Field(
        default="value",
        description="value: maps to causes; practice or dealbreaker: maps to practices (a "
        "dealbreaker's 'no alcohol' refuses alcohol: it is not negated)",
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"text": "sans huile de palme", "role": "practice"}]},
    )


class InterpretationPublic(PhraseReading):
    """How a phrase is read; `negated` means the phrase states the absence of its concepts."""

    role: Literal["value", "practice", "dealbreaker"]

    @classmethod
    def of(cls, interpretation: Interpretation, *, role: str) -> InterpretationPublic:
        return cls(
            text=interpretation.text,
            lang=interpretation.lang,
            role=role,
            concepts=_concepts(interpretation.concepts, interpretation.lang),
            negated=interpretation.negated,
            understood=interpretation.understood,
            reason=interpretation.reason,
        )
