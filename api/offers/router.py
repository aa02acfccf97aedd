from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.core.auth import CurrentBrand, CurrentCreator, CurrentPrincipal
from api.core.db import SessionDep, UnitOfWorkRoute
from api.core.deployment import DeploymentDep
from api.core.openapi import errors
from api.core.settings import SettingsDep
from api.kit.idempotency import IdempotencyDep
from api.kit.pagination import Page, PageDep
from api.match_index import IndexDep
from api.offers import service
from api.offers.models import CounterCreate, OfferCreate, OfferDecline, OfferPublic, OfferStatus
from api.requests.service import get_own_request

router = APIRouter(tags=["offers"], route_class=UnitOfWorkRoute)


@router.post(
    "/v1/requests/{request_id}/offers",
    responses=errors(404, 409),
    status_code=201,
    response_model=OfferPublic,
)
def create_offer(
    request_id: str,
    body: OfferCreate,
    settings: SettingsDep,
    deployment: DeploymentDep,
    brand: CurrentBrand,
    session: SessionDep,
    index: IndexDep,
    idempotency: IdempotencyDep,
):
    """Offer a deal to one creator. Their screening policy applies at once: the answer is
    `sent`, or `screened_out` with the reasons. One open (sent or accepted) offer per creator
    and request, enforced by the database: another one is a 409, until the open one is declined,
    expires or its collaboration is cancelled."""
    collab_request = get_own_request(session=session, brand=brand, request_id=request_id)
    return idempotency.run(
        lambda: service.create_offer(
            session=session,
            index=index,
            settings=settings,
            deployment=deployment,
            brand=brand,
            collab_request=collab_request,
            data=body,
        )
    )


@router.get("/v1/offers", response_model=Page[OfferPublic])
def list_offers(
    principal: CurrentPrincipal,
    session: SessionDep,
    page: PageDep,
    status: Annotated[OfferStatus | None, Query()] = None,
) -> Page[OfferPublic]:
    """A brand's sent offers, or a creator's inbox. `status` filters by the status the offers
    show now: a sent offer past `expires_at` is `expired`, and so is an accepted one whose deal
    was not funded before the signature expired. Offers the creator's screening policy
    declined never reach the inbox; `status=screened_out` lists them for the creator, each with
    its reasons (the dealbreaker and the brand practice it met, a value conflict, or an
    alignment below the creator's bar)."""
    return service.list_offers(session=session, principal=principal, status=status, params=page)


@router.get("/v1/offers/{offer_id}", responses=errors(404), response_model=OfferPublic)
def get_offer(offer_id: str, principal: CurrentPrincipal, session: SessionDep) -> OfferPublic:
    offer = service.get_visible_offer(session=session, principal=principal, offer_id=offer_id)
    return service.to_public(offer, session=session)


@router.post(
    "/v1/offers/{offer_id}/decline", responses=errors(404, 409), response_model=OfferPublic
)
def decline_offer(
    offer_id: str, creator: CurrentCreator, session: SessionDep, body: OfferDecline | None = None
) -> OfferPublic:
    """Decline a sent offer. Compare-and-set: racing an accept, exactly one wins; the other
    gets 409 with the offer's state."""
    offer = service.get_inbox_offer(session=session, creator=creator, offer_id=offer_id)
    return service.decline_offer(session=session, offer=offer, reason=body.reason if body else None)


@router.post(
    "/v1/offers/{offer_id}/counter",
    responses=errors(404, 409),
    status_code=201,
    response_model=OfferPublic,
)
def counter_offer(
    offer_id: str,
    body: CounterCreate,
    settings: SettingsDep,
    principal: CurrentPrincipal,
    session: SessionDep,
    idempotency: IdempotencyDep,
):
    """Answer with new terms (amount, deliverables, deliver_by, usage rights; omitted = kept):
    the creator counters a `sent` offer (it becomes `countered`), the brand counters a
    `countered` one (it is `sent` again). Each counter is a new, immutable version with its
    own terms text, deal salt and expiry; `versions` on the offer is the whole history.
    A creator then signs its counter (GET /v1/offers/{id}/typed-data, POST
    /v1/offers/{id}/counter/signature) for the brand to accept it; a brand's counter is
    accepted by the creator like any offer. Compare-and-set: racing an accept or decline,
    one wins and the other gets 409."""
    offer = service.get_visible_offer(session=session, principal=principal, offer_id=offer_id)
    return idempotency.run(
        lambda: service.counter_offer(
            session=session, settings=settings, principal=principal, offer=offer, data=body
        )
    )


@router.post(
    "/v1/offers/{offer_id}/counter/decline",
    responses=errors(404, 409),
    response_model=OfferPublic,
)
def decline_counter(
    offer_id: str, brand: CurrentBrand, session: SessionDep, body: OfferDecline | None = None
) -> OfferPublic:
    """The brand declines the creator's counter: the offer is `declined` (with the reason)."""
    offer = service.get_own_offer(session=session, brand=brand, offer_id=offer_id)
    return service.decline_counter(
        session=session, offer=offer, reason=body.reason if body else None
    )
