"""Revenue splits through the API on a real factory and real splitters (anvil): declaration with
the creators' signed consents, creation, ETH and stablecoin sales, distribution to the unit, a
payee that cannot receive, the indexer stopping mid-way, and a revenue share in the contract."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from eth_account import Account
from eth_utils import keccak
from sqlmodel import Session, select

from api.chain.indexer import Indexer
from api.payouts.models import Payout
from contracts import bindings
from tests.api.deals import address, index, send
from tests.api.test_concurrency import THREADS, _http, race
from tests.factories import Actor, offer_body, post_request, register_brand, register_creator

ETH_SALE = 10**18 + 7  # odd on purpose: there is dust
USD_SALE = 1_234_567_891  # 6 decimals
SHARES = {"lea": 3000, "karim": 3000, "ana": 1500, "ben": 1000, "charity": 777, "brand": 723}


@dataclass
class Collection:
    """Two creators, two designers, a registry charity and the brand, sharing a collection."""

    brand: Actor
    lea: Actor
    karim: Actor
    keys: dict[str, str]  # creator handle -> wallet key
    designers: list[str]
    charity: dict
    declaration: dict

    def consents(self, declaration: dict | None = None) -> list[dict]:
        body = declaration or self.declaration
        data = self.brand.post("/v1/splits/consent", json=body)
        assert data.status_code == 200, data.text
        typed = data.json()["consent_typed_data"]
        return [
            {"creator_id": c.id, "signature": bindings.sign_typed_data(typed, self.keys[c.id])}
            for c in (self.lea, self.karim)
        ]

    def declare(self, **extra) -> dict:
        body = self.declaration | {"consents": self.consents()} | extra
        response = self.brand.post("/v1/splits", json=body)
        assert response.status_code == 201, response.text
        return response.json()


def register_charity(actor: Actor, operator: Actor, wallet: str, verify: bool = True):
    response = actor.post(
        "/v1/charities",
        json={
            "name": "Refuge des Monts",
            "country": "FR",
            "registration_number": f"W{int.from_bytes(keccak(text=wallet)[:4], 'big')}",
            "website": "https://refuge.example",
            "wallets": [wallet],
        },
    )
    assert response.status_code == 201, response.text
    charity = response.json()
    if verify:
        verified = operator.post(
            f"/v1/charities/{charity['id']}/verification",
            json={"status": "verified", "note": "RNA checked, wallet proof signed"},
        )
        assert verified.status_code == 200, verified.text
        charity = verified.json()
    return charity


def collection(client, wallets, operator: Actor, charity_wallet: str | None = None) -> Collection:
    brand = register_brand(client, wallet=address(wallets.brand))
    karim_key = Account.create().key.hex()
    lea = register_creator(client, wallet=address(wallets.creator), is_virtual=True, operator="Duo")
    karim = register_creator(client, wallet=address(karim_key), is_virtual=True, operator="Duo")
    designers = [Account.create().address for _ in range(2)]
    charity = register_charity(brand, operator, charity_wallet or Account.create().address)
    declaration = {
        "label": "Duo collection",
        "payees": [
            {"role": "creator", "creator_id": lea.id, "share_bps": SHARES["lea"]},
            {"role": "creator", "creator_id": karim.id, "share_bps": SHARES["karim"]},
            {"role": "designer", "name": "Ana", "wallet": designers[0], "share_bps": SHARES["ana"]},
            {"role": "designer", "name": "Ben", "wallet": designers[1], "share_bps": SHARES["ben"]},
            {"role": "charity", "charity_id": charity["id"], "share_bps": SHARES["charity"]},
            {"role": "brand", "share_bps": SHARES["brand"]},
        ],
    }
    keys = {lea.id: wallets.creator, karim.id: karim_key}
    return Collection(brand, lea, karim, keys, designers, charity, declaration)


def expected_amounts(payees: list[dict], amount: int) -> dict[str, int]:
    """The splitter's rule: each payee but the first its share rounded down, the first the
    rest (the dust)."""
    others = {p["wallet"]: amount * p["share_bps"] // 10_000 for p in payees[1:]}
    return {payees[0]["wallet"]: amount - sum(others.values()), **others}


def balance(w3, token: str, wallet: str) -> int:
    if token == "ETH":
        return int(w3.eth.get_balance(wallet))
    return bindings.Erc20(w3, token).balance_of(wallet)


def create_and_fill(w3, wallets, split: dict, stablecoin: str) -> None:
    """Anyone creates the splitter; the collection's sales arrive in ETH and in the stablecoin."""
    send(w3, split["creation_transaction"], wallets.stranger)
    sale = {"to": split["address"], "data": "0x", "value": ETH_SALE, "chainId": w3.eth.chain_id}
    bindings.send(w3, sale, wallets.stranger)
    coin = bindings.Erc20(w3, stablecoin)
    bindings.send(w3, coin.build_mint(split["address"], USD_SALE), wallets.stranger)


