from __future__ import annotations

from fastapi import APIRouter

from api.core.auth import CurrentCreator
from api.core.db import SessionDep, UnitOfWorkRoute
from api.core.deployment import DeploymentDep
from api.core.openapi import errors
from api.creators import service
from api.creators.models import CreatorCreate, CreatorPublic, CreatorUpdate
from api.keys.models import KEY_SHOWN_ONCE, IssuedKey, without_key
from api.kit.idempotency import IdempotencyDep
from api.match_index import IndexDep

router = APIRouter(prefix="/v1/creators", tags=["creators"], route_class=UnitOfWorkRoute)
NO_STORE = {"Cache-Control": "no-store"}


class CreatorRegistration(CreatorPublic, IssuedKey):
    """The new creator and its API key (shown once; null in a replay)."""


@router.post("", responses=errors(409), status_code=201, response_model=CreatorRegistration)
def register_creator(
    body: CreatorCreate,
    session: SessionDep,
    index: IndexDep,
    deployment: DeploymentDep,
    idempotency: IdempotencyDep,
):
    """Register a creator (human or virtual). The response carries its API key, shown once: an
    idempotent replay returns the profile without it (see `api_key_note`)."""

    def create() -> CreatorRegistration:
        creator = service.register_creator(
            session=session, index=index, deployment=deployment, data=body
        )
        return CreatorRegistration(**creator.model_dump(), api_key_note=KEY_SHOWN_ONCE)

    return idempotency.run(create, redact=without_key, headers=NO_STORE)


@router.patch("/me", responses=errors(404, 409), response_model=CreatorPublic)
def update_my_profile(
    body: CreatorUpdate,
    creator: CurrentCreator,
    session: SessionDep,
    index: IndexDep,
    deployment: DeploymentDep,
) -> CreatorPublic:
    row = service.get_creator(session=session, creator_id=creator.id)
    updated = service.update_creator(
        session=session, index=index, deployment=deployment, creator=row, data=body
    )
    return service.to_public(updated)
