"""Value terms from clients (slugs, labels or synonyms, FR or EN) resolved to taxonomy slugs."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from matching import UnknownValueError, load_taxonomy
from matching.interpret import Interpretation


def resolve_terms(terms: list[str]) -> list[str]:
    try:
        return load_taxonomy().resolve_many(terms)
    except UnknownValueError as exc:
        unknown = [
            f"{term!r} (closest: {', '.join(suggestions[:5])})" if suggestions else repr(term)
            for term, suggestions in exc.unknown.items()
        ]
        raise ValueError(
            "unknown value " + "; ".join(unknown) + " — see GET /v1/values for the taxonomy"
        ) from None


ValueTerms = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=100)]],
    Field(max_length=40, examples=[["cause animale", "vegan", "cruelty-free"]]),
    AfterValidator(resolve_terms),
]


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("must contain something besides spaces")
    return text


class InterpretRequest(BaseModel):
    """A phrase to read as a value (causes) or as a practice or dealbreaker (practices)."""

    text: Annotated[str, Field(min_length=1, max_length=500), AfterValidator(_not_blank)]
    lang: Literal["fr", "en"] | None = Field(
        default=None, description="the phrase's language; detected when null"
    )
    role: Literal["value", "practice"] = Field(
        default="value",
        description="value: maps to causes; practice (also for dealbreakers): maps to practices",
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"text": "sans huile de palme", "role": "practice"}]},
    )


class ConceptPublic(BaseModel):
    slug: str
    label: str = Field(description="the concept's label in the phrase's language")
    confidence: float = Field(ge=0, le=1)


class InterpretationPublic(BaseModel):
    """How a phrase is read; `negated` means the phrase states the absence of its concepts."""

    text: str
    lang: Literal["fr", "en"]
    role: Literal["value", "practice"]
    concepts: list[ConceptPublic]
    negated: bool
    understood: bool
    reason: str

    @classmethod
    def of(cls, interpretation: Interpretation, *, role: str) -> InterpretationPublic:
        taxonomy = load_taxonomy()
        lang = interpretation.lang
        return cls(
            text=interpretation.text,
            lang=lang,
            role=role,
            concepts=[
                ConceptPublic(slug=slug, label=taxonomy.label(slug, lang), confidence=confidence)
                for slug, confidence in interpretation.concepts
            ],
            negated=interpretation.negated,
            understood=interpretation.understood,
            reason=interpretation.reason,
        )
