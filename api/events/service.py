"""Writing events (inside the caller's unit of work) and reading the caller's events.

`emit` stages an event in the caller's unit of work; it is written when that commits, with the
webhook deliveries it owes (a transactional outbox: an event exists exactly when its change does,
and the worker sends the deliveries after the commit). Events get their `seq` in the order their
transactions commit, so a client that reads past an event never misses an earlier one committed
later. A client reads its own events (those whose audience it is in), so that order only has to
hold per reader: on PostgreSQL the writing takes a transaction-level advisory lock per account
in the audience (always in one order, so two writers never wait for each other in a cycle),
held to the commit; SQLite has one writer at a time already. Written at the commit, the events
hold those locks for two inserts and the commit, not for the rest of the request; and changes
seen by different accounts never wait for each other, in any API process. Which webhook endpoints
want an event is read when it is emitted, so a route that emits before it writes (an offer)
holds SQLite's one write lock for its inserts alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from sqlalchemy import event as sa_event
from sqlalchemy import insert, or_
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, select

from api.brands.models import Brand
from api.core.auth import Principal
from api.core.db import advisory_xact_lock, new_row
from api.core.errors import Forbidden, InvalidInput
from api.creators.models import Creator
from api.events.models import Event, EventAudience, EventPublic
from api.kit.pagination import Page, PageParams
from api.kit.types import new_id


def reader_lock(account_id: str) -> str:
    """The name of the advisory lock that orders this account's events."""
    return f"events:{account_id}"


def emit(
    session: Session,
    *,
    type: str,  # noqa: A002  (the event's type, as the API names it)
    resource_type: str,
    resource_id: str,
    data: BaseModel | dict[str, Any],
    audience: Iterable[str | None],
) -> None:
    """Record an event and the deliveries it owes when the caller's unit of work commits."""
    from api.webhooks.service import endpoints_wanting

    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json")
    session.connection()  # in a transaction, so that a rollback drops the event (below)
    accounts = sorted({account for account in audience if account})
    staged = session.info.setdefault(STAGED, [])
    # a plain row: written as such at the commit (below), never read back through the session
    event = new_row(
        Event,
        id=new_id("evt"),
        type=type,
        resource_type=resource_type,
        resource_id=resource_id,
        data=data,
    )
    staged.append((event, accounts, endpoints_wanting(session, type=type, accounts=accounts)))


STAGED = "collab_events"


def latest_data(session: Session, *, type: str, resource_id: str) -> dict | None:  # noqa: A002
    """The data of the latest event of this type about this resource, counting those this unit
    of work has emitted but not written yet (None: there is none)."""
    for event, *_ in reversed(session.info.get(STAGED, [])):
        if event.type == type and event.resource_id == resource_id:
            return event.data
    return session.exec(
        select(Event.data)
        .where(Event.type == type, Event.resource_id == resource_id)
        .order_by(Event.seq.desc())
    ).first()


@sa_event.listens_for(OrmSession, "before_commit")
def _write_staged(session: OrmSession) -> None:
    """The staged events, in the order they were emitted, right before the commit. What does
    not need the order (the webhook deliveries, which name the event by its id) is written
    before the lock, so that it is held for two inserts and the commit. The events and their
    audience go in as plain INSERTs: nothing reads them back through this session."""
    from api.webhooks.service import enqueue

    staged = session.info.pop(STAGED, None)
    if not staged:
        return
    for event, _, endpoints in staged:
        enqueue(session, event=event, endpoints=endpoints)
    session.flush()
    advisory_xact_lock(
        session, *sorted({reader_lock(a) for _, accounts, _ in staged for a in accounts})
    )
    audience = []
    for event, accounts, _ in staged:
        event.seq = session.execute(_INSERT_EVENT, _event_row(event)).scalar_one()
        audience += [{"account_id": account, "event_seq": event.seq} for account in accounts]
    if audience:
        session.execute(_INSERT_AUDIENCE, audience)


_INSERT_EVENT = insert(Event).returning(Event.seq)
_INSERT_AUDIENCE = insert(EventAudience)
_EVENT_COLUMNS = [column.key for column in Event.__table__.columns if column.key != "seq"]


def _event_row(event: Event) -> dict:
    return {name: getattr(event, name) for name in _EVENT_COLUMNS}


@sa_event.listens_for(OrmSession, "after_transaction_end")
def _drop_staged(session: OrmSession, transaction) -> None:
    """A unit of work that ends without committing takes its events with it."""
    if transaction.parent is None:
        session.info.pop(STAGED, None)


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
