from __future__ import annotations

from typing import Annotated

from eth_utils import is_address, to_checksum_address
from fastapi import APIRouter, Path, Query, Request

from api.chain.client import ChainDep
from api.core.db import SessionDep, UnitOfWorkRoute
from api.core.deployment import Deployment, DeploymentDep
from api.core.errors import InvalidInput
from api.core.openapi import errors
from api.kit.types import ETH
from api.payouts import service
from api.relay import service as relay_service
from api.relay.models import WithdrawBody, WithdrawResult

router = APIRouter(prefix="/v1/wallets", tags=["payouts"], route_class=UnitOfWorkRoute)
WalletPath = Annotated[str, Path(max_length=42, description="any Ethereum address")]
# Payout ids are a 32-bit serial on PostgreSQL: a larger cursor must be a 422, not an overflow.
MAX_PAYOUT_ID = 2**31 - 1


def _wallet(address: str, field: str = "address") -> str:
    if not is_address(address):
        raise InvalidInput(
            f"{address!r} is not an Ethereum address",
            errors=[{"field": field, "message": "not an Ethereum address"}],
        )
    return to_checksum_address(address)


@router.get("/{address}/payouts")
def wallet_payouts(
    address: WalletPath,
    deployment: DeploymentDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[int | None, Query(ge=1, le=MAX_PAYOUT_ID)] = None,
) -> dict:
    """Payouts a wallet received (or was credited), from chain events: public, like the chain.
    Totals count only the tokens this deployment knows, in exact units and in whole tokens."""
    return service.wallet_payouts(
        session=session,
        deployment=deployment,
        wallet=_wallet(address),
        limit=limit,
        cursor=cursor,
    )


@router.get("/{address}/credits", responses=errors(503))
def wallet_credits(
    address: WalletPath,
    deployment: DeploymentDep,
    chain: ChainDep,
    session: SessionDep,
    to: Annotated[
        str | None,
        Query(max_length=42, description="also build withdrawTo(token, to) transactions"),
    ] = None,
) -> dict:
    """What the escrow holds for this wallet after a failed push, with the withdraw
    transaction to send from it (and, with `to`, one that pays another address)."""
    if to is not None:
        to = _wallet(to, "query.to")
        if problem := deployment.payee_error(to):
            raise InvalidInput(f"to: {problem}", errors=[{"field": "query.to", "message": problem}])
    return service.wallet_credits(session=session, chain=chain, wallet=_wallet(address), to=to)


def _token(token: str) -> str:
    return ETH if token.upper() == ETH else _wallet(token, "token")


def _withdraw_to(deployment: Deployment, to: str, field: str) -> str:
    to = _wallet(to, field)
    if problem := deployment.payee_error(to):
        raise InvalidInput(f"to: {problem}", errors=[{"field": field, "message": problem}])
    return to


@router.get("/{address}/credits/withdrawal", responses=errors(409, 422, 503))
def get_withdrawal(
    address: WalletPath,
    deployment: DeploymentDep,
    chain: ChainDep,
    token: Annotated[str, Query(max_length=42, description='"ETH" or the token address')],
    to: Annotated[str, Query(max_length=42, description="where the credit goes")],
) -> dict:
    """A credited wallet's EIP-712 `Withdraw` of its whole credit in `token` to `to`: signed
    and POSTed back, the platform's relayer sends it, so the wallet needs no ETH (a wallet that
    refuses ETH sends it elsewhere with `to`). 409 when there is nothing to withdraw."""
    return relay_service.withdraw_typed_data(
        chain=chain,
        wallet=_wallet(address),
        token=_token(token),
        to=_withdraw_to(deployment, to, "query.to"),
    )


@router.post(
    "/{address}/credits/withdrawal",
    responses=errors(409, 422, 503),
    response_model=WithdrawResult,
)
def post_withdrawal(
    address: WalletPath,
    body: WithdrawBody,
    request: Request,
    deployment: DeploymentDep,
    chain: ChainDep,
    session: SessionDep,
) -> WithdrawResult:
    """Send the wallet's signed `Withdraw` from the platform's relayer (gas only). The wallet's
    signature is the authorisation; the relay counts against the budget of the creator whose
    deal credited it (429 beyond), once per signed withdrawal (409 for a second post)."""
    return relay_service.relay_withdrawal(
        session=session,
        chain=chain,
        settings=request.app.state.settings,
        wallet=_wallet(address),
        body=body,
        token=_token(body.token),
        to=_withdraw_to(deployment, body.to, "to"),
    )
