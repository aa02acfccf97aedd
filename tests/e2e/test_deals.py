"""Money through the served API and a real chain: every wallet gets exactly its share."""

from __future__ import annotations

import pytest
from eth_account import Account

from api.dev.driver import token_balance
from contracts import bindings
from contracts.localchain import DEV_PRIVATE_KEYS
from tests.api.deals import expected_split, send
from tests.contracts.env import advance, set_eth_balance
from tests.e2e.conftest import OPERATOR_KEY
from tests.e2e.flow import (
    ARBITER_KEY,
    BRAND,
    BRAND_KEY,
    CHARITY,
    CREATOR_KEY,
    DESIGNERS,
    LUNA,
    Flow,
    gas_paid,
    ok,
)
from tests.factories import future

CREATOR = Account.from_key(CREATOR_KEY).address
OPERATOR = {"Authorization": f"Bearer {OPERATOR_KEY}"}


def received_total(http, wallet: str, token: str) -> int:
    """The wallet's received total in `token` as the API counts it (0 before any payout)."""
    return int(ok(http.get(f"/v1/wallets/{wallet}/payouts"))["totals"].get(token, 0))


@pytest.mark.parametrize("token_kind", ["ETH", "stablecoin"])
def test_offer_to_payout_moves_exact_shares_into_wallets(stack, http, token_kind) -> None:
    w3 = stack.w3
    token = "ETH" if token_kind == "ETH" else stack.deployment.stablecoin_address
    amount = 7 * 10**17 + 13 if token == "ETH" else 1_234_567_891
    if token != "ETH":
        coin = bindings.Erc20(w3, token)
        brand = Account.from_key(BRAND_KEY).address
        bindings.send(w3, coin.build_mint(brand, amount), BRAND_KEY)
    flow = Flow(http, w3)
    collaboration = flow.offer_and_accept(token=token, amount=amount)
    wallets = [p["wallet"] for p in collaboration["payees"]]
    assert wallets == [CREATOR, *DESIGNERS, CHARITY]
    before = [token_balance(w3, token, wallet) for wallet in wallets]
    # Other tests of this session pay the same wallets: compare what this deal added.
    totals_before = [received_total(http, wallet, token) for wallet in wallets]

    creator_eth = w3.eth.get_balance(CREATOR)
    if token == "ETH":
        flow.act(BRAND, "fund", BRAND_KEY)
    else:  # escrow v2: one transaction with the token's permit, no approval first
        flow.driver.fund_with_permit(flow.collaboration_id, BRAND, BRAND_KEY)
    flow.wait("funded")
    if token == "ETH":
        deliver_receipt = flow.act(LUNA, "deliver", CREATOR_KEY, deliverable="https://ig/p/1")
        creator_gas = gas_paid(deliver_receipt)
    else:  # the creator signs, the platform's relayer sends: Luna spends no ETH
        flow.driver.relay_delivery(flow.collaboration_id, LUNA, CREATOR_KEY, "https://ig/p/1")
        creator_gas = 0
    flow.wait("delivered")
    flow.act(BRAND, "approve", BRAND_KEY)
    state = flow.wait("released")
    if token != "ETH":
        assert w3.eth.get_balance(CREATOR) == creator_eth

    fee, shares = expected_split(amount, [p["share_bps"] for p in collaboration["payees"]])
    rises = [token_balance(w3, token, w) - b for w, b in zip(wallets, before, strict=True)]
    assert rises == [shares[0] - creator_gas, *shares[1:]]
    paid = {p["wallet"]: int(p["amount"]) for p in state["payouts"] if p["kind"] == "paid"}
    assert [paid[wallet] for wallet in wallets] == shares
    assert [int(p["amount"]) for p in state["payouts"] if p["kind"] == "fee"] == [fee]
    totals_after = [received_total(http, wallet, token) for wallet in wallets]
    assert [a - b for a, b in zip(totals_after, totals_before, strict=True)] == shares


