"""Creators need no ETH: a creator whose wallet never held any completes a milestone deal paid in
the stablecoin, the brand funding it in one transaction with a permit and the platform's relayer
sending the creator's signed delivery (escrow v2)."""

from __future__ import annotations

from eth_account import Account

from contracts import bindings
from tests.api.deals import Wallets, address, index, make_deal, sign_typed_data

AMOUNT = 800_000_013  # 800.000013 units of a 6-decimals stablecoin
WORK = "https://instagram.com/p/relayed"
# 65 well-formed bytes from which no key can be recovered: x = 5 is on no point of secp256k1.
NO_CURVE_POINT = "0x" + (5).to_bytes(32, "big").hex() + (7).to_bytes(32, "big").hex() + "1b"


def zero_eth_deal(client, chain, wallets: Wallets, run_indexer=None, amount=AMOUNT, **offer):
    """A funded stablecoin deal whose creator wallet is brand new (no ETH, ever); ``offer``
    changes the offer (its milestones, say)."""
    _, w3, deployment = chain
    fresh = Wallets(
        deployer=wallets.deployer,
        brand=wallets.brand,
        creator="0x" + bytes(Account.create().key).hex(),
        stranger=wallets.stranger,
    )
    token = bindings.Erc20(w3, deployment.stablecoin_address)
    bindings.send(w3, token.build_mint(address(fresh.brand), amount), fresh.brand)
    deal = make_deal(client, w3, fresh, token=token.address, amount=amount, **offer)
    deal.accept()
    deal.driver.fund_with_permit(deal.collaboration["id"], deal.brand.headers, fresh.brand)
    (run_indexer or index)(client)
    assert deal.state()["status"] == "funded"
    assert w3.eth.get_balance(address(fresh.creator)) == 0
    return deal, fresh, token


def signed_delivery(deal, key: str, deliverable: str = WORK, milestone: int = 0) -> dict:
    url = f"{deal.collaboration_url}/relay/deliver"
    response = deal.creator.get(url, params={"deliverable": deliverable, "milestone": milestone})
    assert response.status_code == 200, response.text
    body = response.json()
    return {
        "action": "deliver",
        "milestone": milestone,
        "deliverable": deliverable,
        "deadline": body["deadline"],
        "signature": sign_typed_data(body["typed_data"], key),
    }


def test_a_creator_with_no_eth_completes_a_stablecoin_deal(deal_client, chain, wallets):
    _, w3, _ = chain
    deal, fresh, token = zero_eth_deal(deal_client, chain, wallets)
    creator = address(fresh.creator)

    url, body = f"{deal.collaboration_url}/relay", signed_delivery(deal, fresh.creator)
    response = deal.creator.post(url, json=body)
    assert response.status_code == 200, response.text
    relayed = response.json()
    # The same post again, before the indexer has seen the delivery: the creator's escrow nonce
    # has moved on, yet the answer is the one relay per deal action (409), not a bad signature.
    again = deal.creator.post(url, json=body)
    assert again.status_code == 409, again.text
    assert relayed["gas_used"] > 0
    assert relayed["relayer"] != creator
    index(deal_client)
    state = deal.state()
    assert state["status"] == "delivered"
    assert state["transactions"]["deliver"] == relayed["tx_hash"]

    before = token.balance_of(creator)
    deal.act(deal.brand, "approve", fresh.brand)
    state = deal.state()
    assert state["status"] == "released"
    paid = {p["wallet"]: int(p["amount"]) for p in state["payouts"] if p["kind"] == "paid"}
    assert token.balance_of(creator) - before == paid[creator] > 0
    assert w3.eth.get_balance(creator) == 0  # the creator never needed ETH


def test_a_delivery_not_signed_by_the_creator_is_refused(deal_client, chain, wallets):
    deal, fresh, _ = zero_eth_deal(deal_client, chain, wallets)
    url = f"{deal.collaboration_url}/relay"
    forged = signed_delivery(deal, wallets.stranger)
    other_work = {**signed_delivery(deal, fresh.creator), "deliverable": "https://elsewhere"}
    for body, message in (
        (forged, "does not match the delivery"),
        (other_work, "does not match the delivery"),
        ({**forged, "signature": "0x12"}, "not an ECDSA signature"),
        ({**forged, "signature": NO_CURVE_POINT}, "not an ECDSA signature"),
    ):
        response = deal.creator.post(url, json=body)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["errors"] == [{"field": "signature", "message": message}]
    index(deal_client)
    assert deal.state()["status"] == "funded"
    response = deal.creator.post(url, json=signed_delivery(deal, fresh.creator))
    assert response.status_code == 200  # nothing was spent by the refusals
    assert deal.brand.post(url, json=forged).status_code == 403  # creators only


def test_the_relay_budget_and_rate_limit(deal_settings, chain, wallets):
    from fastapi.testclient import TestClient

    from api.app import create_app

    for limits, says in (
        ({"relay_per_creator_per_day": 0}, "transactions a day"),
        ({"relay_per_creator_per_minute": 0}, "transactions a minute"),
    ):
        with TestClient(create_app(deal_settings.model_copy(update=limits))) as client:
            deal, fresh, _ = zero_eth_deal(client, chain, wallets)
            body = signed_delivery(deal, fresh.creator)
            response = deal.creator.post(f"{deal.collaboration_url}/relay", json=body)
            assert response.status_code == 429, response.text
            assert says in response.json()["detail"]
            index(client)
            assert deal.state()["status"] == "funded"
