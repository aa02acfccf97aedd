"""Writing events (inside the caller's unit of work) and reading the caller's events.

`emit` runs in the transaction that makes the change, so an event exists exactly when its
change does (a transactional outbox): the webhook deliveries it owes are written with it, and
the worker sends them after the commit. On PostgreSQL, `emit` takes a transaction-level
advisory lock first, so events get their `seq` in the order their transactions commit and a
client that reads past an event never misses an earlier one committed later; SQLite has one
writer at a time already.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from sqlalchemy import or_, text
from sqlmodel import Session, select

from api.brands.models import Brand
from api.core.auth import Principal
from api.core.errors import Forbidden, InvalidInput
from api.creators.models import Creator
from api.events.models import Event, EventAudience, EventPublic
from api.kit.pagination import Page, PageParams
from api.kit.types import new_id

EVENTS_LOCK = 0x636F6C6C  # any constant: the key of the advisory lock that orders events


def emit(
    session: Session,
    *,
    type: str,  # noqa: A002  (the event's type, as the API names it)
    resource_type: str,
    resource_id: str,
    data: BaseModel | dict[str, Any],
    audience: Iterable[str | None],
) -> Event:
    """Record an event and the deliveries it owes, in the caller's transaction."""
    from api.webhooks.service import enqueue

    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SELECT pg_advisory_xact_lock({EVENTS_LOCK})"))
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json")
    event = Event(
        id=new_id("evt"),
        type=type,
        resource_type=resource_type,
        resource_id=resource_id,
        data=data,
    )
    session.add(event)
    session.flush()
    accounts = sorted({account for account in audience if account})
    for account in accounts:
        session.add(EventAudience(account_id=account, event_seq=event.seq))
    enqueue(session, event=event, accounts=accounts)
    session.flush()
    return event


def wallet_accounts(session: Session, wallet: str) -> list[str]:
    """The brands and creators whose wallet this is (one wallet may hold several accounts)."""
    brands = session.exec(select(Brand.id).where(Brand.wallet == wallet)).all()
    creators = session.exec(select(Creator.id).where(Creator.wallet == wallet)).all()
    return [*brands, *creators]


def list_events(
    *, session: Session, principal: Principal, types: list[str] | None, params: PageParams
) -> Page[EventPublic]:
    """The caller's events, oldest first after `cursor` (the id of the last event handled)."""
    if principal.role not in ("brand", "creator"):
        raise Forbidden("events belong to brand and creator accounts")
    statement = (
        select(Event)
        .join(EventAudience, EventAudience.event_seq == Event.seq)
        .where(EventAudience.account_id == principal.id)
    )
    if params.cursor:
        after = session.exec(select(Event.seq).where(Event.id == params.cursor)).first()
        if after is None:
            raise InvalidInput(
                f"cursor {params.cursor} is not an event id",
                errors=[{"field": "cursor", "message": "unknown event id"}],
            )
        statement = statement.where(Event.seq > after)
    if types:
        statement = statement.where(or_(*(Event.type == kind for kind in types)))
    rows = list(session.exec(statement.order_by(Event.seq).limit(params.limit + 1)))
    has_more = len(rows) > params.limit
    rows = rows[: params.limit]
    return Page(
        items=[EventPublic.of(row) for row in rows],
        next_cursor=rows[-1].id if has_more else None,
    )
