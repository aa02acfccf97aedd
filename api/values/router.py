"""`GET /v1/values`: the value taxonomy; `POST /v1/values/interpret`: how a phrase is read."""

from __future__ import annotations

from fastapi import APIRouter

from api.core.db import UnitOfWorkRoute
from api.values.models import InterpretationPublic, InterpretRequest
from matching import load_taxonomy
from matching.interpret import interpret

router = APIRouter(prefix="/v1/values", tags=["values"], route_class=UnitOfWorkRoute)


@router.get("")
def list_values() -> dict:
    """The value taxonomy: slugs, FR/EN labels, synonyms, hashtags, parents and conflicts."""
    return {"items": load_taxonomy().to_dict()["entries"]}


@router.post("/interpret")
def interpret_phrase(body: InterpretRequest) -> InterpretationPublic:
    """Preview how a value, dealbreaker or practice phrase will be read: the concepts it maps
    to (with confidence), whether it is negated, or that it is not understood. Nothing is
    stored; the same reading is applied when the phrase is saved on a profile."""
    reading = interpret(body.text, lang=body.lang, role=body.role)
    return InterpretationPublic.of(reading, role=body.role)
