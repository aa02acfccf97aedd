"""Value terms from clients (slugs, labels or synonyms, FR or EN) resolved to taxonomy slugs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import AfterValidator, Field

from matching import UnknownValueError, load_taxonomy


def resolve_terms(terms: list[str]) -> list[str]:
    taxonomy = load_taxonomy()
    slugs: list[str] = []
    unknown: list[str] = []
    for term in terms:
        try:
            slug = taxonomy.resolve(term)
        except UnknownValueError as exc:
            suggestions = ", ".join(list(getattr(exc, "suggestions", []))[:5])
            hint = f" (closest: {suggestions})" if suggestions else ""
            unknown.append(f"{term!r}{hint}")
            continue
        if slug not in slugs:
            slugs.append(slug)
    if unknown:
        raise ValueError(
            "unknown value " + "; ".join(unknown) + " — see GET /v1/values for the taxonomy"
        )
    return slugs


ValueTerms = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=100)]],
    Field(max_length=40, examples=[["cause animale", "vegan", "cruelty-free"]]),
    AfterValidator(resolve_terms),
]

router = APIRouter(prefix="/v1/values", tags=["values"])


@router.get("")
def list_values() -> dict:
    """The value taxonomy: slugs, FR/EN labels, synonyms, parents and conflicts."""
    taxonomy = load_taxonomy()
    return {
        "items": [
            {
                "slug": entry.slug,
                "kind": entry.kind,
                "labels": entry.labels,
                "synonyms": entry.synonyms,
                "parents": list(entry.parents),
                "conflicts": list(entry.conflicts),
            }
            for entry in taxonomy.entries
        ]
    }
