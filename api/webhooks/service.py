"""Webhook endpoints (owned by a brand or creator) and the deliveries owed to them."""

from __future__ import annotations

import base64
import json
import secrets
from datetime import timedelta

from sqlalchemy import bindparam, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from api.core.auth import Principal
from api.core.db import on_commit
from api.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from api.core.settings import Settings
from api.events.models import Event, EventPublic
from api.kit.pagination import Page, PageParams, page_of, paginate
from api.kit.time import utcnow
from api.kit.types import new_id
from api.webhooks import wakeup
from api.webhooks.models import (
    PING,
    WebhookAttempt,
    WebhookAttemptPublic,
    WebhookDelivery,
    WebhookDeliveryPublic,
    WebhookEndpoint,
    WebhookEndpointCreate,
    WebhookEndpointPublic,
    WebhookEndpointUpdate,
    WebhookEndpointWithSecret,
)
from api.webhooks.safety import require_safe

MAX_ENDPOINTS = 10  # per account
ROTATION_GRACE = timedelta(hours=24)  # the old secret still signs, beside the new one


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def payload_of(event: Event) -> str:
    """The exact body every attempt of this event's deliveries sends (and signs)."""
    body = EventPublic.of(event).model_dump(mode="json")
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def endpoints_wanting(session: Session, *, type: str, accounts: list[str]) -> list[str]:  # noqa: A002
    """The ids of the enabled endpoints of these accounts that want events of this type."""
    if not accounts:
        return []
    endpoints = session.exec(_ENABLED_ENDPOINTS, params={"accounts": accounts}).all()
    return [id_ for id_, types in endpoints if not types or type in types]


# Built once: every change that emits an event runs it.
_ENABLED_ENDPOINTS = select(WebhookEndpoint.id, WebhookEndpoint.event_types).where(
    WebhookEndpoint.owner_id.in_(bindparam("accounts", expanding=True)),
    WebhookEndpoint.enabled.is_(True),
)


def enqueue(session: Session, *, event: Event, endpoints: list[str]) -> None:
    """A delivery of the event to each of these endpoints (`endpoints_wanting`)."""
    if not endpoints:
        return
    payload = payload_of(event)
    for endpoint_id in endpoints:
        session.add(
            WebhookDelivery(
                id=new_id("whd"),
                endpoint_id=endpoint_id,
                message_id=event.id,
                event_type=event.type,
                payload=payload,
            )
        )
    on_commit(session, wakeup.notify)


# ------------------------------------------------------------------------------ endpoints


def _owner(principal: Principal) -> str:
    if principal.role not in ("brand", "creator"):
        raise Forbidden("webhook endpoints belong to brand and creator accounts")
    return principal.id


def to_public(endpoint: WebhookEndpoint) -> WebhookEndpointPublic:
    return WebhookEndpointPublic(
        id=endpoint.id,
        url=endpoint.url,
        description=endpoint.description,
        event_types=endpoint.event_types,
        enabled=endpoint.enabled,
        disabled_reason=endpoint.disabled_reason,
        created_at=endpoint.created_at,
        updated_at=endpoint.updated_at,
    )


def with_secret(endpoint: WebhookEndpoint) -> WebhookEndpointWithSecret:
    return WebhookEndpointWithSecret(**to_public(endpoint).model_dump(), secret=endpoint.secret)


def without_secret(body: dict) -> dict:
    """What an idempotent replay answers: the endpoint, never its secret again."""
    return {**body, "secret": None}


def create_endpoint(
    *, session: Session, settings: Settings, principal: Principal, data: WebhookEndpointCreate
) -> WebhookEndpointWithSecret:
    owner = _owner(principal)
    require_safe(data.url, allow_loopback=settings.webhook_allow_loopback)
    count = len(
        session.exec(select(WebhookEndpoint.id).where(WebhookEndpoint.owner_id == owner)).all()
    )
    if count >= MAX_ENDPOINTS:
        raise Conflict(f"an account has at most {MAX_ENDPOINTS} webhook endpoints")
    endpoint = WebhookEndpoint(
        id=new_id("whe"),
        owner_id=owner,
        url=data.url,
        description=data.description,
        event_types=list(dict.fromkeys(data.event_types)),
        enabled=data.enabled,
        secret=new_secret(),
    )
    _insert(session, endpoint)
    return with_secret(endpoint)


def _insert(session: Session, endpoint: WebhookEndpoint) -> None:
    try:
        with session.begin_nested():
            session.add(endpoint)
            session.flush()
    except IntegrityError:
        raise Conflict(f"this account already has an endpoint for {endpoint.url}") from None


def get_endpoint(*, session: Session, principal: Principal, endpoint_id: str) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.owner_id != _owner(principal):
        raise NotFound(f"webhook endpoint {endpoint_id} not found")
    return endpoint


def list_endpoints(*, session: Session, principal: Principal, params: PageParams) -> Page:
    statement = select(WebhookEndpoint).where(WebhookEndpoint.owner_id == _owner(principal))
    rows = list(session.exec(paginate(statement, WebhookEndpoint.id, params)))
    return page_of(rows, params, to_public)


