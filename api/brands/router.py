from __future__ import annotations

from fastapi import APIRouter, Request

from api.auth import CurrentBrand, registration_key
from api.brands import service
from api.brands.models import BrandCreate, BrandPublic, BrandRegistered, BrandUpdate
from api.db import SessionDep
from api.idempotency import IdempotencyDep

router = APIRouter(prefix="/v1/brands", tags=["brands"])


@router.post("", status_code=201, response_model=BrandRegistered)
def register_brand(
    body: BrandCreate, request: Request, session: SessionDep, idempotency: IdempotencyDep
):
    """Register a brand. The response carries its API key, shown once."""
    api_key = registration_key(request, idempotency, "brand")
    return idempotency.run(
        lambda: service.register_brand(session=session, data=body, api_key=api_key),
        redact=lambda body: {**body, "api_key": None},
        restore=lambda body: {**body, "api_key": api_key},
    )


@router.patch("/me", response_model=BrandPublic)
def update_my_brand(body: BrandUpdate, brand: CurrentBrand, session: SessionDep) -> BrandPublic:
    row = service.get_brand(session=session, brand_id=brand.id)
    return service.to_public(service.update_brand(session=session, brand=row, data=body))