def distribute_all(client, w3, wallets, split_id: str) -> dict:
    state = client.get(f"/v1/splits/{split_id}").json()
    for row in state["balances"]:
        if row["distribute_transaction"]:
            send(w3, row["distribute_transaction"], wallets.stranger)
    index(client)
    return client.get(f"/v1/splits/{split_id}").json()


def test_a_collection_split_pays_every_payee_exactly_in_eth_and_stablecoin(
    deal_client, chain, wallets, operator
) -> None:
    _, w3, deployment = chain
    duo = collection(deal_client, wallets, operator)
    split = duo.declare()

    ordered = sorted(split["payees"], key=lambda p: int(p["wallet"], 16))
    assert split["payees"] == ordered
    factory = bindings.SplitterFactoryContract(w3, deployment.splitter_factory_address)
    wallets_shares = [p["wallet"] for p in ordered], [p["share_bps"] for p in ordered]
    assert split["address"] == factory.predict(*wallets_shares)
    assert split["created"] is False
    roles = Counter(p["role"] for p in split["payees"])
    assert roles == {"creator": 2, "designer": 2, "charity": 1, "brand": 1}
    (charity,) = [p for p in split["payees"] if p["role"] == "charity"]
    assert charity["verified"] is True
    assert charity["charity_id"] == duo.charity["id"]

    create_and_fill(w3, wallets, split, deployment.stablecoin_address)
    tokens = {"ETH": ETH_SALE, deployment.stablecoin_address: USD_SALE}
    before = {t: {p["wallet"]: balance(w3, t, p["wallet"]) for p in ordered} for t in tokens}
    index(deal_client)
    state = deal_client.get(f"/v1/splits/{split['id']}").json()
    assert state["created"] is True
    held = {row["token"]: row for row in state["balances"]}
    for token, amount in tokens.items():
        assert held[token]["balance"] == held[token]["distributable"] == str(amount)
        assert held[token]["distribute_transaction"]["to"] == split["address"]

    state = distribute_all(deal_client, w3, wallets, split["id"])

    for token, amount in tokens.items():
        expected = expected_amounts(ordered, amount)
        assert sum(expected.values()) == amount
        for payee in state["payees"]:
            wallet = payee["wallet"]
            assert balance(w3, token, wallet) - before[token][wallet] == expected[wallet]
            (got,) = [r for r in payee["received"] if r["token"] == token]
            assert got == {
                "token": token,
                "paid": str(expected[wallet]),
                "credited": "0",
                "withdrawn": "0",
            }
        row = next(r for r in state["balances"] if r["token"] == token)
        assert (row["balance"], row["total_in"]) == ("0", str(amount))
        assert row["distribute_transaction"] is None
    designer = deal_client.get(f"/v1/wallets/{duo.designers[0]}/payouts").json()
    assert {(i["source"], i["splitter"], i["deal_id"]) for i in designer["items"]} == {
        ("splitter", split["address"], None)
    }
    # Events: one split.distributed per distribution for the declarer and the paid creators;
    # each creator's own payouts, with the split they came from.
    for actor in (duo.brand, duo.lea, duo.karim):
        told = actor.get("/v1/events", params={"type": "split.distributed", "limit": 100})
        assert [e["data"]["token"] for e in told.json()["items"]] == list(tokens)
    lea_paid = duo.lea.get("/v1/events", params={"type": "payout.paid", "limit": 100}).json()
    assert {e["data"]["split_id"] for e in lea_paid["items"]} == {split["id"]}
    assert {e["data"]["token"] for e in lea_paid["items"]} == set(tokens)
    assert {e["data"]["wallet"].lower() for e in lea_paid["items"]} == {
        duo.lea.data["wallet"].lower()
    }
    assert designer["totals"] == {
        t: str(expected_amounts(ordered, a)[duo.designers[0]]) for t, a in tokens.items()
    }


