"""Export and erasure of an account's personal data (GDPR Art. 15, 20 and 17).

Erasure keeps what accounting and the chain require (see `KEPT_ON_ERASURE`) and waits until no
deal of the account can still move money: a funded, delivered or disputed deal, or one whose
creator signature the escrow would still accept, is settled first (409 naming them). After that,
nothing the API could build for those deals depends on the texts erasure changes.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import Table, and_, delete, or_, select, update
from sqlmodel import Session, SQLModel

from api.brands import service as brands
from api.brands.models import Brand
from api.collaborations.models import UNFUNDED, Collaboration
from api.core.auth import KEY_PREFIX, Principal, Role, hash_api_key
from api.core.db import on_commit
from api.core.errors import Conflict
from api.core.principals import forget_principal
from api.creators import service as creators
from api.creators.models import Creator
from api.kit.time import utcnow
from api.match_index import SharedIndex
from api.me.models import AccountExport, AccountRef, ErasureReport, KeyMetadata
from api.me.personal import (
    DELETED_ON_ERASURE,
    PERSONAL,
    SECRET_COLUMNS,
    identifying_values,
    is_text,
    rows_of,
    scrub,
    tombstone,
)
from api.offers.models import Offer
from api.requests.models import CollabRequest

ACCOUNT_MODELS: dict[Role, type[Brand] | type[Creator]] = {"brand": Brand, "creator": Creator}
IN_FLIGHT = ("funded", "delivered", "disputed")
NEGOTIATING = ("sent", "countered")  # offers still waiting for an answer


def _profile(session: Session, role: Role, account_id: str) -> dict:
    if role == "brand":
        public = brands.to_public(brands.get_brand(session=session, brand_id=account_id))
    else:
        public = creators.to_public(creators.get_creator(session=session, creator_id=account_id))
    return public.model_dump(mode="json")


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):  # e.g. the matching engine's embedding of a profile
        return base64.b64encode(value).decode()
    return to_jsonable_python(value)


def export_account(*, session: Session, principal: Principal) -> AccountExport:
    role, account_id = principal.role, principal.id
    found = rows_of(session=session, role=role, account_id=account_id)
    exported: dict[str, list[dict]] = {}
    for table in SQLModel.metadata.sorted_tables:
        rows = found.get(table.name)
        if not rows:
            continue
        hidden = SECRET_COLUMNS.get(table.name, set())
        exported[table.name] = [
            {key: _jsonable(value) for key, value in row.items() if key not in hidden}
            for _, row in sorted(rows.items(), key=lambda item: [str(part) for part in item[0]])
        ]
    account = found[role][(account_id,)]
    return AccountExport(
        account=AccountRef(role=role, id=account_id),
        exported_at=utcnow(),
        profile=_profile(session, role, account_id),
        api_key=KeyMetadata(
            prefix=KEY_PREFIX[role],
            stored_as="SHA-256 digest of the key (neither is ever exported)",
            last_changed_at=account["updated_at"],
        ),
        tables=exported,
    )


def find_erased(*, session: Session, api_key: str) -> Principal | None:
    """The account this (revoked) key belonged to, when erasure revoked it."""
    mark = tombstone(hash_api_key(api_key))
    for role, model in ACCOUNT_MODELS.items():
        account_id = session.execute(
            select(model.id).where(model.api_key_hash == mark)
        ).scalar_one_or_none()
        if account_id is not None:
            return Principal(role=role, id=account_id)
    return None


def erased_report(*, session: Session, principal: Principal) -> ErasureReport:
    """What a repeated DELETE answers: the same account, already erased."""
    account = session.get(ACCOUNT_MODELS[principal.role], principal.id)
    return ErasureReport(
        account=AccountRef(role=principal.role, id=principal.id),
        erased_at=account.updated_at,
        already_erased=True,
    )


def _require_settled(session: Session, role: Role, account_id: str, now: datetime) -> None:
    party = Collaboration.brand_id if role == "brand" else Collaboration.creator_id
    # A cancelled or drafted deal can still be funded on chain while the signature lasts.
    open_deals = session.execute(
        select(Collaboration.id, Collaboration.status).where(
            party == account_id,
            or_(
                Collaboration.status.in_(IN_FLIGHT),
                and_(
                    Collaboration.status.in_(UNFUNDED),
                    Collaboration.signature_expiry >= int(now.timestamp()),
                ),
            ),
        )
    ).all()
    if open_deals:
        listed = ", ".join(f"{deal_id} ({status})" for deal_id, status in open_deals)
        raise Conflict(
            "erasure waits until no deal can still move money: release, refund or resolve "
            "funded deals; a drafted deal must be cancelled by the brand and its signature "
            f"expire, or expire unfunded. Still open: {listed}",
            collaborations=[deal_id for deal_id, _ in open_deals],
        )


def _close_business(session: Session, role: Role, account_id: str, now: datetime) -> int:
    """No new business with an erased account: its offers under negotiation are cancelled
    and, for a brand, its requests closed. Returns how many offers were cancelled."""
    party = Offer.brand_id if role == "brand" else Offer.creator_id
    cancelled = session.execute(
        update(Offer)
        .where(party == account_id, Offer.status.in_(NEGOTIATING))
        .values(status="cancelled", updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if role == "brand":
        session.execute(
            update(CollabRequest)
            .where(CollabRequest.brand_id == account_id)
            .values(status="closed")
            .execution_options(synchronize_session=False)
        )
    return cancelled or 0


def _changes(table: Table, row: dict, *, role: Role, own: bool, words: list[str]) -> dict:
    """What erasure writes in one row: the personal columns of the account's role get their
    neutral value, and every other text is scrubbed of the account's identifying values."""
    changes = {
        name: rule.erased(row, table.c[name])
        for name, rule in PERSONAL.get(table.name, {}).items()
        if name in table.c and rule.applies(role, own_row=own)
    }
    for column in table.c:
        value = changes.get(column.name, row[column.name])
        if value is None or not is_text(column):
            continue
        # A rule's result is scrubbed too: an event's copy of an offer keeps its contract text.
        if (scrubbed := scrub(value, words)) != row[column.name]:
            changes[column.name] = scrubbed
    return changes


