"""Value terms from clients (slugs, labels or synonyms, FR or EN) resolved to taxonomy slugs."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from matching import UnknownValueError, load_taxonomy


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