def test_a_creator_with_no_eth_completes_a_two_milestone_stablecoin_deal(stack, http) -> None:
    """Escrow v2 end to end: the brand funds both milestones in one transaction with a permit,
    the creator (whose wallet holds no ETH at all) signs each delivery for the relayer, and each
    approval pays that milestone's exact shares."""
    w3, token = stack.w3, stack.deployment.stablecoin_address
    reels, story = 900_000_011, 350_000_002
    coin = bindings.Erc20(w3, token)
    brand = Account.from_key(BRAND_KEY).address
    bindings.send(w3, coin.build_mint(brand, reels + story), BRAND_KEY)
    set_eth_balance(w3, CREATOR, 0)
    flow = Flow(http, w3)
    collaboration = flow.offer_and_accept(
        token=token,
        amount=reels + story,
        milestones=[
            {"label": "2 reels", "amount": str(reels), "deliver_by": future(10)},
            {"label": "1 story", "amount": str(story), "deliver_by": future(20)},
        ],
    )
    wallets = [p["wallet"] for p in collaboration["payees"]]
    shares_bps = [p["share_bps"] for p in collaboration["payees"]]
    before = [token_balance(w3, token, wallet) for wallet in wallets]

    nonce = w3.eth.get_transaction_count(brand)
    flow.driver.fund_with_permit(flow.collaboration_id, BRAND, BRAND_KEY)
    assert w3.eth.get_transaction_count(brand) == nonce + 1  # one transaction, no approval
    flow.wait("funded")
    for index, amount in enumerate((reels, story)):
        work = f"https://ig/p/{index}"
        flow.driver.relay_delivery(flow.collaboration_id, LUNA, CREATOR_KEY, work, index)
        flow.wait("delivered", milestone=index)
        flow.act(BRAND, "approve", BRAND_KEY, milestone=index)
        state = flow.wait("released", milestone=index)
        _, shares = expected_split(amount, shares_bps)
        paid = {
            p["wallet"]: int(p["amount"])
            for p in state["payouts"]
            if p["kind"] == "paid" and p["milestone"] == index
        }
        assert [paid[wallet] for wallet in wallets] == shares
    state = flow.wait("released")
    assert [m["status"] for m in state["milestones"]] == ["released", "released"]
    expected = [
        a + b
        for a, b in zip(
            expected_split(reels, shares_bps)[1], expected_split(story, shares_bps)[1], strict=True
        )
    ]
    rises = [token_balance(w3, token, w) - b for w, b in zip(wallets, before, strict=True)]
    assert rises == expected
    assert w3.eth.get_balance(CREATOR) == 0  # the creator never needed ETH


def test_refund_after_the_deadline(stack, http) -> None:
    flow = Flow(http, stack.w3)
    flow.offer_and_accept(amount=10**17, deliver_days=2)
    flow.act(BRAND, "fund", BRAND_KEY)
    flow.wait("funded")
    advance(stack.w3, 3 * 24 * 3600)
    flow.act(BRAND, "refund", BRAND_KEY)
    state = flow.wait("refunded")
    refunds = [int(p["amount"]) for p in state["payouts"] if p["kind"] == "refund"]
    assert refunds == [10**17]


def test_dispute_then_the_operator_resolves(stack, http) -> None:
    flow = Flow(http, stack.w3)
    amount = 10**18
    flow.offer_and_accept(amount=amount)
    flow.act(BRAND, "fund", BRAND_KEY)
    flow.wait("funded")
    flow.act(LUNA, "deliver", CREATOR_KEY, deliverable="https://ig/p/2")
    flow.wait("delivered")
    flow.act(BRAND, "dispute", BRAND_KEY)
    flow.wait("disputed")
    tx = flow.transaction(OPERATOR, "resolve", payee_share_bps=2500)
    send(stack.w3, tx["transaction"], ARBITER_KEY)
    state = flow.wait("resolved")
    resolution = state["resolution"]
    fees = sum(int(p["amount"]) for p in state["payouts"] if p["kind"] == "fee")
    assert int(resolution["to_payees"]) + int(resolution["to_brand"]) + fees == amount
    refunded = sum(int(p["amount"]) for p in state["payouts"] if p["kind"] == "refund")
    assert refunded == int(resolution["to_brand"])


def test_a_dispute_left_alone_ends_by_its_deadline_rule(stack, http) -> None:
    """Escrow v2: the arbiter never answers; 30 days on (anvil time travel) anyone applies the
    rule the terms carry, an even split, and the API follows the chain to `resolved`."""
    flow = Flow(http, stack.w3)
    amount = 10**18
    flow.offer_and_accept(amount=amount)
    flow.act(BRAND, "fund", BRAND_KEY)
    flow.wait("funded")
    flow.act(LUNA, "deliver", CREATOR_KEY, deliverable="https://ig/p/4")
    flow.wait("delivered")
    flow.act(BRAND, "dispute", BRAND_KEY)
    flow.wait("disputed")
    advance(stack.w3, 30 * 24 * 3600)
    tx = flow.transaction(LUNA, "apply_rule")
    send(stack.w3, tx["transaction"], DEV_PRIVATE_KEYS[8])  # any wallet may send it
    state = flow.wait("resolved")
    assert state["resolution"]["by"] == "dispute_rule"
    assert int(state["resolution"]["to_brand"]) == amount // 2
    refunded = sum(int(p["amount"]) for p in state["payouts"] if p["kind"] == "refund")
    assert refunded == amount // 2


def test_silent_brand_cannot_hold_the_money(stack, http) -> None:
    flow = Flow(http, stack.w3)
    flow.offer_and_accept(amount=10**17, review=3600)
    flow.act(BRAND, "fund", BRAND_KEY)
    flow.wait("funded")
    flow.act(LUNA, "deliver", CREATOR_KEY, deliverable="https://ig/p/3")
    flow.wait("delivered")
    advance(stack.w3, 3601)
    tx = flow.transaction(LUNA, "release")
    send(stack.w3, tx["transaction"], DEV_PRIVATE_KEYS[8])  # any wallet may send it
    state = flow.wait("released")
    assert {p["kind"] for p in state["payouts"]} == {"paid", "fee"}