def update_endpoint(
    *,
    session: Session,
    settings: Settings,
    endpoint: WebhookEndpoint,
    data: WebhookEndpointUpdate,
) -> WebhookEndpointPublic:
    changes = data.model_dump(exclude_unset=True)
    nulls = [name for name, value in changes.items() if value is None]
    if nulls:
        raise InvalidInput(
            f"{', '.join(nulls)} cannot be null; omit a field to keep it",
            errors=[{"field": name, "message": "null"} for name in nulls],
        )
    if "url" in changes:
        require_safe(changes["url"], allow_loopback=settings.webhook_allow_loopback)
    if "event_types" in changes:
        changes["event_types"] = list(dict.fromkeys(changes["event_types"]))
    if changes.get("enabled"):
        changes["disabled_reason"] = None
    for name, value in changes.items():
        setattr(endpoint, name, value)
    endpoint.updated_at = utcnow()
    try:
        with session.begin_nested():
            session.add(endpoint)
            session.flush()
    except IntegrityError:
        raise Conflict(f"this account already has an endpoint for {endpoint.url}") from None
    if changes.get("enabled"):
        on_commit(session, wakeup.notify)
    return to_public(endpoint)


def delete_endpoint(*, session: Session, endpoint: WebhookEndpoint) -> None:
    """The endpoint, its deliveries and their attempts (cascades in the schema)."""
    session.delete(endpoint)
    session.flush()


def rotate_secret(*, session: Session, endpoint: WebhookEndpoint) -> WebhookEndpointWithSecret:
    """A new secret; the old one keeps signing beside it (a second `v1,` signature) for 24 h.
    Compare-and-set: of two rotations at once one wins, the other gets 409."""
    old, secret, now = endpoint.secret, new_secret(), utcnow()
    result = session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint.id, WebhookEndpoint.secret == old)
        .values(
            secret=secret,
            previous_secret=old,
            previous_secret_expires_at=now + ROTATION_GRACE,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict("the secret was rotated by another request at the same time; read it")
    session.refresh(endpoint)
    return with_secret(endpoint)


# ----------------------------------------------------------------------------- deliveries


def ping(*, session: Session, endpoint: WebhookEndpoint) -> WebhookDeliveryPublic:
    """A test message (`webhook.ping`) to this endpoint alone, sent like any other."""
    message_id = new_id("msg")
    body = {
        "id": message_id,
        "type": PING,
        "timestamp": utcnow().isoformat(),
        "data": {"endpoint_id": endpoint.id},
    }
    delivery = WebhookDelivery(
        id=new_id("whd"),
        endpoint_id=endpoint.id,
        message_id=message_id,
        event_type=PING,
        payload=json.dumps(body, separators=(",", ":")),
    )
    session.add(delivery)
    session.flush()
    on_commit(session, wakeup.notify)
    return delivery_public(session=session, delivery=delivery)


def get_delivery(
    *, session: Session, endpoint: WebhookEndpoint, delivery_id: str
) -> WebhookDelivery:
    delivery = session.exec(
        select(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id, WebhookDelivery.endpoint_id == endpoint.id
        )
    ).first()
    if delivery is None:
        raise NotFound(f"delivery {delivery_id} not found")
    return delivery


def list_deliveries(
    *, session: Session, endpoint: WebhookEndpoint, status: str | None, params: PageParams
) -> Page:
    statement = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
    if status:
        statement = statement.where(WebhookDelivery.status == status)
    rows = list(session.exec(paginate(statement, WebhookDelivery.id, params)))
    return page_of(rows, params, lambda row: delivery_public(session=session, delivery=row))


def redeliver(*, session: Session, delivery: WebhookDelivery) -> WebhookDeliveryPublic:
    """Send the same message again (same `webhook-id` and body), with a fresh retry schedule.
    A worker holding the old lease can no longer record its result."""
    now = utcnow()
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.seq == delivery.seq)
        .values(
            status="pending",
            attempts=0,
            next_attempt_at=now,
            lease_token=None,
            lease_until=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    session.refresh(delivery)
    on_commit(session, wakeup.notify)
    return delivery_public(session=session, delivery=delivery)


def delivery_public(*, session: Session, delivery: WebhookDelivery) -> WebhookDeliveryPublic:
    attempts = session.exec(
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_seq == delivery.seq)
        .order_by(WebhookAttempt.id)
    ).all()
    return WebhookDeliveryPublic(
        id=delivery.id,
        endpoint_id=delivery.endpoint_id,
        message_id=delivery.message_id,
        event_type=delivery.event_type,
        status=delivery.status,
        attempts=delivery.attempts,
        next_attempt_at=delivery.next_attempt_at if delivery.status == "pending" else None,
        last_status_code=delivery.last_status_code,
        last_error=delivery.last_error,
        delivered_at=delivery.delivered_at,
        created_at=delivery.created_at,
        payload=json.loads(delivery.payload),
        attempt_log=[
            WebhookAttemptPublic(
                attempted_at=a.attempted_at,
                status_code=a.status_code,
                error=a.error,
                response_excerpt=a.response_excerpt,
                duration_ms=a.duration_ms,
            )
            for a in attempts
        ],
    )
