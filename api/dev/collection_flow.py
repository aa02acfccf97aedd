"""`collab demo --collection`: a co-branded collection whose revenue is shared on chain.

Stride sells a running collection under the names of two virtual sports influencers, Nova and
Kai, both run by one operator. The brand declares a revenue split (the two creators, their two
designers, a verified charity and the brand itself) with both creators' signed consent, records
in Nova's contract that 20 % of the collection's sales go to it, creates the splitter, sends
three stablecoin sales to it, and anyone distributes: every payee gets its exact share.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from eth_account import Account

from api.app import create_app
from api.core.settings import Settings
from api.dev.demo import (
    SPORTS_DESIGNERS,
    DemoAccount,
    demo_key,
    demo_wallet,
    wait_for,
)
from api.dev.demo_flow import fmt, in_process_client, on_fresh_stack, seeded
from api.dev.driver import DealDriver, send_unsigned, token_balance
from api.kit.types import WEI_PER_ETH
from contracts import bindings
from contracts.localchain import DEV_PRIVATE_KEYS

# The collection's sales as the brand collects them (test stablecoin, 6 decimals): odd amounts,
# so the shares do not divide evenly.
SALES = (1_249_990_001, 389_000_017, 77_777_777)
REVENUE_SHARE_BPS = 2_000
SHARES = {"nova": 3_000, "kai": 3_000, "designer": 1_250, "charity": 1_000, "brand": 500}
DISTRIBUTOR = 0  # anyone may distribute: here the deployer's dev key


def run_collection_demo(*, echo: Callable[[str], None] = print) -> dict[str, int]:
    return on_fresh_stack(lambda ready: _flow(ready, echo))


def _flow(settings: Settings, echo) -> dict[str, int]:
    w3, by_handle = seeded(settings)
    brand, nova, kai = by_handle["stride"], by_handle["nova_run"], by_handle["kai_run"]
    brand_key = DEV_PRIVATE_KEYS[brand.key_index]
    coin = settings.stablecoin_address
    echo(f"Local chain {settings.chain_rpc_url}")
    echo(f"Splitter factory {settings.splitter_factory_address}, test stablecoin {coin}")

    with in_process_client()(create_app(settings)) as client:
        driver = DealDriver(client, w3)
        call = driver.call
        as_brand = {"Authorization": f"Bearer {brand.api_key}"}
        as_nova = {"Authorization": f"Bearer {nova.api_key}"}
        charities = call("GET", "/v1/charities?status=verified", {})["items"]
        sport = next(c for c in charities if c["name"] == "Sport Pour Tous")
        declaration = {
            "label": "Nova & Kai running collection",
            "payees": [
                {"role": "creator", "creator_id": nova.id, "share_bps": SHARES["nova"]},
                {"role": "creator", "creator_id": kai.id, "share_bps": SHARES["kai"]},
                *[
                    {
                        "role": "designer",
                        "name": name,
                        "wallet": demo_wallet(key),
                        "share_bps": SHARES["designer"],
                    }
                    for name, key in SPORTS_DESIGNERS
                ],
                {"role": "charity", "charity_id": sport["id"], "share_bps": SHARES["charity"]},
                {"role": "brand", "share_bps": SHARES["brand"]},
            ],
        }
        echo(f"1. {brand.name} proposes a revenue split for the collection of {nova.name} and")
        echo(f"   {kai.name} (virtual, both run by one operator); the charity is verified.")
        consent = call("POST", "/v1/splits/consent", as_brand, json=declaration)
        signatures = [
            {
                "creator_id": creator.id,
                "signature": bindings.sign_typed_data(
                    consent["consent_typed_data"], demo_key(creator.handle)
                ),
            }
            for creator in (nova, kai)
        ]
        echo("2. Both creators sign their consent (EIP-712) in their wallets.")
        split = call(
            "POST",
            "/v1/splits",
            as_brand | {"Idempotency-Key": "demo-collection-split"},
            json=declaration | {"consents": signatures},
        )
        for payee in split["payees"]:
            share = payee["share_bps"] / 100
            echo(f"   payee {payee['role']:<8} {payee['name']:<36} {share:>6.2f} %")
        send_unsigned(w3, split["creation_transaction"], brand_key)
        url = f"/v1/splits/{split['id']}"
        wait_for(lambda: call("GET", url, {})["created"])
        echo(f"3. {brand.name} creates the splitter at {split['address']}")

        _attach_to_collaboration(driver, brand, nova, as_brand, as_nova, split, echo)

        watched = _watched(split, brand)
        before = {w: (int(w3.eth.get_balance(w)), token_balance(w3, coin, w)) for w in watched}
        faucet = bindings.Erc20(w3, coin)
        bindings.send(w3, faucet.build_mint(brand.wallet, sum(SALES)), brand_key)
        echo(f"5. The collection sells; {brand.name} collects the revenue (test stablecoin faucet)")
        for number, sale in enumerate(SALES, 1):
            bindings.send(w3, faucet.build_transfer(split["address"], sale), brand_key)
            echo(f"   sale batch {number}: {brand.name} sends {fmt(sale, coin)} to the split")
        held = _held(call("GET", url, {}), coin)
        echo(f"   the split holds {fmt(int(held['balance']), coin)}; anyone may distribute it")

        send_unsigned(w3, held["distribute_transaction"], DEV_PRIVATE_KEYS[DISTRIBUTOR])
        wait_for(lambda: all(p["received"] for p in call("GET", url, {})["payees"]))
        final = call("GET", url, {})
        total = sum(SALES)
        echo(f"6. Distributed {fmt(total, coin)}; each payee's share, from the splitter's events:")
        changes: dict[str, int] = {}
        for payee in final["payees"]:
            (got,) = [r for r in payee["received"] if r["token"] == coin]
            paid = int(got["paid"])
            changes[payee["wallet"]] = paid
            dust = paid - total * payee["share_bps"] // 10_000
            echo(
                f"   {payee['name']:<36} +{fmt(paid, coin)}"
                + (f" (with {dust} unit(s) of rounding dust)" if dust else "")
            )
        if sum(changes.values()) != total:
            raise RuntimeError(f"paid {sum(changes.values())}, expected {total}")
        charity = call("GET", f"/v1/charities/{sport['id']}", {})
        echo(f"7. {sport['name']} (verified) received in all, from chain events:")
        for row in charity["totals"]:
            echo(f"   {row['amount_human']} {row['symbol']} ({row['from_splits']} from splits)")

        echo("8. Every wallet's balance change (ETH in wei, tUSD in units; gas included):")
        for wallet, label in watched.items():
            eth = int(w3.eth.get_balance(wallet)) - before[wallet][0]
            usd = token_balance(w3, coin, wallet) - before[wallet][1]
            echo(f"   {label:<36} {wallet}  ETH {eth:+d} wei  tUSD {usd:+d}")
            if wallet in changes and usd != changes[wallet]:
                raise RuntimeError(
                    f"{label}: balance moved {usd}, the split paid {changes[wallet]}"
                )
        return changes


def _held(split: dict, token: str) -> dict:
    return next(row for row in split["balances"] if row["token"] == token)


def _watched(split: dict, brand: DemoAccount) -> dict[str, str]:
    watched = {p["wallet"]: p["name"] for p in split["payees"]}
    watched[brand.wallet] = f"{brand.name} (brand, sends the sales)"
    watched[split["address"]] = "the splitter"
    distributor = Account.from_key(DEV_PRIVATE_KEYS[DISTRIBUTOR]).address
    watched.setdefault(distributor, "distributor (anyone; dev key #0)")
    return watched


def _attach_to_collaboration(driver, brand, nova, as_brand, as_nova, split, echo) -> None:
    """The split goes into Nova's contract: 20 % of the collection's sales, a signed clause."""
    call = driver.call
    deadline = datetime.now(UTC) + timedelta(days=60)
    brief = call(
        "POST",
        "/v1/requests",
        as_brand,
        json={
            "title": "Collection running co-brandée Nova & Kai",
            "description": "Une collection de running inclusive, le sport pour tous : des "
            "chaussures adaptées aux para-athlètes, portées par des créateurs engagés.",
            "budget": {"amount": str(WEI_PER_ETH // 4), "token": "ETH"},
            "deliverables": [{"platform": "instagram", "format": "reel", "count": 3}],
            "deadline": deadline.isoformat(),
            "audience": {"languages": ["fr"], "platforms": ["instagram"]},
        },
    )
    offer = call(
        "POST",
        f"/v1/requests/{brief['id']}/offers",
        as_brand | {"Idempotency-Key": "demo-collection-offer"},
        json={
            "creator_id": nova.id,
            "amount": str(WEI_PER_ETH // 4),
            "deliver_by": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
            "terms": "Trois reels de lancement de la collection.",
            "revenue_share": {"split_id": split["id"], "share_bps": REVENUE_SHARE_BPS},
        },
    )
    echo(f"4. {brand.name}'s offer to {nova.name} records the revenue share in the contract:")
    clause = offer["terms_text"].split("Partage de recettes / Revenue share", 1)[1]
    for line in clause.strip().splitlines()[:3]:
        echo(f"   {line}")
    if offer["status"] != "sent":
        echo(f"   (the offer is {offer['status']}: {offer['screening']['reasons']})")
        return
    typed = call("GET", f"/v1/offers/{offer['id']}/typed-data", as_nova)["typed_data"]
    signature = bindings.sign_typed_data(typed, demo_key(nova.handle))
    url = f"/v1/offers/{offer['id']}/accept"
    collaboration = call("POST", url, as_nova, json={"signature": signature})["collaboration"]
    share = collaboration["revenue_share"]
    echo(f"   {nova.name} signs the terms (hash {collaboration['terms_hash'][:18]}…): drafted,")
    echo(f"   with {share['share_bps'] / 100:g} % of {share['revenue']} to the split")
