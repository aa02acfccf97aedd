"""Domain events: an append-only log written in the same transaction as the change it tells."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import JSON, Column, ForeignKey, Integer
from sqlmodel import Field as DBField
from sqlmodel import SQLModel

from api.kit.time import utcnow

EventType = Literal[
    "offer.sent",
    "offer.screened_out",
    "offer.countered",
    "offer.accepted",
    "offer.declined",
    "offer.expired",
    "collaboration.funded",
    "collaboration.delivered",
    "collaboration.approved",
    "collaboration.released",
    "collaboration.refunded",
    "collaboration.disputed",
    "collaboration.settlement_proposed",
    "collaboration.resolved",
    "payout.paid",
    "payout.credited",
    "split.distributed",
]
EVENT_TYPES: tuple[str, ...] = EventType.__args__
ResourceType = Literal["offer", "collaboration", "payout", "split"]


class Event(SQLModel, table=True):
    """One thing that happened. `seq` orders events as their transactions committed (see
    `events.service.emit`); `id` is what clients and webhook receivers see."""

    seq: int | None = DBField(default=None, sa_column=Column(Integer, primary_key=True))
    id: str = DBField(max_length=40, unique=True)
    type: str = DBField(max_length=40, index=True)
    resource_type: str = DBField(max_length=20)
    resource_id: str = DBField(max_length=80)
    data: dict[str, Any] = DBField(sa_column=Column(JSON, nullable=False))
    created_at: datetime = DBField(default_factory=utcnow)


class EventAudience(SQLModel, table=True):
    """Who may see an event: the brand and creator ids the resource's reads allow."""

    __tablename__ = "event_audience"

    account_id: str = DBField(primary_key=True, max_length=40)
    event_seq: int = DBField(
        sa_column=Column(
            Integer, ForeignKey("event.seq", ondelete="CASCADE"), primary_key=True, index=True
        )
    )


class EventPublic(BaseModel):
    """An event as `GET /v1/events` lists it and as a webhook delivers it."""

    id: str = Field(description="stable; a webhook delivery's `webhook-id`")
    type: EventType
    timestamp: datetime
    resource_type: ResourceType
    resource_id: str
    data: dict[str, Any] = Field(description="the resource as its own GET showed it then")

    @classmethod
    def of(cls, event: Event) -> EventPublic:
        return cls(
            id=event.id,
            type=event.type,
            timestamp=event.created_at,
            resource_type=event.resource_type,
            resource_id=event.resource_id,
            data=event.data,
        )
