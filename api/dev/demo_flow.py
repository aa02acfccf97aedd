"""`collab demo`: a brand, a virtual creator, two designers and a shelter, paid on a local chain.

Runs against a fresh local chain and a throwaway database, through the HTTP API as a client
would (in-process transport), signing with anvil's development keys as wallets would.
"""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import Session
from web3 import Web3

from api.app import create_app
from api.core.db import make_engine
from api.core.runtime import local_stack
from api.core.settings import Settings
from api.dev.demo import DemoAccount, lipstick_brief, seed_demo, wait_for
from api.dev.driver import DealDriver, token_balance
from api.match_index import SharedIndex
from contracts import bindings
from contracts.localchain import DEV_PRIVATE_KEYS


def fmt(amount: int, token: str) -> str:
    decimals = 18 if token == "ETH" else 6
    unit = "ETH" if token == "ETH" else "tUSD"
    whole, frac = divmod(amount, 10**decimals)
    return f"{whole}.{frac:0{decimals}d} {unit}"


def in_process_client():
    # The in-process transport; silence Starlette's notice about its httpx backend.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    return TestClient


def run_demo(*, token: str = "ETH", echo: Callable[[str], None] = print) -> dict[str, int]:
    if token not in ("ETH", "stablecoin"):
        raise ValueError("token must be ETH or stablecoin")
    return on_fresh_stack(lambda ready: _flow(ready, token, echo))


def on_fresh_stack(flow):
    """Run `flow(settings)` on a fresh local chain and a throwaway database, then drop both."""
    with tempfile.TemporaryDirectory(prefix="collab-demo-") as tmp:
        settings = Settings(
            _env_file=None,
            database_url=f"sqlite:///{Path(tmp) / 'demo.db'}",
            chain_rpc_url=None,
            escrow_address=None,
            splitter_factory_address=None,
            stablecoin_address=None,
            indexer_poll_seconds=0.2,
            platform_fee_bps=100,
            operator_api_key="demo-operator-key-0123",
        )
        with local_stack(settings, state_dir=Path(tmp)) as ready:
            return flow(ready)


def seeded(settings: Settings) -> tuple[Web3, dict[str, DemoAccount]]:
    """The local chain, and the demo accounts (seeded now) by handle."""
    w3 = Web3(Web3.HTTPProvider(settings.chain_rpc_url))
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        accounts = seed_demo(session=session, index=SharedIndex(), settings=settings)
    engine.dispose()
    return w3, {a.handle: a for a in accounts}


