"""What this deployment knows, fixed at start-up: the tokens it takes and the addresses no one
may be paid at.

A token the escrow has never seen (`0x0…0`, an address without a contract, a fake ERC-20) lets a
deal be signed that can never be funded, or shows "payouts" that are worth nothing. A payee at the
escrow's own address is credited to the escrow forever; the zero address makes funding revert.
So every token and payee a client sends is checked against this context, and payout totals count
only the tokens it knows, in their own units.

The context is built once in the app's lifespan (`deployment_at_start`); routes receive it as
`DeploymentDep` and hand it to the services that check what a client sent, like the settings.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated

from fastapi import Depends, Request

from api.core.errors import InvalidInput
from api.core.runtime import StartupError
from api.core.settings import Settings
from api.kit.types import ETH

log = logging.getLogger(__name__)

ZERO_ADDRESS = "0x" + "00" * 20


@dataclass(frozen=True)
class KnownToken:
    """A token deals may be made in. `decimals` and `symbol` are read from the chain; they are
    None only when no chain answered at start-up."""

    token: str
    symbol: str | None
    decimals: int | None

    def human(self, amount: int) -> str | None:
        """The amount in whole tokens as an exact decimal string ("1.5"), or None without
        decimals."""
        if self.decimals is None:
            return None
        value = Decimal(amount).scaleb(-self.decimals)
        text = f"{value:f}"
        return text.rstrip("0").rstrip(".") if "." in text else text


ETHER = KnownToken(token=ETH, symbol="ETH", decimals=18)


@dataclass(frozen=True)
class Deployment:
    tokens: Mapping[str, KnownToken] = field(default_factory=lambda: {ETH: ETHER})
    # address -> what it is, to say why it is refused
    reserved: Mapping[str, str] = field(default_factory=lambda: {ZERO_ADDRESS: "the zero address"})

    def known(self, token: str) -> KnownToken | None:
        return self.tokens.get(token)

    def token_error(self, token: str) -> str | None:
        if token in self.tokens:
            return None
        return f"{token} is not a token this deployment takes; use one of " + ", ".join(self.tokens)

    def payee_error(self, address: str) -> str | None:
        what = self.reserved.get(address)
        return f"{address} is {what}: it cannot be paid" if what else None

    def check(
        self,
        *,
        tokens: Iterable[tuple[str, str]] = (),
        payees: Iterable[tuple[str, str]] = (),
    ) -> None:
        """Raise one 422 naming every (field, token) that is unknown and every (field, address)
        that is reserved."""
        errors = [
            {"field": name, "message": message}
            for name, message in [(n, self.token_error(t)) for n, t in tokens]
            + [(n, self.payee_error(a)) for n, a in payees]
            if message
        ]
        if errors:
            detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
            raise InvalidInput(detail, errors=errors)


def configured_tokens(settings: Settings) -> dict[str, str]:
    """ERC-20 address -> the setting that names it."""
    tokens: dict[str, str] = {}
    if settings.stablecoin_address:
        tokens[settings.stablecoin_address] = "STABLECOIN_ADDRESS"
    for address in settings.token_addresses:
        tokens.setdefault(address, "TOKEN_ADDRESSES")
    return tokens


def load_deployment(settings: Settings, w3=None) -> Deployment:
    """Tokens and reserved addresses from the settings, token metadata from the chain.

    With a node (`w3`), each configured ERC-20 must answer `decimals()` and `symbol()` and the
    configured platform fee must be within the escrow's cap, or the server refuses to start
    (StartupError naming the setting). Without one, the configured addresses are still the only
    tokens taken, without their metadata.
    """
    erc20s = configured_tokens(settings)
    tokens: dict[str, KnownToken] = {ETH: ETHER}
    for address, setting in erc20s.items():
        symbol, decimals = _token_metadata(w3, address, setting) if w3 else (None, None)
        tokens[address] = KnownToken(token=address, symbol=symbol, decimals=decimals)
    reserved = {ZERO_ADDRESS: "the zero address"}
    if settings.escrow_address:
        reserved[settings.escrow_address] = "the escrow contract"
    if settings.splitter_factory_address:
        reserved[settings.splitter_factory_address] = "the splitter factory contract"
    for address in erc20s:
        reserved[address] = "a token contract"
    if w3 and settings.escrow_address:
        check_platform_fee(settings, w3)
    return Deployment(tokens=tokens, reserved=reserved)


def _token_metadata(w3, address: str, setting: str) -> tuple[str, int]:
    from web3.exceptions import Web3Exception

    from contracts import bindings
    from contracts.errors import ContractRevert

    if not w3.eth.get_code(address):
        raise StartupError(setting, f"no contract at {address} on chain {w3.eth.chain_id}")
    token = bindings.Erc20(w3, address)
    try:
        decimals, symbol = int(token.decimals()), str(token.symbol())
    except (ContractRevert, Web3Exception, ValueError, OverflowError) as exc:  # not an ERC-20
        raise StartupError(
            setting, f"{address} does not answer decimals() and symbol(): {type(exc).__name__}"
        ) from None
    if not 0 <= decimals <= 77:
        raise StartupError(setting, f"{address} claims {decimals} decimals")
    return symbol, decimals


def check_platform_fee(settings: Settings, w3) -> None:
    """Offers carry PLATFORM_FEE_BPS into the signed terms; above the escrow's cap every deal
    would revert at funding, after the creator signed."""
    from contracts import bindings

    escrow = bindings.EscrowContract(w3, settings.escrow_address)
    cap = int(escrow.platform_fee_cap_bps())
    maximum = int(escrow.contract.functions.MAX_PLATFORM_FEE_BPS().call())
    if settings.platform_fee_bps > min(cap, maximum):
        raise StartupError(
            "PLATFORM_FEE_BPS",
            f"{settings.platform_fee_bps} is above the escrow's platform fee cap "
            f"({cap} bps now, {maximum} bps at most) at {settings.escrow_address}",
        )


def deployment_at_start(settings: Settings, chain) -> Deployment:
    """The lifespan's entry: a node that does not answer at start-up leaves the server up (it
    answers 503 on chain routes) with the configured tokens, without their metadata."""
    from api.chain.client import NODE_DOWN_ERRORS

    if chain is None:
        return load_deployment(settings)
    try:
        chain.w3.eth.chain_id  # noqa: B018 - the cheapest question that proves the node answers
    except NODE_DOWN_ERRORS:
        log.warning("the chain node did not answer at start-up: token metadata unknown")
        return load_deployment(settings)
    return load_deployment(settings, chain.w3)


async def get_deployment(request: Request) -> Deployment:
    return request.app.state.deployment


DeploymentDep = Annotated[Deployment, Depends(get_deployment)]
