from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.core.auth import CurrentBrand
from api.core.db import SessionDep, UnitOfWorkRoute
from api.core.deployment import DeploymentDep
from api.core.openapi import errors
from api.kit.idempotency import IdempotencyDep
from api.kit.pagination import Page, PageDep
from api.match_index import IndexDep
from api.requests import service
from api.requests.models import MatchCheck, MatchList, RequestCreate, RequestPublic

router = APIRouter(prefix="/v1/requests", tags=["requests"], route_class=UnitOfWorkRoute)


@router.post("", responses=errors(409), status_code=201, response_model=RequestPublic)
def create_request(
    body: RequestCreate,
    brand: CurrentBrand,
    session: SessionDep,
    deployment: DeploymentDep,
    idempotency: IdempotencyDep,
):
    """Post a collaboration brief; values are tagged from the text when none are given."""
    return idempotency.run(
        lambda: service.create_request(
            session=session, deployment=deployment, brand=brand, data=body
        )
    )


@router.get("", response_model=Page[RequestPublic])
def list_requests(brand: CurrentBrand, session: SessionDep, page: PageDep) -> Page[RequestPublic]:
    return service.list_requests(session=session, brand=brand, params=page)


@router.get("/{request_id}", responses=errors(404), response_model=RequestPublic)
def get_request(request_id: str, brand: CurrentBrand, session: SessionDep) -> RequestPublic:
    collab_request = service.get_own_request(session=session, brand=brand, request_id=request_id)
    return service.to_public(collab_request)


@router.get("/{request_id}/matches", responses=errors(404), response_model=MatchList)
def get_matches(
    request_id: str,
    brand: CurrentBrand,
    session: SessionDep,
    index: IndexDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    diversify: bool = False,
) -> MatchList:
    """Creators ranked by shared values, audience, budget and track record, with reasons."""
    return service.find_matches(
        session=session,
        index=index,
        brand=brand,
        request_id=request_id,
        limit=limit,
        diversify=diversify,
    )


@router.get("/{request_id}/matches/{creator_id}", responses=errors(404), response_model=MatchCheck)
def check_match(
    request_id: str, creator_id: str, brand: CurrentBrand, session: SessionDep, index: IndexDep
) -> MatchCheck:
    """Why this creator is or is not a match: every hard filter that keeps them out (their
    dealbreakers against the brand's practices, no value in common, language, platform,
    audience, fee...), or their score and explanation when none does."""
    collab_request = service.get_own_request(session=session, brand=brand, request_id=request_id)
    return service.check_match(
        session=session, index=index, collab_request=collab_request, creator_id=creator_id
    )
