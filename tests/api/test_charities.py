"""The charity registry: registration, the operator's verification, creators' picks (verified,
or accepted unverified), public totals equal to the chain's own events, and the carry-over of
plain charity addresses by the migration."""

from __future__ import annotations

import json
from collections import Counter

import sqlalchemy as sa
from eth_account import Account
from fastapi.testclient import TestClient

from api.app import create_app
from api.core.migrate import downgrade, upgrade
from contracts import bindings
from tests.api.conftest import OPERATOR_KEY
from tests.api.deals import index, make_deal, send
from tests.api.test_concurrency import THREADS, race
from tests.api.test_splits import ETH_SALE, deal_http, expected_amounts, register_charity  # noqa: F401
from tests.factories import Actor, creator_body, register_brand, register_creator


def _charity_body(**overrides) -> dict:
    return {
        "name": "Refuge des Monts",
        "country": "fr",
        "registration_number": "W751234567",
        "website": "https://refuge.example",
        "wallets": [Account.create().address],
    } | overrides


def _split(charities: list[dict], creator_share: int = 9000) -> dict:
    return {"creator_share_bps": creator_share, "designers": [], "charities": charities}


def test_the_operator_verifies_and_creators_pick_from_the_registry(client) -> None:
    operator = Actor(client, {"id": "operator", "api_key": OPERATOR_KEY})
    brand = register_brand(client)
    body = _charity_body()
    response = brand.post("/v1/charities", json=body)
    assert response.status_code == 201, response.text
    charity = response.json()
    assert (charity["status"], charity["verified"], charity["country"]) == (
        "unverified",
        False,
        "FR",
    )
    twin = brand.post("/v1/charities", json=_charity_body(wallets=[Account.create().address]))
    assert twin.status_code == 409
    assert charity["id"] in twin.json()["detail"]
    same_wallet = brand.post(
        "/v1/charities", json=_charity_body(registration_number="W2", wallets=body["wallets"])
    )
    assert same_wallet.status_code == 409

    # Only the operator decides; until then a creator must accept it unverified.
    url = f"/v1/charities/{charity['id']}/verification"
    assert brand.post(url, json={"status": "verified"}).status_code == 403
    pick = {"charity_id": charity["id"], "share_bps": 1000}
    refused = client.post("/v1/creators", json=creator_body(split=_split([pick])))
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "split.charities.0.accept_unverified"
    accepted = register_creator(client, split=_split([pick | {"accept_unverified": True}]))
    assert accepted.data["split"]["charities"][0]["accept_unverified"] is True

    verified = operator.post(url, json={"status": "verified", "note": "registry checked"})
    assert verified.status_code == 200, verified.text
    assert verified.json()["verified"] is True
    creator = register_creator(client, split=_split([pick]))
    stored = creator.data["split"]["charities"][0]
    assert stored == {
        "charity_id": charity["id"],
        "name": "Refuge des Monts",
        "wallet": body["wallets"][0],
        "share_bps": 1000,
        "accept_unverified": False,
    }
    # A plain wallet that is a verified registry wallet is that charity.
    plain = {"name": "Le refuge", "wallet": body["wallets"][0].lower(), "share_bps": 1000}
    by_wallet = register_creator(client, split=_split([plain]))
    assert by_wallet.data["split"]["charities"][0]["charity_id"] == charity["id"]
    listed = client.get("/v1/charities", params={"status": "verified"}).json()["items"]
    assert [c["id"] for c in listed] == [charity["id"]]

    rejected = operator.post(url, json={"status": "rejected", "note": "not a charity"})
    assert rejected.status_code == 200
    again = client.post(
        "/v1/creators", json=creator_body(split=_split([pick | {"accept_unverified": True}]))
    )
    assert again.status_code == 422
    assert "rejected" in again.json()["detail"]