def _flow(settings: Settings, token_kind: str, echo) -> dict[str, int]:
    w3, by_handle = seeded(settings)
    brand, luna = by_handle["douce-nature"], by_handle["luna_verde"]
    token = "ETH" if token_kind == "ETH" else settings.stablecoin_address
    amount = 3 * 10**17 + 7 if token == "ETH" else 450_000_007  # odd on purpose: dust
    brand_key, creator_key = DEV_PRIVATE_KEYS[brand.key_index], DEV_PRIVATE_KEYS[luna.key_index]

    def balance(wallet: str) -> int:
        return token_balance(w3, token, wallet)

    echo(f"Local chain {settings.chain_rpc_url}, escrow {settings.escrow_address}")
    with in_process_client()(create_app(settings)) as client:
        as_brand = {"Authorization": f"Bearer {brand.api_key}"}
        as_luna = {"Authorization": f"Bearer {luna.api_key}"}

        driver = DealDriver(client, w3)
        call = driver.call

        if token != "ETH":
            coin = bindings.Erc20(w3, token)
            bindings.send(w3, coin.build_mint(brand.wallet, 10 * amount), brand_key)
            echo(f"0. Minted {fmt(10 * amount, token)} of the test stablecoin to {brand.name}")

        brief = call(
            "POST", "/v1/requests", as_brand, json=lipstick_brief(amount=amount, token=token)
        )
        tags = ", ".join(v["label"] for v in brief["target_values"])
        echo(f"1. {brand.name} posts a French brief; values tagged from its text: {tags}")

        matches = call("GET", f"/v1/requests/{brief['id']}/matches?limit=3", as_brand)["items"]
        echo("2. Matches:")
        for rank, match in enumerate(matches, 1):
            virtual = " (virtual)" if match["is_virtual"] else ""
            echo(f"   {rank}. {match['creator']['display_name']}{virtual} {match['score']:.2f}")
            echo(f"      {match['explanation']}")

        now = datetime.now(UTC)
        reels = amount * 2 // 3  # two thirds for the reels, the rest (and the dust) the story
        milestones = [
            {
                "label": "2 reels",
                "amount": str(reels),
                "deliver_by": (now + timedelta(days=15)).isoformat(),
            },
            {
                "label": "1 story",
                "amount": str(amount - reels),
                "deliver_by": (now + timedelta(days=30)).isoformat(),
            },
        ]
        offer = call(
            "POST",
            f"/v1/requests/{brief['id']}/offers",
            as_brand | {"Idempotency-Key": "demo-offer"},
            json={
                "creator_id": luna.id,
                "amount": str(amount),
                "token": token,
                "milestones": milestones,
                "review_period_seconds": 3 * 24 * 3600,
                "terms": "Deux reels puis une story présentant le rouge à lèvres.",
            },
        )
        echo(f"3. Offer {offer['id']} to {luna.name}: {offer['status']}, in two milestones:")
        for m in offer["milestones"]:
            due = m["deliver_by"][:10]
            echo(f"   {m['index']}. {m['label']:<8} {fmt(int(m['amount']), token)} by {due}")

        accepted = driver.accept(offer["id"], as_luna, creator_key)
        collaboration = accepted["collaboration"]
        url = f"/v1/collaborations/{collaboration['id']}"
        echo(f"4. {luna.name} signs the EIP-712 terms in her wallet; collaboration drafted")
        payees = collaboration["payees"]
        for payee in payees:
            share = payee["share_bps"] / 100
            echo(f"   payee {payee['role']:<8} {payee['name']:<28} {share:>6.2f} %")
        watched = [p["wallet"] for p in payees]
        before = {wallet: balance(wallet) for wallet in watched}

        def status_is(expected: str) -> bool:
            return call("GET", url, as_brand)["status"] == expected

        if token == "ETH":
            receipt = driver.act(collaboration["id"], "fund", as_brand, brand_key)
        else:
            echo("   the brand's wallet signs the stablecoin's permit: no separate approval")
            receipt = driver.fund_with_permit(collaboration["id"], as_brand, brand_key)
        tx_hash = "0x" + bytes(receipt["transactionHash"]).hex()
        wait_for(lambda: status_is("funded"))
        echo(f"5. {brand.name} funds the escrow ({fmt(amount, token)}), tx {tx_hash}: funded")

        parties = _Parties(driver, url, as_brand, brand_key, as_luna, creator_key, luna.name)
        _deliver_and_approve_each(parties, milestones, token, echo)
        wait_for(lambda: status_is("released"))
        final = call("GET", url, as_brand)
        echo("   Payouts from chain events, by milestone:")
        for payout in final["payouts"]:
            echo(
                f"   {payout['milestone']} {payout['kind']:<8} {payout['wallet']} "
                f"{fmt(int(payout['amount']), token)}"
            )

        echo("10. Wallet balances (change includes gas for wallets that sent transactions):")
        changes: dict[str, int] = {}
        for payee in payees:
            wallet = payee["wallet"]
            after = balance(wallet)
            changes[wallet] = after - before[wallet]
            echo(
                f"   {payee['name']:<28} {fmt(after, token):>32}  "
                f"(+{fmt(changes[wallet], token) if changes[wallet] >= 0 else changes[wallet]})"
            )
        return changes


@dataclass
class _Parties:
    driver: DealDriver
    url: str  # the collaboration's
    as_brand: dict
    brand_key: str
    as_creator: dict
    creator_key: str
    creator_name: str


def _deliver_and_approve_each(parties: _Parties, milestones: list[dict], token: str, echo) -> None:
    """Each milestone in turn: the creator delivers it (relayed for a stablecoin deal: the
    creator needs no ETH), the brand approves it and its part is paid."""
    p = parties
    collaboration_id = p.url.rsplit("/", 1)[1]

    def milestone_is(index: int, expected: str) -> bool:
        return p.driver.call("GET", p.url, p.as_brand)["milestones"][index]["status"] == expected

    for index, milestone in enumerate(milestones):
        step, label = 6 + 2 * index, milestone["label"]
        deliverable = f"https://instagram.com/p/luna-verde-rouge-{index}"
        if token == "ETH":
            p.driver.act(
                collaboration_id,
                "deliver",
                p.as_creator,
                p.creator_key,
                deliverable=deliverable,
                milestone=index,
            )
            echo(f"{step}. {p.creator_name} marks milestone {index} ({label}) delivered")
        else:
            relayed = p.driver.relay_delivery(
                collaboration_id, p.as_creator, p.creator_key, deliverable, milestone=index
            )
            echo(
                f"{step}. {p.creator_name} signs milestone {index} ({label}) delivered; the "
                f"platform's relayer sends it ({relayed['gas_used']:,} gas, paid by "
                f"{relayed['relayer']})"
            )
        wait_for(lambda index=index: milestone_is(index, "delivered"))
        p.driver.act(collaboration_id, "approve", p.as_brand, p.brand_key, milestone=index)
        wait_for(lambda index=index: milestone_is(index, "released"))
        status = p.driver.call("GET", p.url, p.as_brand)["status"]
        echo(f"{step + 1}. The brand approves milestone {index}: paid; the deal is {status}")
