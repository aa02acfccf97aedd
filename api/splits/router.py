from __future__ import annotations

from fastapi import APIRouter

from api.chain.client import ChainDep
from api.core.auth import CurrentPrincipal
from api.core.db import SessionDep, UnitOfWorkRoute
from api.core.deployment import DeploymentDep
from api.core.openapi import errors
from api.kit.idempotency import IdempotencyDep
from api.kit.pagination import Page, PageDep
from api.splits import service
from api.splits.models import SplitConsentData, SplitCreate, SplitDeclaration, SplitPublic

router = APIRouter(prefix="/v1/splits", tags=["splits"], route_class=UnitOfWorkRoute)


@router.post("", responses=errors(403, 409, 503), status_code=201, response_model=SplitPublic)
def declare_split(
    body: SplitCreate,
    principal: CurrentPrincipal,
    session: SessionDep,
    chain: ChainDep,
    deployment: DeploymentDep,
    idempotency: IdempotencyDep,
):
    """Declare a revenue split (a creator it pays, or a brand with the signed consent of every
    creator it pays): the predicted splitter address and the unsigned creation transaction."""
    return idempotency.run(
        lambda: service.declare_split(
            session=session, chain=chain, deployment=deployment, principal=principal, data=body
        )
    )


@router.post("/consent", responses=errors(403, 503), response_model=SplitConsentData)
def consent_data(
    body: SplitDeclaration,
    principal: CurrentPrincipal,
    session: SessionDep,
    chain: ChainDep,
    deployment: DeploymentDep,
) -> SplitConsentData:
    """Preview a payee set: its splitter address, payees in contract order, and the EIP-712
    consent each creator it pays signs (creates nothing)."""
    return service.consent_data(
        session=session, chain=chain, deployment=deployment, principal=principal, data=body
    )


@router.get("", response_model=Page[SplitPublic])
def list_splits(
    principal: CurrentPrincipal,
    session: SessionDep,
    chain: ChainDep,
    deployment: DeploymentDep,
    page: PageDep,
) -> Page[SplitPublic]:
    """The splits the caller declared (balances: read one split)."""
    return service.list_splits(
        session=session, chain=chain, deployment=deployment, principal=principal, params=page
    )


@router.get("/{split_id}", responses=errors(404, 503), response_model=SplitPublic)
def get_split(
    split_id: str, session: SessionDep, chain: ChainDep, deployment: DeploymentDep
) -> SplitPublic:
    """A split, public like its splitter: payees, what each received, the balance held per
    token and the unsigned `distribute` transaction anyone may send."""
    split = service.get_split(session=session, split_id=split_id)
    return service.to_public(session=session, chain=chain, deployment=deployment, split=split)