def test_charity_totals_are_the_sum_of_chain_events(deal_client, chain, wallets, operator):
    """What /v1/charities/{id} shows equals what the escrow's and the splitter's own events say
    the charity's wallet received: from a deal, and from a revenue split."""
    _, w3, deployment = chain
    brand = register_brand(deal_client)
    charity = register_charity(brand, operator, wallets.charity)
    amount = 10**18 + 3
    deal = make_deal(deal_client, w3, wallets, amount=amount)
    deal.accept()
    (payee,) = [p for p in deal.state()["payees"] if p["role"] == "charity"]
    assert (payee["charity_id"], payee["verified"]) == (charity["id"], True)
    deal.fund()
    deal.deliver()
    deal.act(deal.brand, "approve", wallets.brand)

    body = {
        "payees": [
            {"role": "creator", "creator_id": deal.creator.id, "share_bps": 9001},
            {"role": "charity", "charity_id": charity["id"], "share_bps": 999},
        ]
    }
    split = deal.creator.post("/v1/splits", json=body).json()
    send(w3, split["creation_transaction"], wallets.stranger)
    sale = {"to": split["address"], "data": "0x", "value": ETH_SALE, "chainId": w3.eth.chain_id}
    bindings.send(w3, sale, wallets.stranger)
    bindings.send(
        w3, bindings.SplitterContract(w3, split["address"]).build_distribute(None), wallets.stranger
    )
    index(deal_client)

    start = deployment.start_block
    received = ("PayoutPaid", "PayoutCredited")
    from_deals = sum(
        e.args["amount"]
        for e in bindings.fetch_events(w3, deployment.escrow_address, start)
        if e.name in received and e.args["payee"] == wallets.charity
    )
    from_splits = sum(
        e.args["amount"]
        for e in bindings.fetch_splitter_events(w3, split["address"], start)
        if e.name in received and e.args["payee"] == wallets.charity
    )
    assert from_deals > 0
    # the charity's share, plus the dust when its address sorts first
    assert from_splits == expected_amounts(split["payees"], ETH_SALE)[wallets.charity]
    detail = deal_client.get(f"/v1/charities/{charity['id']}").json()
    assert detail["totals"] == [
        {
            "token": "ETH",
            "symbol": "ETH",
            "decimals": 18,
            "from_deals": str(from_deals),
            "from_splits": str(from_splits),
            "amount": str(from_deals + from_splits),
            "amount_human": detail["totals"][0]["amount_human"],
        }
    ]
    assert detail["payouts"] == 2


def test_parallel_registrations_of_one_charity(deal_http, database_url) -> None:  # noqa: F811
    brand = register_brand(deal_http)
    bodies = [_charity_body(wallets=[Account.create().address]) for _ in range(THREADS)]
    answers = race(lambda i: brand.post("/v1/charities", json=bodies[i]))
    assert Counter(a.status_code for a in answers) == {201: 1, 409: THREADS - 1}
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            counts = [
                connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in ("charity", "charity_wallet")
            ]
    finally:
        engine.dispose()
    assert counts == [1, 1]


def test_the_migration_makes_plain_charity_addresses_registry_entries(settings) -> None:
    """Before 0013 a creator's charity was a name and an address: it becomes an unverified
    registry charity the creator accepted, one per address, and a downgrade gives it back."""
    wallet = Account.create().address
    plain = {"name": "Refuge", "wallet": wallet, "share_bps": 500, "accept_unverified": True}
    with TestClient(create_app(settings)) as client:
        first = register_creator(client, split=_split([plain], 9500))
        second = register_creator(client, split=_split([plain | {"name": "Le Refuge"}], 9500))
    url = settings.database_url
    downgrade(url, "0011")
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            split = connection.execute(
                sa.text("SELECT split FROM creator WHERE id = :id"), {"id": first.id}
            ).scalar_one()
        split = split if isinstance(split, dict) else json.loads(split)
        assert split["charities"] == [{"name": "Refuge", "wallet": wallet, "share_bps": 500}]
        upgrade(url)
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT id, name, status, registered_by FROM charity")
            ).all()
            owners = connection.execute(sa.text("SELECT address FROM charity_wallet")).all()
    finally:
        engine.dispose()
    assert [(r.name, r.status, r.registered_by) for r in rows] == [
        ("Refuge", "unverified", "migration")
    ]
    assert [o.address for o in owners] == [wallet]
    with TestClient(create_app(settings)) as client:
        for creator, name in ((first, "Refuge"), (second, "Le Refuge")):
            me = client.get("/v1/me", headers=creator.headers)
            assert me.json()["split"]["charities"] == [
                {
                    "charity_id": rows[0].id,
                    "name": name,
                    "wallet": wallet,
                    "share_bps": 500,
                    "accept_unverified": True,
                }
            ]
