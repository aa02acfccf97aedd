"""Gas of the deal lifecycle and of a splitter distribution, against plain transfers.

The floor is what a trusting brand would spend paying the four payees directly: four plain
transfers, sent to the same (existing, already funded) accounts as the escrow pays, measured in the
same run. Used by ``bench/gas.py`` (prints the table) and by the tests (hold the budgets).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from contracts.bindings import DealTerms, Erc20, SplitterContract, send
from tests.contracts.env import ONE_ETH, ONE_USD, Actor, Env

SHARES_BPS = (7000, 1000, 1000, 1000)  # creator, two designers, one charity


@dataclass
class Scenario:
    name: str
    steps: list[tuple[str, int]] = field(default_factory=list)
    floor: int = 0
    floor_label: str = ""

    @property
    def total(self) -> int:
        return sum(gas for _, gas in self.steps)

    @property
    def ratio(self) -> float:
        return self.total / self.floor


def _gas(receipt) -> int:
    return int(receipt["gasUsed"])


def plain_eth_transfers(env: Env, sender: Actor, payees: tuple[str, ...], amount: int) -> int:
    return sum(
        _gas(
            send(
                env.w3,
                {"to": p, "data": "0x", "value": amount, "chainId": env.chain_id},
                sender.key,
            )
        )
        for p in payees
    )


def plain_token_transfers(
    env: Env, token: Erc20, sender: Actor, payees: tuple[str, ...], amount: int
) -> int:
    return sum(_gas(send(env.w3, token.build_transfer(p, amount), sender.key)) for p in payees)


def deal_lifecycle(env: Env, terms: DealTerms) -> list[tuple[str, int]]:
    steps: list[tuple[str, int]] = []
    signature = env.sign(terms)
    if not terms.is_eth:
        token = Erc20(env.w3, terms.token)
        send(env.w3, token.build_mint(env.brand.address, terms.amount), env.brand.key)
        approve = send(env.w3, token.build_approve(env.escrow.address, terms.amount), env.brand.key)
        steps.append(("token approve (allowance)", _gas(approve)))
    create = send(env.w3, env.escrow.build_create_deal(terms, signature), env.brand.key)
    steps.append(("createDeal + fund", _gas(create)))
    deliver = env.deliver(terms)
    steps.append(("markDelivered", _gas(deliver)))
    approve_deal = send(env.w3, env.escrow.build_approve(terms), env.brand.key)
    steps.append(("approve (release)", _gas(approve_deal)))
    return steps


def measure(env: Env) -> list[Scenario]:
    """Run every scenario on ``env``'s chain and return the figures."""
    payees = env.payees
    scenarios: list[Scenario] = []

    eth_floor = plain_eth_transfers(env, env.brand, payees, ONE_ETH // 4)
    for fee_bps in (0, 250):
        terms = env.terms(amount=ONE_ETH, shares_bps=SHARES_BPS, platform_fee_bps=fee_bps)
        label = "no platform fee" if fee_bps == 0 else f"{fee_bps / 100:g}% fee to the treasury"
        scenarios.append(
            Scenario(
                f"escrow, ETH, {label}",
                deal_lifecycle(env, terms),
                eth_floor,
                "4 plain ETH transfers",
            )
        )

    token = env.stablecoin
    # Payees already hold the token on both sides, so no side pays for first-time balances.
    for payee in payees:
        send(env.w3, token.build_mint(payee, 1), env.brand.key)
    send(env.w3, token.build_mint(env.brand.address, 1_000 * ONE_USD), env.brand.key)
    token_floor = plain_token_transfers(env, token, env.brand, payees, 25 * ONE_USD)
    terms = env.terms(
        token=token.address, amount=100 * ONE_USD, shares_bps=SHARES_BPS, platform_fee_bps=0
    )
    scenarios.append(
        Scenario(
            "escrow, stablecoin, no platform fee",
            deal_lifecycle(env, terms),
            token_floor,
            "4 plain ERC-20 transfers",
        )
    )

    splitter_address = env.factory.predict(payees, SHARES_BPS)
    created = send(env.w3, env.factory.build_create_splitter(payees, SHARES_BPS), env.other.key)
    splitter = SplitterContract(env.w3, splitter_address)
    send(
        env.w3,
        {"to": splitter_address, "data": "0x", "value": ONE_ETH, "chainId": env.chain_id},
        env.other.key,
    )
    distribute = send(env.w3, splitter.build_distribute("ETH"), env.other.key)
    scenarios.append(
        Scenario(
            "splitter distribute, ETH, 4 payees",
            [("distribute", _gas(distribute))],
            eth_floor,
            "4 plain ETH transfers",
        )
    )
    send(env.w3, token.build_mint(splitter_address, 100 * ONE_USD), env.other.key)
    distribute_token = send(env.w3, splitter.build_distribute(token.address), env.other.key)
    scenarios.append(
        Scenario(
            "splitter distribute, stablecoin, 4 payees",
            [("distribute", _gas(distribute_token))],
            token_floor,
            "4 plain ERC-20 transfers",
        )
    )
    scenarios.append(
        Scenario(
            "splitter creation (once per payee set)",
            [("createSplitter", _gas(created))],
            eth_floor,
            "4 plain ETH transfers",
        )
    )
    scenarios += collection_split(env, token)
    return scenarios


COLLECTION_SHARES_BPS = (3000, 3000, 1250, 1250, 1000, 500)  # the demo's collection split


def collection_split(env: Env, token: Erc20) -> list[Scenario]:
    """The co-branded collection's shape (`collab demo --collection`): six payees (two creators,
    two designers, a charity, the brand), ordered by address as the API sends them, paid in
    the stablecoin; against six plain ERC-20 transfers to the same (already holding) wallets."""
    wallets = sorted(
        (*env.payees, env.brand.address, env.stranger.address), key=lambda a: int(a, 16)
    )
    for wallet in wallets:
        send(env.w3, token.build_mint(wallet, 1), env.other.key)
    send(env.w3, token.build_mint(env.other.address, 1_000 * ONE_USD), env.other.key)
    floor = plain_token_transfers(env, token, env.other, tuple(wallets), 25 * ONE_USD)
    address = env.factory.predict(wallets, COLLECTION_SHARES_BPS)
    created = send(
        env.w3, env.factory.build_create_splitter(wallets, COLLECTION_SHARES_BPS), env.other.key
    )
    send(env.w3, token.build_transfer(address, 100 * ONE_USD + 7), env.other.key)
    distributed = send(
        env.w3, SplitterContract(env.w3, address).build_distribute(token.address), env.other.key
    )
    label = "6 plain ERC-20 transfers"
    return [
        Scenario(
            "collection split creation, 6 payees", [("createSplitter", _gas(created))], floor, label
        ),
        Scenario(
            "collection split distribute, stablecoin, 6 payees",
            [("distribute", _gas(distributed))],
            floor,
            label,
        ),
    ]


def format_report(scenarios: list[Scenario]) -> str:
    lines = []
    for scenario in scenarios:
        lines.append(scenario.name)
        for step, gas in scenario.steps:
            lines.append(f"  {step:<34}{gas:>10,}")
        lines.append(f"  {'total':<34}{scenario.total:>10,}")
        lines.append(
            f"  {'floor: ' + scenario.floor_label:<34}{scenario.floor:>10,}"
            f"   ratio {scenario.ratio:.2f}x"
        )
        lines.append("")
    return "\n".join(lines)
