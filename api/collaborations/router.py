from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.chain.client import ChainDep
from api.collaborations import service
from api.collaborations.models import (
    AcceptBody,
    AcceptResult,
    Action,
    CollaborationPublic,
    CollaborationStatus,
    TransactionPublic,
)
from api.core.auth import CurrentBrand, CurrentCreator, CurrentPrincipal
from api.core.db import SessionDep, UnitOfWorkRoute
from api.core.openapi import errors
from api.kit.idempotency import IdempotencyDep
from api.kit.pagination import Page, PageDep
from api.legal.service import collaboration_contract
from api.offers.models import MAX_MILESTONES, OfferPublic, SignatureBody
from api.offers.service import get_inbox_offer, get_own_offer, get_visible_offer

router = APIRouter(tags=["collaborations"], route_class=UnitOfWorkRoute)


@router.get("/v1/offers/{offer_id}/typed-data", responses=errors(404, 409, 503))
def get_typed_data(
    offer_id: str, chain: ChainDep, principal: CurrentPrincipal, session: SessionDep
) -> dict:
    """The EIP-712 deal terms of the offer's current version, to sign (eth_signTypedData_v4):
    for the addressed creator, a sent offer (to accept it) or its own counter (to sign it);
    for the brand, the creator's signed counter (to accept it)."""
    offer = get_visible_offer(session=session, principal=principal, offer_id=offer_id)
    return service.typed_data(session=session, chain=chain, offer=offer, principal=principal)


@router.post(
    "/v1/offers/{offer_id}/accept",
    responses=errors(404, 409, 503),
    status_code=201,
    response_model=AcceptResult,
)
def accept_offer(
    offer_id: str,
    body: AcceptBody,
    chain: ChainDep,
    creator: CurrentCreator,
    session: SessionDep,
    idempotency: IdempotencyDep,
):
    """Accept with the creator wallet's signature: offer `accepted`, collaboration `drafted`.

    The signature is checked exactly as the escrow will check it when the brand funds the deal:
    a high-s or v in {0, 1} signature is normalised (low s, v in {27, 28}) and stored so; then
    the whole `createDeal` is simulated, and a revert is a 422 naming it. Of parallel accepts
    and declines of one offer exactly one succeeds; the others get 409 with the offer's state
    (or, with the same Idempotency-Key, the replayed answer)."""
    offer = get_inbox_offer(session=session, creator=creator, offer_id=offer_id)

    return idempotency.run(
        lambda: service.accept_offer(
            session=session, chain=chain, offer=offer, signature=body.signature
        )
    )


@router.post(
    "/v1/offers/{offer_id}/counter/signature",
    responses=errors(404, 409, 503),
    response_model=OfferPublic,
)
def sign_counter(
    offer_id: str,
    body: SignatureBody,
    chain: ChainDep,
    creator: CurrentCreator,
    session: SessionDep,
) -> OfferPublic:
    """The creator signs its counter-offer: the signature of GET /v1/offers/{id}/typed-data,
    checked exactly as for an acceptance (normalised, verified as the escrow will). Once signed,
    the brand can accept the counter; a counter is signed once."""
    offer = get_inbox_offer(session=session, creator=creator, offer_id=offer_id)
    return service.sign_counter(session=session, chain=chain, offer=offer, signature=body.signature)


@router.post(
    "/v1/offers/{offer_id}/counter/accept",
    responses=errors(404, 409, 503),
    status_code=201,
    response_model=AcceptResult,
)
def accept_counter(
    offer_id: str,
    body: SignatureBody,
    chain: ChainDep,
    brand: CurrentBrand,
    session: SessionDep,
    idempotency: IdempotencyDep,
):
    """Accept the creator's signed counter with the brand wallet's EIP-712 signature of the same
    terms (GET /v1/offers/{id}/typed-data): offer `accepted`, collaboration `drafted` with the
    counter's terms, funded by the brand as any accepted offer. 409 when the counter is not
    signed yet, expired, or answered already (of racing answers one wins); 422 when the
    signature is not the brand wallet's over these terms."""
    offer = get_own_offer(session=session, brand=brand, offer_id=offer_id)
    return idempotency.run(
        lambda: service.accept_counter(
            session=session, chain=chain, offer=offer, signature=body.signature
        )
    )


@router.get("/v1/collaborations", response_model=Page[CollaborationPublic])
def list_collaborations(
    principal: CurrentPrincipal,
    session: SessionDep,
    page: PageDep,
    status: Annotated[CollaborationStatus | None, Query()] = None,
) -> Page[CollaborationPublic]:
    return service.list_collaborations(
        session=session, principal=principal, status=status, params=page
    )