def erase_account(*, session: Session, index: SharedIndex, principal: Principal) -> ErasureReport:
    role, account_id = principal.role, principal.id
    now = utcnow()
    _require_settled(session, role, account_id, now)
    cancelled = _close_business(session, role, account_id, now)
    found = rows_of(session=session, role=role, account_id=account_id)
    words = identifying_values(role, found[role][(account_id,)])
    anonymised: dict[str, int] = {}
    deleted: dict[str, int] = {}
    for table in SQLModel.metadata.sorted_tables:
        keys = list(table.primary_key.columns)
        for key, row in found.get(table.name, {}).items():
            where = [column == value for column, value in zip(keys, key, strict=True)]
            if table.name in DELETED_ON_ERASURE:
                session.execute(delete(table).where(*where))
                deleted[table.name] = deleted.get(table.name, 0) + 1
                continue
            own = table.name == role and key == (account_id,)
            changes = _changes(table, row, role=role, own=own, words=words)
            if own:
                changes["api_key_hash"] = tombstone(row["api_key_hash"])  # the key stops here
                changes["updated_at"] = now
            if changes:
                session.execute(update(table).where(*where).values(**changes))
                anonymised[table.name] = anonymised.get(table.name, 0) + 1
    session.expire_all()  # ORM objects loaded earlier (by auth, say) would show the old values
    forget_principal(session, account_id)
    if role == "creator":
        on_commit(session, lambda: index.delete(account_id))
    return ErasureReport(
        account=AccountRef(role=role, id=account_id),
        erased_at=now,
        already_erased=False,
        anonymised=anonymised,
        deleted=deleted,
        cancelled_offers=cancelled,
    )
