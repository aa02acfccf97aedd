from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.core.auth import CurrentPrincipal
from api.core.db import SessionDep, UnitOfWorkRoute
from api.core.openapi import errors
from api.core.settings import SettingsDep
from api.kit.idempotency import IdempotencyDep
from api.kit.pagination import Page, PageDep
from api.webhooks import service
from api.webhooks.models import (
    DeliveryStatus,
    WebhookDeliveryPublic,
    WebhookEndpointCreate,
    WebhookEndpointPublic,
    WebhookEndpointUpdate,
    WebhookEndpointWithSecret,
)

router = APIRouter(prefix="/v1/webhook-endpoints", tags=["webhooks"], route_class=UnitOfWorkRoute)
NO_STORE = {"Cache-Control": "no-store"}


@router.post(
    "", responses=errors(403, 409), status_code=201, response_model=WebhookEndpointWithSecret
)
def create_endpoint(
    body: WebhookEndpointCreate,
    settings: SettingsDep,
    principal: CurrentPrincipal,
    session: SessionDep,
    idempotency: IdempotencyDep,
):
    """Register an endpoint for the account's events (all types, or `event_types`). The answer
    holds the signing `secret`, shown once (null in an idempotent replay). Deliveries follow
    Standard Webhooks: `webhook-id` (the event id, the same on every retry), `webhook-timestamp`
    and `webhook-signature` (HMAC-SHA256). The URL must be http(s) on a public address."""
    return idempotency.run(
        lambda: service.create_endpoint(
            session=session, settings=settings, principal=principal, data=body
        ),
        redact=service.without_secret,
        headers=NO_STORE,
    )


@router.get("", responses=errors(403), response_model=Page[WebhookEndpointPublic])
def list_endpoints(
    principal: CurrentPrincipal, session: SessionDep, page: PageDep
) -> Page[WebhookEndpointPublic]:
    return service.list_endpoints(session=session, principal=principal, params=page)


@router.get("/{endpoint_id}", responses=errors(403, 404), response_model=WebhookEndpointPublic)
def get_endpoint(
    endpoint_id: str, principal: CurrentPrincipal, session: SessionDep
) -> WebhookEndpointPublic:
    endpoint = service.get_endpoint(session=session, principal=principal, endpoint_id=endpoint_id)
    return service.to_public(endpoint)


@router.patch(
    "/{endpoint_id}", responses=errors(403, 404, 409), response_model=WebhookEndpointPublic
)
def update_endpoint(
    endpoint_id: str,
    body: WebhookEndpointUpdate,
    settings: SettingsDep,
    principal: CurrentPrincipal,
    session: SessionDep,
) -> WebhookEndpointPublic:
    """Change the URL, the event types or the description; `enabled: true` re-enables an
    endpoint disabled after a message failed every retry (its pending messages resume)."""
    endpoint = service.get_endpoint(session=session, principal=principal, endpoint_id=endpoint_id)
    return service.update_endpoint(session=session, settings=settings, endpoint=endpoint, data=body)


@router.delete("/{endpoint_id}", responses=errors(403, 404), status_code=204)
def delete_endpoint(endpoint_id: str, principal: CurrentPrincipal, session: SessionDep) -> Response:
    """The endpoint goes, with its delivery log; nothing more is sent to it."""
    endpoint = service.get_endpoint(session=session, principal=principal, endpoint_id=endpoint_id)
    service.delete_endpoint(session=session, endpoint=endpoint)
    return Response(status_code=204)


@router.post(
    "/{endpoint_id}/rotate-secret",
    responses=errors(403, 404, 409),
    response_model=WebhookEndpointWithSecret,
)
def rotate_secret(
    endpoint_id: str, principal: CurrentPrincipal, session: SessionDep, response: Response
) -> WebhookEndpointWithSecret:
    """A new secret, shown once. For 24 hours deliveries carry two signatures (new and old
    secret), so a receiver can switch without losing a message."""
    endpoint = service.get_endpoint(session=session, principal=principal, endpoint_id=endpoint_id)
    response.headers.update(NO_STORE)
    return service.rotate_secret(session=session, endpoint=endpoint)


@router.post(
    "/{endpoint_id}/ping",
    responses=errors(403, 404),
    status_code=202,
    response_model=WebhookDeliveryPublic,
)
def ping(
    endpoint_id: str, principal: CurrentPrincipal, session: SessionDep
) -> WebhookDeliveryPublic:
    """Send a test message (`webhook.ping`) to this endpoint; its delivery shows the outcome."""
    endpoint = service.get_endpoint(session=session, principal=principal, endpoint_id=endpoint_id)
    return service.ping(session=session, endpoint=endpoint)


@router.get(
    "/{endpoint_id}/deliveries",
    responses=errors(403, 404),
    response_model=Page[WebhookDeliveryPublic],
)
def list_deliveries(
    endpoint_id: str,
    principal: CurrentPrincipal,
    session: SessionDep,
    page: PageDep,
    status: Annotated[DeliveryStatus | None, Query()] = None,
) -> Page[WebhookDeliveryPublic]:
    """The delivery log, newest first: each message, its status, and every attempt (status
    code, error, the first 500 characters of the answer, duration)."""
    endpoint = service.get_endpoint(session=session, principal=principal, endpoint_id=endpoint_id)
    return service.list_deliveries(session=session, endpoint=endpoint, status=status, params=page)


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/redeliver",
    responses=errors(403, 404),
    status_code=202,
    response_model=WebhookDeliveryPublic,
)
def redeliver(
    endpoint_id: str, delivery_id: str, principal: CurrentPrincipal, session: SessionDep
) -> WebhookDeliveryPublic:
    """Send a message again, same `webhook-id` and body, with a fresh retry schedule."""
    endpoint = service.get_endpoint(session=session, principal=principal, endpoint_id=endpoint_id)
    delivery = service.get_delivery(session=session, endpoint=endpoint, delivery_id=delivery_id)
    return service.redeliver(session=session, delivery=delivery)