def test_a_payee_that_cannot_receive_is_credited_then_withdraws(
    deal_client, chain, wallets
) -> None:
    _, w3, _ = chain
    refusing = bindings.deploy(w3, "RevertingPayee", private_key=wallets.deployer)
    payee = w3.eth.contract(address=refusing, abi=bindings.abi_of("RevertingPayee"))
    lea = register_creator(deal_client, wallet=address(wallets.creator))
    body = {
        "payees": [
            {"role": "creator", "creator_id": lea.id, "share_bps": 7000},
            {"role": "designer", "name": "Contract", "wallet": refusing, "share_bps": 3000},
        ]
    }
    response = lea.post("/v1/splits", json=body)  # the creator declares: no consent needed
    assert response.status_code == 201, response.text
    split = response.json()
    send(w3, split["creation_transaction"], wallets.stranger)
    sale = {"to": split["address"], "data": "0x", "value": ETH_SALE, "chainId": w3.eth.chain_id}
    bindings.send(w3, sale, wallets.stranger)
    index(deal_client)
    state = distribute_all(deal_client, w3, wallets, split["id"])

    owed = expected_amounts(split["payees"], ETH_SALE)[refusing]
    eth = next(r for r in state["balances"] if r["token"] == "ETH")
    assert (eth["balance"], eth["credited"], eth["distributable"]) == (str(owed), str(owed), "0")
    assert eth["distribute_transaction"] is None  # nothing to split: the credit is not its own
    (contract,) = [p for p in state["payees"] if p["wallet"] == refusing]
    assert contract["received"] == [
        {"token": "ETH", "paid": "0", "credited": str(owed), "withdrawn": "0"}
    ]

    withdraw = bindings.SplitterContract(w3, split["address"]).build_withdraw(None)["data"]
    for name, args in (("setAccepting", [True]), ("execute", [split["address"], withdraw])):
        tx = {"to": refusing, "data": payee.encode_abi(name, args=args), "value": 0}
        bindings.send(w3, tx | {"chainId": w3.eth.chain_id}, wallets.deployer)
    assert int(w3.eth.get_balance(refusing)) == owed
    index(deal_client)
    state = deal_client.get(f"/v1/splits/{split['id']}").json()
    (contract,) = [p for p in state["payees"] if p["wallet"] == refusing]
    assert contract["received"][0]["withdrawn"] == str(owed)
    eth = next(r for r in state["balances"] if r["token"] == "ETH")
    assert (eth["balance"], eth["credited"], eth["total_in"]) == ("0", "0", str(ETH_SALE))
    kinds = [i["kind"] for i in deal_client.get(f"/v1/wallets/{refusing}/payouts").json()["items"]]
    assert kinds == ["withdrawn", "credited"]


def _splitter_payouts(engine) -> list[tuple[str, str, str, str]]:
    with Session(engine) as session:
        rows = session.exec(
            select(Payout).where(Payout.source == "splitter").order_by(Payout.id)
        ).all()
        return [(row.kind, row.wallet, row.token, row.amount) for row in rows]


