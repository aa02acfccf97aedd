"""`GET /v1/values`: the value taxonomy clients may use."""

from __future__ import annotations

from fastapi import APIRouter

from matching import load_taxonomy

router = APIRouter(prefix="/v1/values", tags=["values"])


@router.get("")
def list_values() -> dict:
    """The value taxonomy: slugs, FR/EN labels, synonyms, hashtags, parents and conflicts."""
    return {"items": load_taxonomy().to_dict()["entries"]}
