from __future__ import annotations

from fastapi import APIRouter

from api.brands import service
from api.brands.models import BrandCreate, BrandPublic, BrandUpdate
from api.core.auth import CurrentBrand
from api.core.db import SessionDep, UnitOfWorkRoute
from api.core.deployment import DeploymentDep
from api.core.openapi import errors
from api.keys.models import KEY_SHOWN_ONCE, IssuedKey, without_key
from api.kit.idempotency import IdempotencyDep

router = APIRouter(prefix="/v1/brands", tags=["brands"], route_class=UnitOfWorkRoute)
NO_STORE = {"Cache-Control": "no-store"}


class BrandRegistration(BrandPublic, IssuedKey):
    """The new brand and its API key (shown once; null in a replay)."""


@router.post("", responses=errors(409), status_code=201, response_model=BrandRegistration)
def register_brand(
    body: BrandCreate,
    session: SessionDep,
    deployment: DeploymentDep,
    idempotency: IdempotencyDep,
):
    """Register a brand. The response carries its API key, shown once: an idempotent replay
    returns the profile without it (see `api_key_note`)."""

    def create() -> BrandRegistration:
        brand = service.register_brand(session=session, deployment=deployment, data=body)
        return BrandRegistration(**brand.model_dump(), api_key_note=KEY_SHOWN_ONCE)

    return idempotency.run(create, redact=without_key, headers=NO_STORE)


@router.patch("/me", responses=errors(404, 409), response_model=BrandPublic)
def update_my_brand(
    body: BrandUpdate, brand: CurrentBrand, session: SessionDep, deployment: DeploymentDep
) -> BrandPublic:
    row = service.get_brand(session=session, brand_id=brand.id)
    updated = service.update_brand(session=session, deployment=deployment, brand=row, data=body)
    return service.to_public(updated)