def test_the_indexer_stopped_mid_way_resumes_and_doubles_nothing(
    deal_client, chain, wallets, operator, monkeypatch
) -> None:
    _, w3, deployment = chain
    engine = deal_client.app.state.engine
    state = deal_client.app.state
    duo = collection(deal_client, wallets, operator)
    split = duo.declare()
    first = w3.eth.block_number + 1
    create_and_fill(w3, wallets, split, deployment.stablecoin_address)
    splitter = bindings.SplitterContract(w3, split["address"])
    for token in (None, deployment.stablecoin_address):
        bindings.send(w3, splitter.build_distribute(token), wallets.stranger)
    last = w3.eth.block_number

    def indexer() -> Indexer:  # a fresh one: what a restarted process builds
        return Indexer(
            engine=engine, chain=state.chain, start_block=state.settings.indexer_start_block
        )

    # One block per step, up to the splitter's creation: then the process dies.
    stepper = indexer()
    stepper.batch_blocks = 1
    while _created(engine, split["id"]) is None:
        stepper.run_once()
    assert _splitter_payouts(engine) == []

    # The next step dies after reading the splitter's logs: nothing of it is kept.
    def node_fails(*_args, **_kwargs):
        raise ConnectionError("node went away")

    monkeypatch.setattr(bindings, "fetch_events_of_type", node_fails)
    with pytest.raises(Exception, match="did not answer"):
        indexer().catch_up()
    assert _splitter_payouts(engine) == []
    monkeypatch.undo()

    indexer().catch_up()
    indexer().catch_up()  # and once more, from the stored cursor: nothing new
    payees = split["payees"]
    expected = sorted(
        ("paid", wallet, token, str(amount))
        for token, sale in (("ETH", ETH_SALE), (deployment.stablecoin_address, USD_SALE))
        for wallet, amount in expected_amounts(payees, sale).items()
    )
    assert sorted(_splitter_payouts(engine)) == expected
    assert first <= _created(engine, split["id"]) <= last


def _created(engine, split_id: str) -> int | None:
    with Session(engine) as session:
        return session.execute(
            sa.text("SELECT created_block FROM revenue_split WHERE id = :id"), {"id": split_id}
        ).scalar_one()


def _count(engine, table: str) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()


def test_bad_declarations_are_refused_and_change_nothing(deal_client, wallets, operator) -> None:
    engine = deal_client.app.state.engine
    duo = collection(deal_client, wallets, operator)
    consents = duo.consents()
    payees = duo.declaration["payees"]
    stranger = register_creator(deal_client)
    unverified = {"role": "charity", "name": "Refuge X", "wallet": Account.create().address}
    cases = [
        ({"payees": payees, "consents": consents[:1]}, 422, "missing the signed consent"),
        (
            {
                "payees": payees,
                "consents": [consents[0], consents[0] | {"creator_id": duo.karim.id}],
            },
            422,
            "not the signature",
        ),
        ({"payees": [*payees[:-1], payees[-1] | {"share_bps": 722}]}, 422, "9999"),
        (
            {"payees": [*payees[:4], unverified | {"share_bps": 777}, payees[5]]},
            422,
            "accept_unverified",
        ),
        ({"payees": [payees[2] | {"share_bps": 10_000}]}, 422, "at least one creator"),
    ]
    before = _count(engine, "revenue_split")
    for body, status, needle in cases:
        response = duo.brand.post("/v1/splits", json=body)
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert needle in response.text, response.text
    # A creator declares only a split that pays itself, and never a brand's share.
    not_theirs = [*payees[:4], payees[4] | {"share_bps": 1500}]
    forbidden = stranger.post("/v1/splits", json={"payees": not_theirs})
    assert forbidden.status_code == 403, forbidden.text
    brand_share = duo.lea.post(
        "/v1/splits",
        json={"payees": [payees[0] | {"share_bps": 9000}, {"role": "brand", "share_bps": 1000}]},
    )
    assert brand_share.status_code == 422
    assert "brand" in brand_share.json()["detail"]
    assert _count(engine, "revenue_split") == before == 0

    # An unverified charity the creators accept, knowingly: in their consent too.
    accepted = unverified | {"share_bps": 777, "accept_unverified": True}
    declaration = {"payees": [*payees[:4], accepted, payees[5]]}
    split = duo.brand.post("/v1/splits", json=declaration | {"consents": duo.consents(declaration)})
    assert split.status_code == 201, split.text
    (charity,) = [p for p in split.json()["payees"] if p["role"] == "charity"]
    assert (charity["verified"], charity["charity_id"]) == (False, None)
    again = duo.brand.post("/v1/splits", json=declaration | {"consents": duo.consents(declaration)})
    assert again.status_code == 409
    assert split.json()["id"] in again.json()["detail"]


