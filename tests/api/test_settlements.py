"""Disputes that end (escrow v2) through the API: the brand and the creator each sign a split
and the platform's relayer settles once they agree; a dispute left alone ends by the rule in
its terms after the deadline. The creator has no ETH throughout; the relayer pays gas only."""

from __future__ import annotations

from sqlmodel import Session

from api.collaborations.models import Collaboration
from api.collaborations.service import (
    DISPUTE_RULE_PAYEE_BPS,
    DISPUTE_TIMEOUT_SECONDS,
    collaboration_terms,
)
from contracts import bindings
from tests.api.deals import FEE_BPS, address, advance, index, sign_typed_data
from tests.api.test_relay import AMOUNT, NO_CURVE_POINT, WORK, zero_eth_deal

PROBLEM = "application/problem+json"


def disputed_deal(client, chain, wallets, run_indexer=None):
    """A stablecoin deal of a creator with no ETH, delivered by relay, disputed by the brand."""
    deal, fresh, token = zero_eth_deal(client, chain, wallets, run_indexer)
    driver, collaboration_id = deal.driver, deal.collaboration["id"]
    driver.relay_delivery(collaboration_id, deal.creator.headers, fresh.creator, WORK)
    (run_indexer or index)(client)
    driver.act(collaboration_id, "dispute", deal.brand.headers, fresh.brand)
    (run_indexer or index)(client)
    assert deal.state()["status"] == "disputed"
    return deal, fresh, token


def signed(deal, actor, key: str, payee_share_bps: int) -> dict:
    return deal.driver.signed_settlement(
        deal.collaboration["id"], actor.headers, key, payee_share_bps
    )


def split_of(payee_share_bps: int) -> tuple[int, int, int]:
    """(to the payees, the fee, to the brand) of AMOUNT, as the escrow rounds them."""
    awarded = AMOUNT * payee_share_bps // 10_000
    fee = awarded * FEE_BPS // 10_000
    return awarded - fee, fee, AMOUNT - awarded


def test_brand_and_creator_settle_on_the_last_split_each_signed(deal_client, chain, wallets):
    _, w3, _ = chain
    deal, fresh, token = disputed_deal(deal_client, chain, wallets)
    url = f"{deal.collaboration_url}/settlement"
    assert deal.creator.get(url).json()["status"] == "open"

    proposed = deal.brand.post(url, json=signed(deal, deal.brand, fresh.brand, 5_000))
    assert proposed.status_code == 200, proposed.text
    assert proposed.json()["status"] == "proposed"
    # The creator asks for more: recorded, nothing sent (the splits differ).
    countered = deal.creator.post(url, json=signed(deal, deal.creator, fresh.creator, 8_000))
    assert countered.json()["status"] == "proposed"
    assert countered.json()["tx_hash"] is None
    # The brand's new split replaces its proposal: it meets the creator's, the relayer settles.
    last = signed(deal, deal.brand, fresh.brand, 8_000)
    ended = deal.brand.post(url, json=last)
    assert ended.status_code == 200, ended.text
    body = ended.json()
    assert body["status"] == "ended"
    assert body["ended_by"] == "settlement"
    assert body["payee_share_bps"] == 8_000
    assert body["brand"]["payee_share_bps"] == body["creator"]["payee_share_bps"] == 8_000
    assert body["relayer"] not in (address(fresh.creator), address(fresh.brand))

    index(deal_client)
    state = deal.state()
    to_payees, fee, to_brand = split_of(8_000)
    assert state["status"] == "resolved"
    assert state["resolution"]["by"] == "settlement"
    assert state["resolution"]["payee_share_bps"] == 8_000
    assert int(state["resolution"]["to_payees"]) == to_payees
    assert int(state["resolution"]["to_brand"]) == to_brand
    assert state["transactions"]["settle"] == body["tx_hash"]
    paid = sum(int(p["amount"]) for p in state["payouts"] if p["kind"] == "paid")
    assert paid == to_payees
    assert sum(int(p["amount"]) for p in state["payouts"] if p["kind"] == "fee") == fee
    assert w3.eth.get_balance(address(fresh.creator)) == 0  # the creator never needed ETH

    # The signature that ended it, posted again, answers the same; any other is too late.
    repeat = deal.brand.post(url, json=last)
    assert repeat.status_code == 200
    assert repeat.json()["tx_hash"] == body["tx_hash"]
    for late in (
        deal.brand.post(url, json={**last, "payee_share_bps": 1}),
        deal.brand.get(url, params={"payee_share_bps": 8_000}),
    ):
        assert late.status_code == 409
        assert late.headers["content-type"] == PROBLEM
    events = deal.creator.get("/v1/events", params={"type": "collaboration.settlement_proposed"})
    proposals = [e["data"]["proposed_by"] for e in events.json()["items"]]
    assert proposals == ["brand", "creator", "brand"]


