"""A stablecoin deal funded in one transaction with the token's EIP-2612 permit (escrow v2)."""

from __future__ import annotations

from datetime import datetime

from eth_account import Account

from contracts import bindings
from tests.api.deals import address, index, make_deal, send, sign_typed_data
from tests.api.test_relay import NO_CURVE_POINT

AMOUNT = 1_250_000_007  # 1,250.000007 units of a 6-decimals stablecoin


def _drafted_stablecoin_deal(deal_client, chain, wallets):
    _, w3, deployment = chain
    token = bindings.Erc20(w3, deployment.stablecoin_address)
    bindings.send(w3, token.build_mint(address(wallets.brand), AMOUNT), wallets.brand)
    deal = make_deal(deal_client, w3, wallets, token=token.address, amount=AMOUNT)
    deal.accept()
    return deal, token, deployment


def test_one_signature_and_one_transaction_fund_a_stablecoin_deal(deal_client, chain, wallets):
    deal, token, deployment = _drafted_stablecoin_deal(deal_client, chain, wallets)
    url = f"{deal.collaboration_url}/permit"
    response = deal.brand.get(url)
    assert response.status_code == 200, response.text
    typed = response.json()["typed_data"]
    assert typed["primaryType"] == "Permit"
    assert typed["domain"]["verifyingContract"] == token.address
    assert typed["message"] == {
        "owner": address(wallets.brand),
        "spender": deployment.escrow_address,
        "value": str(AMOUNT),
        "nonce": "0",
        # the permit lasts as long as the creator's signature: the deal's funding window
        "deadline": str(int(datetime.fromisoformat(deal.offer["expires_at"]).timestamp())),
    }

    signature = sign_typed_data(typed, wallets.brand)
    fund = deal.transaction(deal.brand, "fund", permit_signature=signature)
    assert fund["requires"] == []  # no approval first
    assert int(fund["transaction"]["gas"]) > 0
    assert token.allowance(address(wallets.brand), deployment.escrow_address) == 0
    send(deal.w3, fund["transaction"], wallets.brand)  # the one transaction
    index(deal_client)
    assert deal.state()["status"] == "funded"
    assert token.balance_of(deployment.escrow_address) == AMOUNT


def test_a_permit_not_signed_by_the_brand_wallet_is_refused(deal_client, chain, wallets):
    deal, _, _ = _drafted_stablecoin_deal(deal_client, chain, wallets)
    typed = deal.brand.get(f"{deal.collaboration_url}/permit").json()["typed_data"]
    url = f"{deal.collaboration_url}/transactions/fund"
    for bad, field_message in (
        (sign_typed_data(typed, Account.create().key), "does not match the permit"),
        ("0x1234", "not an ECDSA signature"),
        (NO_CURVE_POINT, "not an ECDSA signature"),
    ):
        response = deal.brand.get(url, params={"permit_signature": bad})
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["errors"] == [
            {"field": "permit_signature", "message": field_message}
        ]
    assert deal.state()["status"] == "drafted"


def test_permits_are_for_the_brand_of_a_drafted_stablecoin_deal(deal_client, chain, wallets):
    deal, _, _ = _drafted_stablecoin_deal(deal_client, chain, wallets)
    assert deal.creator.get(f"{deal.collaboration_url}/permit").status_code == 403
    signature = sign_typed_data(
        deal.brand.get(f"{deal.collaboration_url}/permit").json()["typed_data"], wallets.brand
    )
    response = deal.creator.get(
        f"{deal.collaboration_url}/transactions/deliver",
        params={"permit_signature": signature, "deliverable": "x"},
    )
    assert response.status_code in (403, 409)  # the creator may not, the deal is not funded
    deal.driver.fund_with_permit(deal.collaboration["id"], deal.brand.headers, wallets.brand)
    index(deal_client)
    response = deal.brand.get(f"{deal.collaboration_url}/permit")
    assert response.status_code == 409  # funded already
    assert response.json()["state"] == "funded"

    _, w3, _ = chain
    eth_deal = make_deal(deal_client, w3, wallets, amount=10**15)
    eth_deal.accept()
    response = eth_deal.brand.get(f"{eth_deal.collaboration_url}/permit")
    assert response.status_code == 422
    assert "ETH deal" in response.json()["detail"]
