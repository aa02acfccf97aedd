from __future__ import annotations

from sqlmodel import Session

from api.brands.models import Brand, BrandCreate, BrandPublic, BrandRegistered, BrandUpdate
from api.core.auth import hash_api_key, new_api_key
from api.core.deployment import check_inputs
from api.core.errors import NotFound
from api.kit.time import utcnow
from api.kit.types import new_id


def to_public(brand: Brand) -> BrandPublic:
    return BrandPublic.model_validate(brand, from_attributes=True)


def register_brand(
    *, session: Session, data: BrandCreate, api_key: str | None = None
) -> BrandRegistered:
    check_inputs(payees=[("wallet", data.wallet)])
    api_key = api_key or new_api_key("brand")
    brand = Brand(
        id=new_id("brd"),
        name=data.name,
        description=data.description,
        wallet=data.wallet,
        values=data.values,
        practices=data.practices,
        api_key_hash=hash_api_key(api_key),
    )
    session.add(brand)
    session.flush()
    return BrandRegistered(**to_public(brand).model_dump(), api_key=api_key)


def get_brand(*, session: Session, brand_id: str) -> Brand:
    brand = session.get(Brand, brand_id)
    if brand is None:
        raise NotFound("brand not found")
    return brand


def update_brand(*, session: Session, brand: Brand, data: BrandUpdate) -> Brand:
    # The brand funds deals from this wallet and is refunded to it: never a reserved address.
    if data.wallet is not None:
        check_inputs(payees=[("wallet", data.wallet)])
    for field, value in data.model_dump(exclude_unset=True).items():
        if value is None:
            continue
        setattr(brand, field, value)
    brand.updated_at = utcnow()
    session.add(brand)
    session.flush()
    return brand
