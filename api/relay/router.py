from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from api.chain.client import ChainDep
from api.collaborations.service import get_collaboration
from api.core.auth import CurrentCreator
from api.core.db import SessionDep, UnitOfWorkRoute
from api.core.openapi import errors
from api.offers.models import MAX_MILESTONES
from api.relay import service
from api.relay.models import RelayBody, RelayResult

router = APIRouter(tags=["relay"], route_class=UnitOfWorkRoute)


@router.get(
    "/v1/collaborations/{collaboration_id}/relay/deliver",
    responses=errors(404, 409, 422, 503),
)
def get_deliver_typed_data(
    collaboration_id: str,
    chain: ChainDep,
    creator: CurrentCreator,
    session: SessionDep,
    deliverable: Annotated[
        str, Query(min_length=1, max_length=2000, description="link to the delivered work")
    ],
    milestone: Annotated[
        int, Query(ge=0, lt=MAX_MILESTONES, description="the milestone delivered")
    ] = 0,
) -> dict:
    """For the deal's creator: the EIP-712 `Deliver` of one milestone (0 by default) to sign so
    that a relayer sends the delivery (the creator needs no ETH). Its nonce is the creator's
    current one on the escrow."""
    row = get_collaboration(session=session, principal=creator, collaboration_id=collaboration_id)
    return service.deliver_typed_data(
        chain=chain, collaboration=row, deliverable=deliverable, milestone=milestone
    )


@router.post(
    "/v1/collaborations/{collaboration_id}/relay",
    responses=errors(404, 409, 422, 503),
    response_model=RelayResult,
)
def relay(
    collaboration_id: str,
    body: RelayBody,
    request: Request,
    chain: ChainDep,
    creator: CurrentCreator,
    session: SessionDep,
) -> RelayResult:
    """Submit the creator's signed delivery from the platform's relayer, which pays the gas
    only (it never holds deal money). Each creator has a budget of relayed transactions per
    day and per minute (429 beyond); one relay per deal action and milestone (409 for a second
    one)."""
    row = get_collaboration(session=session, principal=creator, collaboration_id=collaboration_id)
    return service.relay(
        session=session,
        chain=chain,
        settings=request.app.state.settings,
        collaboration=row,
        body=body,
    )
