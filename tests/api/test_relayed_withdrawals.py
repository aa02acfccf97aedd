"""Creators need no ETH, credits too: a payee whose push failed (its wallet refuses ETH) signs a
`Withdraw` and the platform's relayer sends it, counted against the deal's creator's budget."""

from __future__ import annotations

from eth_account import Account

from contracts import bindings
from tests.api.deals import Wallets, address, expected_split, index, make_deal, sign_typed_data
from tests.api.test_relay import NO_CURVE_POINT

PROBLEM = "application/problem+json"


def credited_payee(client, chain, wallets):
    """A released ETH deal whose first designer's wallet (a key we hold) refuses ETH, as a
    smart account that reverts on receive would: its share is credited. Returns the deal, the
    designer's key and its credit."""
    _, w3, _ = chain
    designer = Account.create()
    refusing = bindings.deploy(w3, "RevertingPayee", private_key=wallets.deployer)
    with_refuser = Wallets(
        **{**wallets.__dict__, "designers": [designer.address, wallets.designers[1]]}
    )
    amount = 10**18
    deal = make_deal(client, w3, with_refuser, amount=amount)
    deal.accept()
    # The designer's address gets the refusing code (anvil), its key still signs (ECDSA first).
    w3.provider.make_request("anvil_setCode", [designer.address, w3.eth.get_code(refusing).hex()])
    deal.fund()
    deal.deliver()
    deal.act(deal.brand, "approve", wallets.brand)
    state = deal.state()
    kinds = {p["wallet"]: p["kind"] for p in state["payouts"] if p["kind"] != "fee"}
    assert kinds[designer.address] == "credited"
    _, shares = expected_split(amount, [p["share_bps"] for p in state["payees"]])
    return deal, "0x" + bytes(designer.key).hex(), shares[1]


def signed_withdrawal(client, key: str, to: str, signer: str | None = None) -> dict:
    """The wallet of `key`'s withdrawal to `to`, signed by `signer` (by default the wallet)."""
    url = f"/v1/wallets/{address(key)}/credits/withdrawal"
    response = client.get(url, params={"token": "ETH", "to": to})
    assert response.status_code == 200, response.text
    body = response.json()
    return {
        "token": "ETH",
        "to": to,
        "nonce": int(body["nonce"]),
        "deadline": body["deadline"],
        "signature": sign_typed_data(body["typed_data"], signer or key),
    }


def test_a_credited_payee_withdraws_without_eth(deal_client, chain, wallets):
    _, w3, _ = chain
    deal, key, credit = credited_payee(deal_client, chain, wallets)
    wallet, to = address(key), Account.create().address
    assert w3.eth.get_balance(wallet) == 0
    url = f"/v1/wallets/{wallet}/credits/withdrawal"
    body = signed_withdrawal(deal_client, key, to)
    response = deal_client.post(url, json=body)
    assert response.status_code == 200, response.text
    relayed = response.json()
    assert relayed["amount"] == str(credit)
    assert relayed["collaboration_id"] == deal.collaboration["id"]
    assert w3.eth.get_balance(to) == credit
    assert w3.eth.get_balance(wallet) == 0  # it never needed ETH
    again = deal_client.post(url, json=body)
    assert again.status_code == 409
    assert again.headers["content-type"] == PROBLEM
    index(deal_client)
    credits = deal_client.get(f"/v1/wallets/{wallet}/credits").json()
    assert credits["credits"]["ETH"] == "0"
    nothing = deal_client.get(url, params={"token": "ETH", "to": to})
    assert nothing.status_code == 409
    assert nothing.headers["content-type"] == PROBLEM


def test_bad_withdrawals_are_refused_and_change_nothing(deal_client, chain, wallets):
    _, w3, _ = chain
    _, key, credit = credited_payee(deal_client, chain, wallets)
    wallet, to = address(key), Account.create().address
    url = f"/v1/wallets/{wallet}/credits/withdrawal"
    body = signed_withdrawal(deal_client, key, to)
    forged = signed_withdrawal(deal_client, key, to, signer=wallets.stranger)["signature"]
    mismatch = "does not match the withdrawal"
    for changed, message in (
        ({"signature": forged}, mismatch),
        ({"to": Account.create().address}, mismatch),
        ({"deadline": body["deadline"] + 1}, mismatch),
        ({"signature": "0x12"}, "not an ECDSA signature"),
        ({"signature": NO_CURVE_POINT}, "not an ECDSA signature"),
    ):
        response = deal_client.post(url, json={**body, **changed})
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["errors"] == [{"field": "signature", "message": message}]
    for changed, field in (({"to": "0x12"}, "to"), ({"token": "USD"}, "token")):
        response = deal_client.post(url, json={**body, **changed})
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == field
    stale = deal_client.post(url, json={**body, "nonce": body["nonce"] + 1})
    assert stale.status_code == 409
    # A wallet no deal credited: nothing for the platform to relay.
    stranger = f"/v1/wallets/{address(wallets.stranger)}/credits/withdrawal"
    assert deal_client.post(stranger, json=body).status_code == 409
    assert w3.eth.get_balance(to) == 0
    response = deal_client.post(url, json=body)  # nothing was spent by the refusals
    assert response.status_code == 200, response.text
    assert w3.eth.get_balance(to) == credit


def test_a_relayed_withdrawal_counts_against_the_creators_budget(deal_settings, chain, wallets):
    from fastapi.testclient import TestClient

    from api.app import create_app

    no_budget = deal_settings.model_copy(update={"relay_per_creator_per_day": 0})
    with TestClient(create_app(no_budget)) as client:
        _, key, _ = credited_payee(client, chain, wallets)
        body = signed_withdrawal(client, key, Account.create().address)
        response = client.post(f"/v1/wallets/{address(key)}/credits/withdrawal", json=body)
        assert response.status_code == 429, response.text
        assert "transactions a day" in response.json()["detail"]
