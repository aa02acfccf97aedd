from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.core.auth import CurrentPrincipal
from api.core.db import SessionDep, UnitOfWorkRoute
from api.core.openapi import errors
from api.events import service
from api.events.models import EventPublic, EventType
from api.kit.pagination import Page, PageDep

router = APIRouter(tags=["events"], route_class=UnitOfWorkRoute)


@router.get("/v1/events", responses=errors(403), response_model=Page[EventPublic])
def list_events(
    principal: CurrentPrincipal,
    session: SessionDep,
    page: PageDep,
    type: Annotated[list[EventType] | None, Query(description="only these types")] = None,  # noqa: A002
) -> Page[EventPublic]:
    """The caller's events, oldest first: what happened to its offers, collaborations and
    payouts, each with the resource as it was then. To catch up after downtime, pass the id of
    the last event handled as `cursor` (and keep the last id of a page without `next_cursor`
    for the next poll). Webhooks deliver the same events (`webhook-id` is the event's id)."""
    return service.list_events(session=session, principal=principal, types=type, params=page)
