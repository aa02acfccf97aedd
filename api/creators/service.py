from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from api.charities.service import resolve_pick
from api.core.auth import hash_api_key, new_api_key
from api.core.db import on_commit
from api.core.deployment import Deployment
from api.core.errors import Conflict, InvalidInput, NotFound
from api.core.principals import forget_principal
from api.creators.models import (
    Creator,
    CreatorCreate,
    CreatorInterpretations,
    CreatorPublic,
    CreatorRegistered,
    CreatorUpdate,
    check_creator,
)
from api.kit.time import utcnow
from api.kit.types import new_id
from api.legal.models import IDENTITY_FIELDS
from api.match_index import SharedIndex, creator_profile, stored_meaning, stored_phrases
from api.values.models import readings
from api.values.service import profile_language, read_fields, with_spared

NULLABLE = frozenset({"operator", *IDENTITY_FIELDS})


def to_public(creator: Creator) -> CreatorPublic:
    interpretations = CreatorInterpretations(
        values=readings(creator.value_phrases),
        dealbreakers=readings(with_spared(creator.value_phrases, creator.dealbreaker_phrases)),
    )
    return CreatorPublic.model_validate(
        {**creator.model_dump(), "interpretations": interpretations}
    )


def read_values(fields: dict, *, languages: list[str]) -> dict:
    """Replace the `values` and `dealbreakers` phrases in ``fields`` by what is stored: the
    phrases with their readings, and the slugs derived from them (values: causes of the value
    phrases; dealbreakers: practices the dealbreaker phrases refuse, "no alcohol" included)."""
    roles = {
        "values": ("value", "value_phrases"),
        "dealbreakers": ("dealbreaker", "dealbreaker_phrases"),
    }
    return read_fields(fields, roles, lang=profile_language(languages))


def check_tokens_and_payees(fields: dict, deployment: Deployment) -> None:
    """Minimum fees only in tokens the deployment takes; no payee at a reserved address (the
    zero address, the escrow, a token contract): its share would be lost or block the deal."""
    split = fields.get("split") or {}
    payees = [("wallet", fields["wallet"])] if fields.get("wallet") else []
    for group in ("designers", "charities"):
        payees += [
            (f"split.{group}.{index}.wallet", payee["wallet"])
            for index, payee in enumerate(split.get(group) or [])
            if payee.get("wallet")
        ]
    tokens = [
        (f"min_fees.{index}.token", fee["token"])
        for index, fee in enumerate(fields.get("min_fees") or [])
    ]
    deployment.check(tokens=tokens, payees=payees)


def resolve_charities(session: Session, fields: dict) -> dict:
    """The split's charities as stored: each resolved against the registry (its id, name and
    wallet), verified or explicitly accepted unverified by the creator."""
    split = fields.get("split")
    if not split:
        return fields
    charities = [
        resolve_pick(session=session, pick=pick, field=f"split.charities.{index}")
        for index, pick in enumerate(split.get("charities") or [])
    ]
    wallets = [p["wallet"] for p in split.get("designers", []) + charities]
    if len(set(wallets)) != len(wallets) or fields.get("wallet") in wallets:
        raise InvalidInput(
            "split: each designer and charity needs its own wallet, apart from the creator's",
            errors=[{"field": "split.charities", "message": "a wallet appears twice"}],
        )
    return {**fields, "split": {**split, "charities": charities}}


def _sync_index(session: Session, index: SharedIndex, creator: Creator) -> None:
    creator.meaning = stored_meaning(creator)
    creator.phrases = stored_phrases(creator)
    profile = creator_profile(creator)
    on_commit(session, lambda: index.upsert(profile))


def creator_id_of_handle(*, session: Session, handle: str) -> str | None:
    """The creator with this handle, whatever its case (handles are unique regardless of it)."""
    handle = handle.removeprefix("@")
    return session.exec(
        select(Creator.id).where(func.lower(Creator.handle) == handle.lower())
    ).first()


def register_creator(
    *,
    session: Session,
    index: SharedIndex,
    deployment: Deployment,
    data: CreatorCreate,
    api_key: str | None = None,
) -> CreatorRegistered:
    if creator_id_of_handle(session=session, handle=data.handle):
        raise Conflict(f"the handle {data.handle!r} is taken")
    fields = data.model_dump(mode="json")
    check_tokens_and_payees(fields, deployment)
    fields = resolve_charities(session, fields)
    fields = read_values(fields, languages=data.languages)
    api_key = api_key or new_api_key("creator")
    creator = Creator(id=new_id("crt"), api_key_hash=hash_api_key(api_key), **fields)
    session.add(creator)
    session.flush()
    _sync_index(session, index, creator)
    return CreatorRegistered(**to_public(creator).model_dump(), api_key=api_key)


def get_creator(*, session: Session, creator_id: str) -> Creator:
    creator = session.get(Creator, creator_id)
    if creator is None:
        raise NotFound("creator not found")
    return creator


def update_creator(
    *,
    session: Session,
    index: SharedIndex,
    deployment: Deployment,
    creator: Creator,
    data: CreatorUpdate,
) -> Creator:
    # An explicit null clears only what may be empty (the operator, the legal identity);
    # elsewhere it is ignored.
    changes = {
        field: value
        for field, value in data.model_dump(mode="json", exclude_unset=True).items()
        if value is not None or field in NULLABLE
    }
    try:
        check_creator(to_public(creator).model_dump(mode="json") | changes)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    check_tokens_and_payees(changes, deployment)
    changes = resolve_charities(session, {"wallet": creator.wallet} | changes)
    changes = read_values(changes, languages=changes.get("languages", creator.languages))
    for field, value in changes.items():
        setattr(creator, field, value)
    creator.updated_at = utcnow()
    session.add(creator)
    session.flush()
    if "wallet" in changes:  # the cached principal carries it
        forget_principal(session, creator.id)
    _sync_index(session, index, creator)
    return creator