@router.get(
    "/v1/collaborations/{collaboration_id}",
    responses=errors(404),
    response_model=CollaborationPublic,
)
def get_collaboration(
    collaboration_id: str, principal: CurrentPrincipal, session: SessionDep
) -> CollaborationPublic:
    row = service.get_collaboration(
        session=session, principal=principal, collaboration_id=collaboration_id
    )
    return service.to_public(session=session, collaboration=row)


@router.post(
    "/v1/collaborations/{collaboration_id}/cancel",
    response_model=CollaborationPublic,
    responses=errors(403, 404, 409),
)
def cancel_collaboration(
    collaboration_id: str, principal: CurrentPrincipal, session: SessionDep
) -> CollaborationPublic:
    """Cancel a deal the brand has not funded yet (status `drafted`): the collaboration and its
    offer become `cancelled`, and the brand may send that creator a new offer for the request.
    Only the collaboration's brand may cancel; 409 once it is funded or expired. If the deal is
    funded on chain all the same, the collaboration follows the chain and shows `funded`.

    A drafted deal also expires by itself: once the creator's signature has expired
    (`signature_expiry`, the offer's `expires_at`) it can no longer be funded and reads
    `expired`, and its offer too."""
    row = service.get_collaboration(
        session=session, principal=principal, collaboration_id=collaboration_id
    )
    return service.cancel_collaboration(session=session, principal=principal, collaboration=row)


@router.get(
    "/v1/collaborations/{collaboration_id}/transactions/{action}",
    response_model=TransactionPublic,
    responses=errors(403, 404, 409, 422, 503),
)
def get_transaction(
    collaboration_id: str,
    action: Action,
    chain: ChainDep,
    principal: CurrentPrincipal,
    session: SessionDep,
    deliverable: Annotated[
        str | None,
        Query(min_length=1, max_length=2000, description="deliver: link to the delivered work"),
    ] = None,
    payee_share_bps: Annotated[
        int | None, Query(ge=0, le=10_000, description="resolve: share for the payees")
    ] = None,
    permit_signature: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            description="fund: the brand's signature of GET /permit, to fund in one transaction",
        ),
    ] = None,
    milestone: Annotated[
        int,
        Query(
            ge=0,
            lt=MAX_MILESTONES,
            description="the milestone acted on (its index in `milestones`); fund ignores it",
        ),
    ] = 0,
) -> TransactionPublic:
    """The unsigned transaction for one action, for the party allowed to take it. Funding
    escrows the whole deal; every other action acts on one milestone (`milestone`, 0 by
    default), by that milestone's status and deadlines. A stablecoin deal is funded either
    after the ERC-20 approval listed in `requires`, or in one transaction with
    `permit_signature` (the brand's signature of GET .../permit)."""
    row = service.get_collaboration(
        session=session, principal=principal, collaboration_id=collaboration_id
    )
    return service.build_transaction(
        session=session,
        chain=chain,
        principal=principal,
        collaboration=row,
        action=action,
        deliverable=deliverable,
        payee_share_bps=payee_share_bps,
        permit_signature=permit_signature,
        milestone=milestone,
    )


@router.get(
    "/v1/collaborations/{collaboration_id}/permit",
    responses=errors(403, 404, 409, 422, 503),
)
def get_permit(
    collaboration_id: str, chain: ChainDep, principal: CurrentPrincipal, session: SessionDep
) -> dict:
    """For the brand of a drafted stablecoin deal: the token's EIP-2612 permit to sign
    (eth_signTypedData_v4) so that `transactions/fund?permit_signature=...` funds the deal in
    one transaction, without a separate approval. 409 for a token without permit."""
    row = service.get_collaboration(
        session=session, principal=principal, collaboration_id=collaboration_id
    )
    return service.permit_typed_data(chain=chain, principal=principal, collaboration=row)


@router.get(
    "/v1/collaborations/{collaboration_id}/contract",
    response_class=Response,
    responses={
        200: {
            "content": {"text/markdown": {"schema": {"type": "string"}}},
            "description": "the contract, FR and EN, as markdown",
        },
        **errors(403, 404),
    },
)
def get_contract(collaboration_id: str, principal: CurrentPrincipal, session: SessionDep):
    """The written contract of the deal (loi 2023-451 art. 8), for its brand and creator: the
    exact text whose keccak-256 hash is the signed `termsHash` (also in the `Terms-Hash`
    header, and in the collaboration as `terms_hash`)."""
    row = service.get_collaboration(
        session=session, principal=principal, collaboration_id=collaboration_id
    )
    text = collaboration_contract(session=session, principal=principal, collaboration=row)
    return Response(
        text,
        media_type="text/markdown; charset=utf-8",
        headers={
            "Terms-Hash": row.terms_hash,
            "Content-Disposition": f'attachment; filename="contract-{row.id}.md"',
        },
    )
