from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from api.chain.client import ChainDep
from api.collaborations.service import get_collaboration
from api.core.auth import CurrentPrincipal
from api.core.db import SessionDep, UnitOfWorkRoute
from api.core.openapi import errors
from api.settlements import service
from api.settlements.models import SettlementBody, SettlementPublic

router = APIRouter(tags=["settlements"], route_class=UnitOfWorkRoute)
MilestoneQuery = Annotated[int, Query(ge=0, lt=2**31, description="the milestone's index")]


@router.get(
    "/v1/collaborations/{collaboration_id}/settlement",
    response_model=SettlementPublic,
    responses=errors(403, 404, 409, 422, 503),
)
def get_settlement(
    collaboration_id: str,
    chain: ChainDep,
    principal: CurrentPrincipal,
    session: SessionDep,
    payee_share_bps: Annotated[
        int | None,
        Query(ge=0, le=10_000, description="a split to sign: the payees' share in basis points"),
    ] = None,
    milestone: MilestoneQuery = 0,
) -> SettlementPublic:
    """A disputed milestone's settlement: each party's signed split; with `payee_share_bps`,
    the EIP-712 `Settlement` the brand or the creator signs (eth_signTypedData_v4) and POSTs
    here. Its deadline is when the dispute rule starts to apply, the same for both."""
    row = get_collaboration(session=session, principal=principal, collaboration_id=collaboration_id)
    return service.settlement_view(
        session=session,
        chain=chain,
        principal=principal,
        collaboration=row,
        milestone=milestone,
        payee_share_bps=payee_share_bps,
    )


@router.post(
    "/v1/collaborations/{collaboration_id}/settlement",
    response_model=SettlementPublic,
    responses=errors(403, 404, 409, 422, 503),
)
def post_settlement(
    collaboration_id: str,
    body: SettlementBody,
    request: Request,
    chain: ChainDep,
    principal: CurrentPrincipal,
    session: SessionDep,
) -> SettlementPublic:
    """Record the brand's or the creator's signed split. A party's new split replaces its
    earlier one; once both signed the same split the platform's relayer submits `settle`
    (paying the gas only) and the answer carries its `tx_hash`. A repeat of the signature that
    ended the dispute answers the same; anything else after it is 409."""
    row = get_collaboration(session=session, principal=principal, collaboration_id=collaboration_id)
    return service.propose(
        session=session,
        chain=chain,
        settings=request.app.state.settings,
        principal=principal,
        collaboration=row,
        body=body,
    )


@router.post(
    "/v1/collaborations/{collaboration_id}/dispute-rule",
    response_model=SettlementPublic,
    responses=errors(403, 404, 409, 422, 503),
)
def post_dispute_rule(
    collaboration_id: str,
    request: Request,
    chain: ChainDep,
    principal: CurrentPrincipal,
    session: SessionDep,
    milestone: MilestoneQuery = 0,
) -> SettlementPublic:
    """Once the dispute deadline has passed, the platform's relayer applies the rule in the
    deal's terms (`applyDisputeRule`, gas only): any party may ask, a repeat answers the same.
    409 before the deadline, with `applies_at` (unix time)."""
    row = get_collaboration(session=session, principal=principal, collaboration_id=collaboration_id)
    return service.apply_dispute_rule(
        session=session,
        chain=chain,
        settings=request.app.state.settings,
        principal=principal,
        collaboration=row,
        milestone=milestone,
    )
