"""Bad input is a 422 that names the field and changes nothing; the connection stays usable.

Tokens and payees are checked against what the deployment knows (its ERC-20s, its contracts);
text the database cannot store, dates that overflow, cursors beyond the id type, and numbers
sent as booleans or floats are refused before they reach a service or the database.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from eth_account import Account
from eth_utils import to_checksum_address
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.app import create_app
from api.core.runtime import StartupError
from api.core.settings import Settings
from api.creators.models import Creator
from api.payouts.models import Payout
from contracts import bindings
from tests.api.deals import Wallets, address, index, make_deal
from tests.factories import (
    auth,
    brand_body,
    creator_body,
    future,
    offer_body,
    post_request,
    register_brand,
    register_creator,
    request_body,
)

ZERO_ADDRESS = "0x" + "00" * 20
NO_CONTRACT = to_checksum_address("0x" + "5a" * 20)  # no code at this address on test chains


def fields(response) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [error["field"] for error in response.json()["errors"]]


def still_usable(client: TestClient) -> None:
    """After a refused request, the next one goes through (no poisoned connection)."""
    assert client.post("/v1/brands", json=brand_body()).status_code == 201


# ----------------------------------------------------------- finding 6: tokens and payees


def _charity(wallet: str) -> dict:
    return {
        "creator_share_bps": 9000,
        "designers": [],
        "charities": [
            {"name": "Refuge", "wallet": wallet, "share_bps": 1000, "accept_unverified": True}
        ],
    }


@pytest.mark.parametrize("reserved", ["escrow", "zero", "stablecoin", "splitter_factory"])
def test_reserved_addresses_are_refused_as_payees_and_brand_wallets(
    deal_client, chain, reserved
) -> None:
    _, _, deployment = chain
    wallet = {
        "escrow": deployment.escrow_address,
        "zero": ZERO_ADDRESS,
        "stablecoin": deployment.stablecoin_address,
        "splitter_factory": deployment.splitter_factory_address,
    }[reserved]
    charity = deal_client.post("/v1/creators", json=creator_body(split=_charity(wallet)))
    assert fields(charity) == ["split.charities.0.wallet"]
    own = deal_client.post("/v1/creators", json=creator_body(wallet=wallet))
    assert fields(own) == ["wallet"]
    assert fields(deal_client.post("/v1/brands", json=brand_body(wallet=wallet))) == ["wallet"]

    brand = register_brand(deal_client)
    assert fields(brand.patch("/v1/brands/me", json={"wallet": wallet})) == ["wallet"]
    creator = register_creator(deal_client)
    designer = {"name": "Ana", "wallet": wallet, "share_bps": 500}
    split = {"creator_share_bps": 9500, "designers": [designer], "charities": []}
    assert fields(creator.patch("/v1/creators/me", json={"split": split})) == [
        "split.designers.0.wallet"
    ]
    assert creator.get("/v1/me").json()["split"]["designers"] == []
    still_usable(deal_client)


@pytest.mark.parametrize("token", [ZERO_ADDRESS, NO_CONTRACT, "fake_erc20"])
def test_only_tokens_the_deployment_knows(deal_client, chain, wallets, token) -> None:
    _, w3, deployment = chain
    if token == "fake_erc20":  # a real ERC-20, but not one this deployment was configured with
        token = bindings.deploy(w3, "TestStablecoin", private_key=wallets.deployer)
    fees = [{"amount": "10", "token": "ETH"}, {"amount": "10", "token": token}]
    assert fields(deal_client.post("/v1/creators", json=creator_body(min_fees=fees))) == [
        "min_fees.1.token"
    ]
    brand = register_brand(deal_client)
    budget = {"amount": "1000", "token": token}
    assert fields(brand.post("/v1/requests", json=request_body(budget=budget))) == ["budget.token"]
    # The deployment's own tokens are taken.
    known = [
        {"amount": "10", "token": "ETH"},
        {"amount": "10", "token": deployment.stablecoin_address},
    ]
    creator = register_creator(deal_client, min_fees=known)

    # A profile written before the check (or by hand) still cannot carry an offer in that token.
    with Session(deal_client.app.state.engine) as session:
        row = session.get(Creator, creator.id)
        row.min_fees = [*known, {"amount": "10", "token": token}]
        session.add(row)
        session.commit()
    request = post_request(brand)
    response = brand.post(
        f"/v1/requests/{request['id']}/offers", json=offer_body(creator.id, token=token)
    )
    assert fields(response) == ["token"]
    assert brand.get("/v1/offers").json()["items"] == []
    still_usable(deal_client)


def test_without_a_chain_eth_and_the_configured_tokens_only(database_url: str) -> None:
    configured, extra = Account.create().address, Account.create().address
    settings = Settings(
        database_url=database_url,
        stablecoin_address=configured,
        token_addresses=extra,
        secret_key="test-secret-key-0123456789",
        indexer_enabled=False,
        _env_file=None,
    )
    with TestClient(create_app(settings)) as client:
        for token in ("ETH", configured, extra):
            fees = [{"amount": "10", "token": token}]
            assert client.post("/v1/creators", json=creator_body(min_fees=fees)).status_code == 201
        fees = [{"amount": "10", "token": Account.create().address}]
        assert fields(client.post("/v1/creators", json=creator_body(min_fees=fees))) == [
            "min_fees.0.token"
        ]
        assert fields(client.post("/v1/brands", json=brand_body(wallet=configured))) == ["wallet"]


def test_a_configured_token_without_a_contract_stops_the_start(deal_settings) -> None:
    settings = deal_settings.model_copy(update={"token_addresses": [NO_CONTRACT]})
    with (
        pytest.raises(StartupError, match="TOKEN_ADDRESSES: no contract at"),
        TestClient(create_app(settings)),
    ):
        pass


def test_a_platform_fee_above_the_escrow_cap_stops_the_start(deal_settings, chain) -> None:
    _, w3, deployment = chain
    cap = bindings.EscrowContract(w3, deployment.escrow_address).platform_fee_cap_bps()
    with TestClient(create_app(deal_settings.model_copy(update={"platform_fee_bps": cap}))):
        pass
    above = deal_settings.model_copy(update={"platform_fee_bps": cap + 1})
    from api.core.runtime import check_deployment

    with pytest.raises(StartupError, match="PLATFORM_FEE_BPS"):  # `collab serve`, before serving
        check_deployment(above, w3)
    with (
        pytest.raises(StartupError, match=f"PLATFORM_FEE_BPS: {cap + 1} is above"),
        TestClient(create_app(above)),
    ):
        pass


# ------------------------------------------------ finding 14: payout totals and withdrawTo


def test_payout_totals_count_known_tokens_in_their_units(deal_client, chain, wallets) -> None:
    _, w3, deployment = chain
    fake = bindings.deploy(w3, "TestStablecoin", private_key=wallets.deployer)
    wallet = Account.create().address
    rows = [
        ("ETH", 1_500_000_000_000_000_000, "paid"),
        ("ETH", 7, "credited"),
        ("ETH", 10**18, "withdrawn"),  # moving a credit out is not receiving it twice
        (deployment.stablecoin_address, 2_500_000_003, "paid"),
        (fake, 10**30, "paid"),  # anyone can make a token and "pay" with it
    ]
    with Session(deal_client.app.state.engine) as session:
        for log_index, (token, amount, kind) in enumerate(rows):
            session.add(
                Payout(
                    chain_id=31337,
                    wallet=wallet,
                    token=token,
                    amount=str(amount),
                    kind=kind,
                    block_number=1,
                    tx_hash="0x" + "ab" * 32,
                    log_index=log_index,
                )
            )
        session.commit()
    body = deal_client.get(f"/v1/wallets/{wallet}/payouts").json()
    assert len(body["items"]) == 5
    assert body["totals"] == {
        "ETH": "1500000000000000007",
        deployment.stablecoin_address: "2500000003",
    }
    assert body["received"] == [
        {
            "token": "ETH",
            "symbol": "ETH",
            "decimals": 18,
            "amount": "1500000000000000007",
            "amount_human": "1.500000000000000007",
        },
        {
            "token": deployment.stablecoin_address,
            "symbol": bindings.Erc20(w3, deployment.stablecoin_address).symbol(),
            "decimals": 6,
            "amount": "2500000003",
            "amount_human": "2500.000003",
        },
    ]
    assert Decimal(body["received"][1]["amount_human"]) * 10**6 == 2_500_000_003


def test_a_wallet_that_refuses_eth_withdraws_to_another(deal_client, chain, wallets) -> None:
    _, w3, deployment = chain
    refusing = bindings.deploy(w3, "RevertingPayee", private_key=wallets.deployer)
    with_refuser = Wallets(**{**wallets.__dict__, "designers": [refusing, wallets.designers[1]]})
    deal = make_deal(deal_client, w3, with_refuser, amount=10**18)
    deal.accept()
    deal.fund()
    deal.deliver()
    deal.act(deal.brand, "approve", wallets.brand)
    credit = int(deal_client.get(f"/v1/wallets/{refusing}/credits").json()["credits"]["ETH"])
    assert credit > 0

    for reserved in (ZERO_ADDRESS, deployment.escrow_address):
        refused = deal_client.get(f"/v1/wallets/{refusing}/credits", params={"to": reserved})
        assert fields(refused) == ["query.to"]
    safe = Account.create().address
    body = deal_client.get(f"/v1/wallets/{refusing}/credits", params={"to": safe}).json()
    withdrawal = body["withdrawals"][0]
    assert withdrawal["withdraw_to"]["to"] == safe
    tx = withdrawal["withdraw_to"]["transaction"]
    assert tx["to"] == deployment.escrow_address
    assert tx["from"] == refusing

    # The payee contract still refuses ETH; it sends the credit to `safe` instead.
    payee = w3.eth.contract(address=refusing, abi=bindings.abi_of("RevertingPayee"))
    call = payee.functions.execute(tx["to"], tx["data"]).build_transaction(
        {"from": address(wallets.deployer), "gas": 300_000}
    )
    call = {"to": call["to"], "data": call["data"], "value": 0, "chainId": call["chainId"]}
    bindings.send(w3, call, wallets.deployer)
    assert w3.eth.get_balance(safe) == credit
    index(deal_client)
    after = deal_client.get(f"/v1/wallets/{refusing}/credits").json()
    assert after["credits"]["ETH"] == "0"
    assert after["withdrawals"] == []


# ------------------------------------------------------ finding 11: inputs that gave a 500


def test_nul_in_a_body_is_refused_before_the_database(client) -> None:
    body = brand_body(name="Vegan\x00Co")
    assert fields(client.post("/v1/brands", json=body)) == ["name"]
    creator = creator_body(split=_charity(Account.create().address))
    creator["split"]["charities"][0]["name"] = "Refuge\x00"
    assert fields(client.post("/v1/creators", json=creator)) == ["split.charities.0.name"]
    brand = register_brand(client)
    assert fields(brand.patch("/v1/brands/me", json={"description": "\x00"})) == ["description"]
    assert brand.get("/v1/me").json()["description"] == brand.data["description"]
    # An escaped backslash is text like any other, not a NUL.
    assert brand.patch("/v1/brands/me", json={"description": "C:\\u0000"}).status_code == 200
    still_usable(client)


def test_nul_in_a_path_or_a_query_is_refused(client) -> None:
    brand = register_brand(client)
    assert fields(brand.get("/v1/requests/req_%00")) == ["path"]
    assert fields(brand.get("/v1/offers/off_x%00y")) == ["path"]
    assert fields(brand.get("/v1/requests", params={"cursor": "a\x00"})) == ["query.cursor"]
    assert brand.get("/v1/requests").status_code == 200
    still_usable(client)


@pytest.mark.parametrize(
    "when", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "2400-01-01T00:00:00Z"]
)
def test_far_dates_are_refused(client, when: str) -> None:
    brand = register_brand(client)
    assert fields(brand.post("/v1/requests", json=request_body(deadline=when))) == ["deadline"]
    creator = register_creator(client)
    request = post_request(brand)
    offer = brand.post(
        f"/v1/requests/{request['id']}/offers", json=offer_body(creator.id, deliver_by=when)
    )
    assert fields(offer) == ["deliver_by"]
    assert brand.get("/v1/requests").json()["items"] == [request]
    still_usable(client)


def test_deliver_by_stays_within_a_year(client) -> None:
    brand, creator = register_brand(client), register_creator(client)
    request = post_request(brand)
    offer = brand.post(
        f"/v1/requests/{request['id']}/offers", json=offer_body(creator.id, deliver_by=future(400))
    )
    assert fields(offer) == ["deliver_by"]


@pytest.mark.parametrize("cursor", [2**31, 2**63, 10**30])
def test_huge_payout_cursors_are_refused(client, cursor: int) -> None:
    wallet = Account.create().address
    response = client.get(f"/v1/wallets/{wallet}/payouts", params={"cursor": cursor})
    assert fields(response) == ["query.cursor"]
    last = client.get(f"/v1/wallets/{wallet}/payouts", params={"cursor": 2**31 - 1})
    assert last.status_code == 200
    assert last.json()["items"] == []
    still_usable(client)


# ---------------------------------------------------- finding 14: numbers are what they say


def _split(**payee) -> dict:
    designer = {"name": "Ana", "wallet": Account.create().address, "share_bps": 5000} | payee
    return {"creator_share_bps": 5000, "designers": [designer], "charities": []}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"split": _split(share_bps=5000.0)}, "split.designers.0.share_bps"),
        ({"split": _split(share_bps="5000")}, "split.designers.0.share_bps"),
        (
            {"split": {"creator_share_bps": True, "designers": [], "charities": []}},
            "split.creator_share_bps",
        ),
        (
            {"split": {"creator_share_bps": 10_000.0, "designers": [], "charities": []}},
            "split.creator_share_bps",
        ),
        ({"audience": {"instagram": {"followers": True}}}, "audience.instagram.followers"),
        ({"audience": {"instagram": {"followers": 1000.0}}}, "audience.instagram.followers"),
        (
            {"audience": {"instagram": {"followers": 10, "engagement_rate": True}}},
            "audience.instagram.engagement_rate",
        ),
        ({"screening": {"min_alignment": "0.5"}}, "screening.min_alignment"),
        ({"is_virtual": 1, "operator": "Studio"}, "is_virtual"),
    ],
)
def test_creator_numbers_are_strict(client, body: dict, field: str) -> None:
    assert fields(client.post("/v1/creators", json=creator_body(**body))) == [field]
    creator = register_creator(client)
    assert fields(client.patch("/v1/creators/me", json=body, headers=auth(creator.key))) == [field]


def test_request_and_offer_numbers_are_strict(client) -> None:
    brand, creator = register_brand(client), register_creator(client)
    for deliverables, audience, field in [
        ([{"platform": "instagram", "format": "reel", "count": True}], {}, "deliverables.0.count"),
        ([{"platform": "instagram", "format": "reel", "count": 2.0}], {}, "deliverables.0.count"),
        (None, {"min_followers": True}, "audience.min_followers"),
        (None, {"min_followers": 1000.0}, "audience.min_followers"),
    ]:
        body = request_body(audience=audience)
        if deliverables:
            body["deliverables"] = deliverables
        assert fields(brand.post("/v1/requests", json=body)) == [field]
    request = post_request(brand)
    for period in (True, 3600.0, "3600"):
        response = brand.post(
            f"/v1/requests/{request['id']}/offers",
            json=offer_body(creator.id, review_period_seconds=period),
        )
        assert fields(response) == ["review_period_seconds"]
    ok = brand.post(
        f"/v1/requests/{request['id']}/offers",
        json=offer_body(creator.id, review_period_seconds=3600),
    )
    assert ok.status_code == 201, ok.text


def test_creators_name_the_platforms_they_publish_on(client) -> None:
    """Streaming and newsletters are platforms too; a name no one publishes on is refused
    (the matching index keeps a row per platform, so the list is closed)."""
    for platform in ("kick", "substack", "Bluesky"):
        audience = {platform: {"followers": 5_000, "engagement_rate": 0.03, "countries": ["FR"]}}
        response = client.post("/v1/creators", json=creator_body(audience=audience))
        assert response.status_code == 201, response.text
        assert platform.lower() in response.json()["audience"]
    audience = {"myspace-2": {"followers": 5_000, "engagement_rate": 0.03, "countries": ["FR"]}}
    response = client.post("/v1/creators", json=creator_body(audience=audience))
    assert response.status_code == 422
    assert "unknown platform" in response.text
