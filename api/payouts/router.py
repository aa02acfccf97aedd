from __future__ import annotations

from typing import Annotated

from eth_utils import is_address, to_checksum_address
from fastapi import APIRouter, Path, Query, Request

from api.db import SessionDep
from api.errors import InvalidInput
from api.payouts import service

router = APIRouter(prefix="/v1/wallets", tags=["payouts"])
WalletPath = Annotated[str, Path(max_length=42, description="any Ethereum address")]


def _wallet(address: str) -> str:
    if not is_address(address):
        raise InvalidInput(f"{address!r} is not an Ethereum address")
    return to_checksum_address(address)


@router.get("/{address}/payouts")
def wallet_payouts(
    address: WalletPath,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[int | None, Query(ge=1)] = None,
) -> dict:
    """Payouts a wallet received (or was credited), from chain events: public, like the chain."""
    return service.wallet_payouts(
        session=session, wallet=_wallet(address), limit=limit, cursor=cursor
    )


@router.get("/{address}/credits")
def wallet_credits(address: WalletPath, request: Request, session: SessionDep) -> dict:
    """What the escrow holds for this wallet after a failed push, with the withdraw
    transaction to send from it."""
    return service.wallet_credits(
        session=session, chain=request.app.state.chain, wallet=_wallet(address)
    )
