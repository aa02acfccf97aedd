"""`GET /v1/me`: whoever holds the key reads their own profile."""

from __future__ import annotations

from fastapi import APIRouter

from api.brands import service as brands
from api.brands.models import BrandPublic
from api.core.auth import CurrentPrincipal
from api.core.db import SessionDep, UnitOfWorkRoute
from api.core.errors import NotFound
from api.core.openapi import errors
from api.creators import service as creators
from api.creators.models import CreatorPublic

router = APIRouter(prefix="/v1", tags=["accounts"], route_class=UnitOfWorkRoute)


@router.get("/me", responses=errors(404), response_model=BrandPublic | CreatorPublic)
def read_me(principal: CurrentPrincipal, session: SessionDep):
    if principal.role == "brand":
        return brands.to_public(brands.get_brand(session=session, brand_id=principal.id))
    if principal.role == "creator":
        return creators.to_public(creators.get_creator(session=session, creator_id=principal.id))
    raise NotFound("the operator key has no profile")
