from __future__ import annotations

from typing import Annotated

from eth_utils import is_address, to_checksum_address
from fastapi import APIRouter, Path, Query

from api.chain.client import ChainDep
from api.core.db import SessionDep
from api.core.deployment import DeploymentDep
from api.core.errors import InvalidInput
from api.core.openapi import errors
from api.payouts import service

router = APIRouter(prefix="/v1/wallets", tags=["payouts"])
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
