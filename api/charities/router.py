from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api.charities import service
from api.charities.models import CharityCreate, CharityDetail, CharityPublic, CharityVerification
from api.core.auth import CurrentOperator, CurrentPrincipal
from api.core.db import SessionDep, UnitOfWorkRoute
from api.core.deployment import DeploymentDep
from api.core.openapi import errors
from api.kit.idempotency import IdempotencyDep
from api.kit.pagination import Page, PageDep
from api.kit.types import Country

router = APIRouter(prefix="/v1/charities", tags=["charities"], route_class=UnitOfWorkRoute)


@router.post("", responses=errors(409), status_code=201, response_model=CharityPublic)
def register_charity(
    body: CharityCreate,
    principal: CurrentPrincipal,
    session: SessionDep,
    deployment: DeploymentDep,
    idempotency: IdempotencyDep,
):
    """Add a charity to the registry (any account): unverified until the operator checks it."""
    return idempotency.run(
        lambda: service.register_charity(
            session=session, deployment=deployment, principal=principal, data=body
        )
    )


@router.get("", response_model=Page[CharityPublic])
def list_charities(
    session: SessionDep,
    page: PageDep,
    status: Literal["unverified", "verified", "rejected"] | None = None,
    country: Annotated[Country | None, Query()] = None,
) -> Page[CharityPublic]:
    """The registry, public: pick a verified charity for a split."""
    return service.list_charities(session=session, params=page, status=status, country=country)


@router.get("/{charity_id}", responses=errors(404), response_model=CharityDetail)
def get_charity(charity_id: str, session: SessionDep, deployment: DeploymentDep) -> CharityDetail:
    """A charity and everything it received across deals and revenue splits, from chain events:
    public, so a donor can check it."""
    return service.charity_detail(session=session, deployment=deployment, charity_id=charity_id)


@router.post("/{charity_id}/verification", responses=errors(404), response_model=CharityPublic)
def set_verification(
    charity_id: str, body: CharityVerification, _operator: CurrentOperator, session: SessionDep
) -> CharityPublic:
    """The operator's decision after checking the charity: verified, rejected or unverified."""
    return service.set_verification(session=session, charity_id=charity_id, data=body)