@pytest.fixture
def deal_http(deal_settings):
    yield from _http(deal_settings)


def test_parallel_declarations_of_one_payee_set(deal_http, wallets, database_url) -> None:
    lea = register_creator(deal_http, wallet=address(wallets.creator))
    body = {
        "payees": [
            {"role": "creator", "creator_id": lea.id, "share_bps": 9000},
            {"role": "designer", "name": "Ana", "wallet": wallets.designers[0], "share_bps": 1000},
        ]
    }
    answers = race(lambda _: lea.post("/v1/splits", json=body))
    assert Counter(a.status_code for a in answers) == {201: 1, 409: THREADS - 1}
    engine = sa.create_engine(database_url)
    try:
        assert _count(engine, "revenue_split") == 1
    finally:
        engine.dispose()


def test_an_offer_records_its_revenue_share_in_the_signed_contract(
    deal_client, chain, wallets, operator
) -> None:
    duo = collection(deal_client, wallets, operator)
    split = duo.declare()
    request = post_request(duo.brand)
    share = {"split_id": split["id"], "share_bps": 2000}
    response = duo.brand.post(
        f"/v1/requests/{request['id']}/offers",
        json=offer_body(duo.lea.id, revenue_share=share),
    )
    assert response.status_code == 201, response.text
    offer = response.json()
    text = offer["terms_text"]
    assert "Partage de recettes / Revenue share" in text
    assert split["address"] in text
    assert "2000 points de base" in text
    assert "(20 %)" in text
    assert offer["revenue_share"] == share | {
        "splitter": split["address"],
        "revenue": "ventes de la collection / collection sales",
    }
    assert offer["versions"][0]["terms_hash"] == "0x" + keccak(text=text).hex()

    from tests.api.deals import Deal

    deal = Deal(deal_client, chain[1], wallets, duo.brand, duo.lea, offer)
    accepted = deal.accept()["collaboration"]
    assert accepted["revenue_share"] == offer["revenue_share"]
    assert accepted["terms_hash"] == offer["versions"][0]["terms_hash"]

    other = register_creator(deal_client)
    refused = duo.brand.post(
        f"/v1/requests/{request['id']}/offers", json=offer_body(other.id, revenue_share=share)
    )
    assert refused.status_code == 422
    assert "does not pay this creator" in refused.text


def test_a_split_is_in_its_creators_export_and_loses_their_names_on_erasure(
    deal_client, wallets
) -> None:
    lea = register_creator(deal_client, wallet=address(wallets.creator))
    body = {
        "label": "Lea's collection",
        "payees": [
            {"role": "creator", "creator_id": lea.id, "share_bps": 9000},
            {"role": "designer", "name": "Ana", "wallet": wallets.designers[0], "share_bps": 1000},
        ],
    }
    split = lea.post("/v1/splits", json=body).json()
    exported = lea.get("/v1/me/export").json()["tables"]["revenue_split"]
    assert [row["id"] for row in exported] == [split["id"]]

    assert deal_client.delete("/v1/me", headers=lea.headers).status_code == 200
    after = deal_client.get(f"/v1/splits/{split['id']}").json()
    assert after["label"] is None
    assert {p["name"] for p in after["payees"]} == {"[erased]"}
    assert [p["wallet"] for p in after["payees"]] == [p["wallet"] for p in split["payees"]]
