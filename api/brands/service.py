from __future__ import annotations

from sqlmodel import Session

from api.brands.models import (
    Brand,
    BrandCreate,
    BrandInterpretations,
    BrandPublic,
    BrandRegistered,
    BrandUpdate,
)
from api.core.auth import hash_api_key, new_api_key
from api.core.deployment import Deployment
from api.core.errors import NotFound
from api.core.principals import forget_principal
from api.kit.time import utcnow
from api.kit.types import new_id
from api.legal.models import IDENTITY_FIELDS
from api.values.models import readings
from api.values.service import read_fields
from matching import detect_language


def to_public(brand: Brand) -> BrandPublic:
    interpretations = BrandInterpretations(
        values=readings(brand.value_phrases), practices=readings(brand.practice_phrases)
    )
    return BrandPublic.model_validate({**brand.model_dump(), "interpretations": interpretations})


def brand_language(*, name: str, description: str) -> str:
    """A brand names no language: its phrases default to that of its name and description."""
    return detect_language(f"{name}\n{description}")


def read_values(fields: dict, *, lang: str) -> dict:
    """Replace the `values` and `practices` phrases in ``fields`` by what is stored: the phrases
    with their readings, and the slugs derived from them (values: causes of the value phrases;
    practices: practices of the practice phrases that are not negated, so that "no palm oil"
    never makes palm oil a practice of the brand)."""
    roles = {"values": ("value", "value_phrases"), "practices": ("practice", "practice_phrases")}
    return read_fields(fields, roles, lang=lang)


def register_brand(
    *, session: Session, deployment: Deployment, data: BrandCreate, api_key: str | None = None
) -> BrandRegistered:
    deployment.check(payees=[("wallet", data.wallet)])
    api_key = api_key or new_api_key("brand")
    lang = brand_language(name=data.name, description=data.description)
    brand = Brand(
        id=new_id("brd"),
        name=data.name,
        description=data.description,
        wallet=data.wallet,
        **data.model_dump(include=set(IDENTITY_FIELDS)),
        **read_values({"values": data.values, "practices": data.practices}, lang=lang),
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


def update_brand(
    *, session: Session, deployment: Deployment, brand: Brand, data: BrandUpdate
) -> Brand:
    # The brand funds deals from this wallet and is refunded to it: never a reserved address.
    if data.wallet is not None:
        deployment.check(payees=[("wallet", data.wallet)])
    # An explicit null clears a legal identity field; elsewhere it is ignored (those have values).
    changes = {
        field: value
        for field, value in data.model_dump(exclude_unset=True).items()
        if value is not None or field in IDENTITY_FIELDS
    }
    lang = brand_language(
        name=changes.get("name", brand.name),
        description=changes.get("description", brand.description),
    )
    for field, value in read_values(changes, lang=lang).items():
        setattr(brand, field, value)
    brand.updated_at = utcnow()
    session.add(brand)
    session.flush()
    if "wallet" in changes:  # the cached principal carries it
        forget_principal(session, brand.id)
    return brand
