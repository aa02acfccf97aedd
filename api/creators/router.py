from __future__ import annotations

from fastapi import APIRouter, Request

from api.auth import CurrentCreator, registration_key
from api.creators import service
from api.creators.models import CreatorCreate, CreatorPublic, CreatorRegistered, CreatorUpdate
from api.db import SessionDep
from api.idempotency import IdempotencyDep
from api.match_index import IndexDep

router = APIRouter(prefix="/v1/creators", tags=["creators"])


@router.post("", status_code=201, response_model=CreatorRegistered)
def register_creator(
    body: CreatorCreate,
    request: Request,
    session: SessionDep,
    index: IndexDep,
    idempotency: IdempotencyDep,
):
    """Register a creator (human or virtual). The response carries its API key, shown once."""
    api_key = registration_key(request, idempotency, "creator")
    return idempotency.run(
        lambda: service.register_creator(session=session, index=index, data=body, api_key=api_key),
        redact=lambda body: {**body, "api_key": None},
        restore=lambda body: {**body, "api_key": api_key},
    )


@router.patch("/me", response_model=CreatorPublic)
def update_my_profile(
    body: CreatorUpdate, creator: CurrentCreator, session: SessionDep, index: IndexDep
) -> CreatorPublic:
    row = service.get_creator(session=session, creator_id=creator.id)
    return service.to_public(
        service.update_creator(session=session, index=index, creator=row, data=body)
    )