def test_bad_settlements_are_refused_and_change_nothing(deal_client, chain, wallets, operator):
    deal, fresh, _ = disputed_deal(deal_client, chain, wallets)
    url = f"{deal.collaboration_url}/settlement"
    by_brand = signed(deal, deal.brand, fresh.brand, 6_000)
    by_stranger = {**by_brand, "signature": _sign(deal, wallets.stranger, 6_000)}
    mismatch = "does not match the settlement"
    for actor, body, field, message in (
        (deal.creator, by_stranger, "signature", mismatch),  # forged
        (deal.creator, by_brand, "signature", mismatch),  # the other party's signature
        (deal.brand, {**by_brand, "payee_share_bps": 6_001}, "signature", mismatch),
        (deal.brand, {**by_brand, "signature": "0x12"}, "signature", "not an ECDSA signature"),
        (
            deal.brand,
            {**by_brand, "signature": NO_CURVE_POINT},
            "signature",
            "not an ECDSA signature",
        ),
        (deal.brand, {**by_brand, "milestone": 1}, "milestone", "no such milestone"),
    ):
        response = actor.post(url, json=body)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["errors"] == [{"field": field, "message": message}]
    response = deal.brand.post(url, json={**by_brand, "payee_share_bps": 10_001})
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert operator.post(url, json=by_brand).status_code == 403
    assert operator.get(url, params={"payee_share_bps": 1}).status_code == 403
    assert deal.creator.get(url).json()["status"] == "open"  # nothing was recorded

    # A deal that is not disputed has nothing to settle.
    funded, fresh_funded, _ = zero_eth_deal(deal_client, chain, wallets)
    not_disputed = funded.brand.get(
        f"{funded.collaboration_url}/settlement", params={"payee_share_bps": 1}
    )
    assert not_disputed.status_code == 409
    assert not_disputed.json()["state"] == "funded"
    response = funded.brand.post(f"{funded.collaboration_url}/settlement", json=by_brand)
    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM


def _sign(deal, key: str, payee_share_bps: int) -> str:
    """A key's signature of the deal's Settlement (typed data as the brand would get it)."""
    response = deal.brand.get(
        f"{deal.collaboration_url}/settlement", params={"payee_share_bps": payee_share_bps}
    )
    return sign_typed_data(response.json()["typed_data"], key)


def test_a_dispute_left_alone_ends_by_its_rule_relayed(deal_client, chain, wallets):
    _, w3, _ = chain
    deal, fresh, _ = disputed_deal(deal_client, chain, wallets)
    url = f"{deal.collaboration_url}/dispute-rule"
    deadline = deal.creator.get(
        f"{deal.collaboration_url}/settlement", params={"payee_share_bps": 1}
    ).json()["deadline"]
    early = deal.creator.post(url)
    assert early.status_code == 409
    assert early.headers["content-type"] == PROBLEM
    assert early.json()["applies_at"] == deadline
    brand_offer = signed(deal, deal.brand, fresh.brand, 3_000)
    assert (
        deal.brand.post(f"{deal.collaboration_url}/settlement", json=brand_offer).json()["status"]
        == "proposed"
    )

    advance(w3, DISPUTE_TIMEOUT_SECONDS)  # nobody acts for 30 days
    late = deal.creator.post(
        f"{deal.collaboration_url}/settlement", json=signed_late(deal, fresh, 3_000)
    )
    assert late.status_code == 409
    assert late.json()["applies_at"] == deadline
    ended = deal.creator.post(url)
    assert ended.status_code == 200, ended.text
    body = ended.json()
    assert body["ended_by"] == "dispute_rule"
    assert body["payee_share_bps"] == DISPUTE_RULE_PAYEE_BPS
    repeat = deal.brand.post(url)
    assert repeat.status_code == 200
    assert repeat.json()["tx_hash"] == body["tx_hash"]

    index(deal_client)
    state = deal.state()
    to_payees, _, to_brand = split_of(DISPUTE_RULE_PAYEE_BPS)
    assert state["status"] == "resolved"
    assert state["resolution"]["by"] == "dispute_rule"
    assert int(state["resolution"]["to_payees"]) == to_payees
    assert int(state["resolution"]["to_brand"]) == to_brand
    assert state["transactions"]["apply_rule"] == body["tx_hash"]
    assert w3.eth.get_balance(address(fresh.creator)) == 0


def signed_late(deal, fresh, payee_share_bps: int) -> dict:
    """The creator's signature of a split with the deadline that has now passed (the API no
    longer hands out the typed data, so it is built as a client that kept it would)."""
    app = deal.client.app.state
    escrow = bindings.EscrowContract(deal.w3, app.chain.escrow_address)
    with Session(app.engine) as session:
        row = session.get(Collaboration, deal.collaboration["id"])
        terms = collaboration_terms(session=session, collaboration=row)
    deadline = escrow.deal_state(row.deal_id).deadline
    typed = escrow.settlement_typed_data(terms, 0, payee_share_bps, deadline)
    return {"payee_share_bps": payee_share_bps, "signature": sign_typed_data(typed, fresh.creator)}
