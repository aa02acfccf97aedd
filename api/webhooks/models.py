"""Webhook endpoints, the deliveries owed to them and each attempt made."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import JSON, Column, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlmodel import Field as DBField
from sqlmodel import SQLModel

from api.events.models import EventType
from api.kit.time import utcnow

PING = "webhook.ping"
DeliveryStatus = Literal["pending", "succeeded", "failed"]
EXCERPT_CHARS = 500  # of a receiver's answer: enough to debug, too little to hoard


class WebhookEndpoint(SQLModel, table=True):
    __tablename__ = "webhook_endpoint"
    __table_args__ = (UniqueConstraint("owner_id", "url"),)

    id: str = DBField(primary_key=True, max_length=40)
    owner_id: str = DBField(max_length=40, index=True)
    url: str = DBField(max_length=2000)
    description: str = DBField(default="", max_length=500)
    event_types: list[str] = DBField(default_factory=list, sa_column=Column(JSON, nullable=False))
    enabled: bool = True
    disabled_reason: str | None = DBField(default=None, max_length=500)
    # The signing secret must be readable to sign; it is never shown after creation/rotation.
    secret: str = DBField(max_length=100)
    previous_secret: str | None = DBField(default=None, max_length=100)
    previous_secret_expires_at: datetime | None = None
    created_at: datetime = DBField(default_factory=utcnow)
    updated_at: datetime = DBField(default_factory=utcnow)


class WebhookDelivery(SQLModel, table=True):
    """One message owed to one endpoint. `message_id` is the `webhook-id` of every attempt
    (the event's id), so a receiver can drop a message it already handled."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (UniqueConstraint("endpoint_id", "message_id"),)

    seq: int | None = DBField(default=None, sa_column=Column(Integer, primary_key=True))
    id: str = DBField(max_length=40, unique=True)
    endpoint_id: str = DBField(
        sa_column=Column(
            String(40),
            ForeignKey("webhook_endpoint.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    message_id: str = DBField(max_length=40)
    event_type: str = DBField(max_length=40)
    payload: str = DBField(sa_column=Column(Text, nullable=False))
    status: str = DBField(default="pending", max_length=20, index=True)
    attempts: int = 0
    next_attempt_at: datetime = DBField(default_factory=utcnow, index=True)
    lease_token: str | None = DBField(default=None, max_length=40)
    lease_until: datetime | None = None
    last_status_code: int | None = None
    last_error: str | None = DBField(default=None, max_length=500)
    delivered_at: datetime | None = None
    created_at: datetime = DBField(default_factory=utcnow)
    updated_at: datetime = DBField(default_factory=utcnow)


class WebhookAttempt(SQLModel, table=True):
    __tablename__ = "webhook_attempt"

    id: int | None = DBField(default=None, primary_key=True)
    delivery_seq: int = DBField(
        sa_column=Column(
            Integer,
            ForeignKey("webhook_delivery.seq", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    attempted_at: datetime = DBField(default_factory=utcnow)
    status_code: int | None = None
    error: str | None = DBField(default=None, max_length=500)
    response_excerpt: str | None = DBField(default=None, max_length=EXCERPT_CHARS)
    duration_ms: int


class WebhookEndpointCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        min_length=1,
        max_length=2000,
        description="http(s) URL of a public host (loopback only when WEBHOOK_ALLOW_LOOPBACK)",
    )
    event_types: list[EventType] = Field(
        default_factory=list, max_length=50, description="the types to send; empty = all"
    )
    description: str = Field(default="", max_length=500)
    enabled: bool = True


class WebhookEndpointUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, min_length=1, max_length=2000)
    event_types: list[EventType] | None = Field(default=None, max_length=50)
    description: str | None = Field(default=None, max_length=500)
    enabled: bool | None = Field(
        default=None, description="true re-enables an endpoint disabled after failures"
    )


class WebhookEndpointPublic(BaseModel):
    id: str
    url: str
    description: str
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime


class WebhookEndpointWithSecret(WebhookEndpointPublic):
    secret: str | None = Field(
        description="whsec_...: verifies the `webhook-signature` header; shown once"
    )


class WebhookAttemptPublic(BaseModel):
    attempted_at: datetime
    status_code: int | None
    error: str | None
    response_excerpt: str | None
    duration_ms: int


class WebhookDeliveryPublic(BaseModel):
    id: str
    endpoint_id: str
    message_id: str = Field(description="the `webhook-id` header: the same on every attempt")
    event_type: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime
    payload: dict[str, Any]
    attempt_log: list[WebhookAttemptPublic]
