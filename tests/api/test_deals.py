"""Offer -> typed data -> signature -> acceptance -> funding -> delivery -> release, on anvil."""

from __future__ import annotations

import pytest
from eth_account import Account

from api.dev.driver import token_balance
from contracts import bindings
from tests.api.deals import (
    FEE_BPS,
    address,
    expected_split,
    index,
    make_deal,
    send,
    sign_typed_data,
)
from tests.conftest import TEST_DATABASE_URL
from tests.contracts.env import advance

ODD_AMOUNT = 1_000_000_000_000_000_007  # 1 ETH and 7 wei: the dust must land on the creator


@pytest.mark.parametrize("token_kind", ["ETH", "stablecoin"])
def test_full_flow_pays_every_payee_exactly(deal_client, chain, wallets, token_kind) -> None:
    _, w3, deployment = chain
    token = "ETH" if token_kind == "ETH" else deployment.stablecoin_address
    amount = ODD_AMOUNT if token == "ETH" else 2_500_000_003  # 2,500.000003 units of 6 decimals
    if token != "ETH":
        coin = bindings.Erc20(w3, token)
        bindings.send(w3, coin.build_mint(address(wallets.brand), amount), wallets.brand)
    deal = make_deal(deal_client, w3, wallets, token=token, amount=amount)

    typed = deal.typed_data()
    assert typed["domain"]["chainId"] == 31337
    assert typed["domain"]["verifyingContract"] == deployment.escrow_address
    assert typed["message"]["amount"] == str(amount)
    assert typed["message"]["isVirtual"] is True
    assert "Images virtuelles" in deal.offer["terms_text"]
    assert "Virtual images" in deal.offer["terms_text"]

    accepted = deal.accept()
    assert accepted["offer"]["status"] == "accepted"
    assert accepted["collaboration"]["status"] == "drafted"
    payees = accepted["collaboration"]["payees"]
    assert [p["role"] for p in payees] == ["creator", "designer", "designer", "charity"]

    payee_wallets = [p["wallet"] for p in payees]
    shares = [p["share_bps"] for p in payees]
    before = [token_balance(w3, token, w) for w in payee_wallets[1:]]

    fund = deal.transaction(deal.brand, "fund")
    if token == "ETH":
        assert fund["transaction"]["value"] == str(amount)
        assert not fund["requires"]
        assert int(fund["transaction"]["gas"]) > 0
    else:
        assert fund["requires"]
        assert fund["requires"][0]["to"] == token
    deal.fund()
    assert deal.state()["status"] == "funded"
    assert deal.state()["transactions"]["fund"].startswith("0x")

    deal.deliver()
    assert deal.state()["status"] == "delivered"
    deal.act(deal.brand, "approve", wallets.brand)
    state = deal.state()
    assert state["status"] == "released"

    fee, amounts = expected_split(amount, shares)
    after = [token_balance(w3, token, w) for w in payee_wallets[1:]]
    assert [a - b for a, b in zip(after, before, strict=True)] == amounts[1:]
    paid = {p["wallet"]: int(p["amount"]) for p in state["payouts"] if p["kind"] == "paid"}
    assert [paid[w] for w in payee_wallets] == amounts
    assert sum(amounts) + fee == amount
    fees = [int(p["amount"]) for p in state["payouts"] if p["kind"] == "fee"]
    assert fees == [fee]

    for wallet, expected in zip(payee_wallets, amounts, strict=True):
        body = deal_client.get(f"/v1/wallets/{wallet.lower()}/payouts").json()
        assert body["totals"] == {token: str(expected)}
        assert body["items"][0]["deal_id"] == state["deal_id"]

    creator_me = deal.creator.get("/v1/me").json()
    assert creator_me["completed_deals"] == 1


def test_refund_after_deadline(deal_client, chain, wallets) -> None:
    _, w3, _ = chain
    deal = make_deal(deal_client, w3, wallets, amount=10**17)
    deal.accept()
    deal.fund()
    assert deal.creator.get(f"{deal.collaboration_url}/transactions/refund").status_code == 403
    too_early = deal.brand.get(f"{deal.collaboration_url}/transactions/refund")
    assert too_early.status_code == 409
    assert "not passed" in too_early.json()["detail"]
    advance(w3, 15 * 24 * 3600)
    before = w3.eth.get_balance(address(wallets.brand))
    receipt = deal.act(deal.brand, "refund", wallets.brand)
    gas = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert w3.eth.get_balance(address(wallets.brand)) == before - gas + 10**17
    state = deal.state()
    assert state["status"] == "refunded"
    assert [p["kind"] for p in state["payouts"]] == ["refund"]


def test_dispute_then_resolve_by_operator(deal_client, chain, wallets, operator) -> None:
    _, w3, _ = chain
    amount = 10**18
    deal = make_deal(deal_client, w3, wallets, amount=amount)
    deal.accept()
    deal.fund()
    deal.deliver()
    deal.act(deal.brand, "dispute", wallets.brand)
    assert deal.state()["status"] == "disputed"
    assert deal.brand.get(f"{deal.collaboration_url}/transactions/resolve").status_code == 403
    missing = operator.get(f"{deal.collaboration_url}/transactions/resolve")
    assert missing.status_code == 422
    deal.act(operator, "resolve", wallets.deployer, payee_share_bps=6000)
    state = deal.state()
    assert state["status"] == "resolved"
    assert state["resolution"]["payee_share_bps"] == 6000
    to_payees = int(state["resolution"]["to_payees"])
    to_brand = int(state["resolution"]["to_brand"])
    fees = sum(int(p["amount"]) for p in state["payouts"] if p["kind"] == "fee")
    assert to_payees + to_brand + fees == amount
    paid = sum(int(p["amount"]) for p in state["payouts"] if p["kind"] in ("paid", "credited"))
    assert paid == to_payees


def test_a_dispute_left_alone_ends_by_the_rule_in_its_terms(deal_client, chain, wallets, operator):
    """Escrow v2: nobody can keep a deal locked. The arbiter stays silent; 30 days on (anvil
    time travel) the creator applies the rule every deal's terms carry: an even split."""
    from api.collaborations.service import DISPUTE_RULE_PAYEE_BPS, DISPUTE_TIMEOUT_SECONDS

    _, w3, _ = chain
    amount = 10**18 + 5
    deal = make_deal(deal_client, w3, wallets, amount=amount)
    assert deal.typed_data()["message"]["disputeTimeout"] == str(DISPUTE_TIMEOUT_SECONDS)
    deal.accept()
    deal.fund()
    deal.deliver()
    deal.act(deal.brand, "dispute", wallets.brand)
    early = deal.creator.get(f"{deal.collaboration_url}/transactions/apply_rule")
    assert early.status_code == 409
    assert "the arbiter has until" in early.json()["detail"]
    advance(w3, DISPUTE_TIMEOUT_SECONDS)
    late = operator.get(f"{deal.collaboration_url}/transactions/resolve?payee_share_bps=1")
    assert late.status_code == 409  # the arbiter's time is over
    deal.act(deal.creator, "apply_rule", wallets.creator)
    state = deal.state()
    assert state["status"] == "resolved"
    assert state["resolution"]["by"] == "dispute_rule"
    assert state["resolution"]["payee_share_bps"] == DISPUTE_RULE_PAYEE_BPS
    assert set(state["transactions"]) == {"fund", "deliver", "dispute", "apply_rule"}
    awarded = amount * DISPUTE_RULE_PAYEE_BPS // 10_000
    fee = awarded * FEE_BPS // 10_000
    assert int(state["resolution"]["to_payees"]) == awarded - fee
    assert int(state["resolution"]["to_brand"]) == amount - awarded
    paid = sum(int(p["amount"]) for p in state["payouts"] if p["kind"] == "paid")
    assert paid == awarded - fee


def test_release_by_third_party_after_review(deal_client, chain, wallets) -> None:
    _, w3, _ = chain
    deal = make_deal(deal_client, w3, wallets, amount=10**17, review_period_seconds=3600)
    deal.accept()
    deal.fund()
    deal.deliver()
    early = deal.creator.get(f"{deal.collaboration_url}/transactions/release")
    assert early.status_code == 409
    advance(w3, 3601)
    tx = deal.transaction(deal.creator, "release")
    send(w3, tx["transaction"], wallets.stranger)  # anyone may send it
    index(deal_client)
    assert deal.state()["status"] == "released"


def test_bad_signatures_are_rejected(deal_client, chain, wallets) -> None:
    _, w3, _ = chain
    deal = make_deal(deal_client, w3, wallets, amount=10**17)
    typed = deal.typed_data()
    url = f"/v1/offers/{deal.offer['id']}/accept"
    other_key = Account.create().key.hex()
    by_other = sign_typed_data(typed, other_key)
    altered = {**typed, "message": {**typed["message"], "amount": str(10**18)}}
    over_other_terms = sign_typed_data(altered, wallets.creator)
    other_chain = {**typed, "domain": {**typed["domain"], "chainId": 1}}
    for signature in (by_other, over_other_terms, sign_typed_data(other_chain, wallets.creator)):
        response = deal.creator.post(url, json={"signature": signature})
        assert response.status_code == 422, response.text
    assert deal.creator.post(url, json={"signature": "0x1234"}).status_code == 422
    assert deal.brand.get(f"/v1/offers/{deal.offer['id']}").json()["status"] == "sent"
    deal.accept()
    again = deal.creator.post(url, json={"signature": sign_typed_data(typed, wallets.creator)})
    assert again.status_code == 409


def test_accept_is_idempotent(deal_client, chain, wallets) -> None:
    _, w3, _ = chain
    deal = make_deal(deal_client, w3, wallets, amount=10**17)
    signature = sign_typed_data(deal.typed_data(), wallets.creator)
    url = f"/v1/offers/{deal.offer['id']}/accept"
    headers = {"Idempotency-Key": "accept-1"}
    first = deal.creator.post(url, json={"signature": signature}, headers=headers)
    second = deal.creator.post(url, json={"signature": signature}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["collaboration"]["id"] == second.json()["collaboration"]["id"]
    assert len(deal.brand.get("/v1/collaborations").json()["items"]) == 1


def test_expired_offer_cannot_be_signed_or_accepted(deal_client, chain, wallets) -> None:
    _, w3, _ = chain
    deal = make_deal(deal_client, w3, wallets, amount=10**17)
    signature = sign_typed_data(deal.typed_data(), wallets.creator)
    from datetime import UTC, datetime, timedelta

    from sqlmodel import Session

    from api.offers.models import Offer

    with Session(deal_client.app.state.engine) as session:
        offer = session.get(Offer, deal.offer["id"])
        offer.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        session.add(offer)
        session.commit()
    url = f"/v1/offers/{deal.offer['id']}"
    assert deal.creator.get(f"{url}/typed-data").status_code == 409
    response = deal.creator.post(f"{url}/accept", json={"signature": signature})
    assert response.status_code == 409
    assert "expired" in response.json()["detail"]


def test_wrong_party_and_wrong_state(deal_client, chain, wallets, operator) -> None:
    _, w3, _ = chain
    deal = make_deal(deal_client, w3, wallets, amount=10**17)
    deal.accept()
    url = deal.collaboration_url + "/transactions/"
    assert deal.creator.get(url + "fund").status_code == 403
    assert deal.brand.get(url + "deliver").status_code == 403
    assert deal.brand.get(url + "approve").status_code == 409  # not delivered
    assert operator.get(url + "fund").status_code == 403
    assert deal.brand.get(url + "explode").status_code == 422
    assert deal.creator.get(url + "deliver").status_code == 409  # not funded yet
    deal.fund()
    assert deal.creator.get(url + "deliver").status_code == 422  # no deliverable given
    assert deal.brand.get(url + "fund").status_code == 409  # already funded


def test_indexer_applies_each_event_once_and_resumes(deal_client, chain, wallets) -> None:
    from sqlmodel import Session, func, select

    from api.chain.models import ChainEvent, IndexerCursor
    from api.payouts.models import Payout

    _, w3, _ = chain
    deal = make_deal(deal_client, w3, wallets, amount=10**17)
    deal.accept()
    deal.fund()
    deal.deliver()
    deal.act(deal.brand, "approve", wallets.brand)
    engine = deal_client.app.state.engine

    def counts():
        with Session(engine) as session:
            return (
                session.exec(select(func.count()).select_from(ChainEvent)).one(),
                session.exec(select(func.count()).select_from(Payout)).one(),
            )

    first = counts()
    assert index(deal_client) == 0  # a new indexer resumes at the stored cursor
    with Session(engine) as session:  # even rewinding the cursor applies nothing twice
        cursor = session.exec(select(IndexerCursor)).one()
        cursor.next_block = 0
        session.add(cursor)
        session.commit()
    assert index(deal_client) == 0
    assert counts() == first
    assert deal.state()["status"] == "released"


def test_confirmation_depth_is_respected(deal_settings, chain, wallets) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from tests.contracts.env import mine

    _, w3, _ = chain
    settings = deal_settings.model_copy(update={"confirmations": 3})
    with TestClient(create_app(settings)) as client:
        deal = make_deal(client, w3, wallets, amount=10**17)
        deal.accept()
        tx = deal.transaction(deal.brand, "fund")
        send(w3, tx["transaction"], wallets.brand)
        index(client)
        assert deal.state()["status"] == "drafted"
        mine(w3)
        mine(w3)
        index(client)
        assert deal.state()["status"] == "drafted"
        mine(w3)
        index(client)
        assert deal.state()["status"] == "funded"


def test_chain_down_answers_503_and_the_rest_works(deal_settings, wallets, chain) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app

    _, w3, _ = chain
    with TestClient(create_app(deal_settings)) as client:
        deal = make_deal(client, w3, wallets, amount=10**17)
    down = deal_settings.model_copy(update={"chain_rpc_url": "http://127.0.0.1:1"})
    with TestClient(create_app(down)) as client:
        deal.client = client
        deal.creator.client = client
        deal.brand.client = client
        response = deal.creator.get(f"/v1/offers/{deal.offer['id']}/typed-data")
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert deal.creator.get("/v1/offers").status_code == 200
        assert deal.brand.get("/v1/requests").status_code == 200
        assert client.get("/health").json()["chain"]["ok"] is False


def test_fee_is_the_configured_fee_from_offer_to_chain(deal_settings, chain, wallets) -> None:
    """PLATFORM_FEE_BPS (not its default) is written into the offer, signed, and taken at
    release: a setting the service ignored would show the default 100 bps somewhere."""
    from fastapi.testclient import TestClient

    from api.app import create_app

    fee_bps = 237
    assert fee_bps != type(deal_settings)(_env_file=None).platform_fee_bps
    settings = deal_settings.model_copy(update={"platform_fee_bps": fee_bps})
    _, w3, _ = chain
    amount = 10**17 + 3
    with TestClient(create_app(settings)) as client:
        deal = make_deal(client, w3, wallets, amount=amount)
        assert deal.offer["platform_fee_bps"] == fee_bps
        assert deal.typed_data()["message"]["platformFeeBps"] == str(fee_bps)
        deal.accept()
        deal.fund()
        deal.deliver()
        deal.act(deal.brand, "approve", wallets.brand)
        state = deal.state()
    assert state["platform_fee_bps"] == fee_bps
    fees = [int(p["amount"]) for p in state["payouts"] if p["kind"] == "fee"]
    assert fees == [amount * fee_bps // 10_000]


def test_sender_without_gas_money_still_gets_the_transaction(deal_client, chain, wallets) -> None:
    """Estimation fails when the brand's wallet is empty: the tx comes back with a note."""
    from tests.api.deals import Deal, Wallets

    _, w3, _ = chain
    poor = Account.create()
    broke = Wallets(**{**wallets.__dict__, "brand": poor.key.hex()})
    deal: Deal = make_deal(deal_client, w3, broke, amount=10**17)
    deal.accept()
    body = deal.transaction(deal.brand, "fund")
    assert body["transaction"]["gas"] is None
    assert "no gas estimate" in body["note"]


def test_contract_wallet_creator_signs_with_erc1271(deal_client, chain, wallets) -> None:
    """A creator whose wallet is a contract (ERC-1271): its owner's key signs for it."""
    from tests.api.deals import Deal
    from tests.factories import offer_body, post_request, register_brand, register_creator

    _, w3, _ = chain
    owner_key = wallets.creator
    wallet = bindings.deploy(w3, "ERC1271Wallet", address(owner_key), private_key=wallets.deployer)
    brand = register_brand(deal_client, wallet=address(wallets.brand))
    creator = register_creator(
        deal_client, wallet=wallet, min_fees=[{"amount": "1", "token": "ETH"}]
    )
    request = post_request(brand)
    offer = brand.post(
        f"/v1/requests/{request['id']}/offers", json=offer_body(creator.id, amount=str(10**17))
    ).json()
    deal = Deal(deal_client, w3, wallets, brand, creator, offer)
    typed = deal.typed_data()
    stranger = sign_typed_data(typed, Account.create().key.hex())
    url = f"/v1/offers/{offer['id']}/accept"
    assert creator.post(url, json={"signature": stranger}).status_code == 422
    accepted = deal.accept()  # signed by the owner key: valid through isValidSignature
    assert accepted["collaboration"]["payees"][0]["wallet"] == wallet
    deal.fund()  # the escrow checks the same signature on chain (SignatureChecker)
    assert deal.state()["status"] == "funded"


def test_two_indexers_at_once_apply_each_event_once(deal_client, chain, wallets) -> None:
    """Two indexers racing over the same blocks (two API processes): each event is recorded
    and applied once, and every payout counted once."""
    from concurrent.futures import ThreadPoolExecutor

    import sqlalchemy as sa

    from api.chain.indexer import Indexer

    state = deal_client.app.state
    _, w3, _ = chain
    deal = make_deal(deal_client, w3, wallets, amount=10**17)
    deal.accept()
    deal.fund()
    deal.deliver()
    count = sa.text("SELECT count(*) FROM chain_event")
    with state.engine.connect() as connection:
        before = connection.execute(count).scalar_one()
    # Released, its fee and four payouts wait in one block for the racing indexers.
    send(w3, deal.transaction(deal.brand, "approve")["transaction"], wallets.brand)

    def run() -> int:
        start = state.settings.indexer_start_block
        return Indexer(engine=state.engine, chain=state.chain, start_block=start).catch_up()

    with ThreadPoolExecutor(2) as pool:
        recorded = list(pool.map(lambda _: run(), range(2)))
    with state.engine.connect() as connection:
        new_rows = connection.execute(count).scalar_one() - before
    assert sum(recorded) == new_rows >= 6  # what one recorded, the other did not record again
    final = deal.state()
    assert final["status"] == "released"
    paid = [p for p in final["payouts"] if p["kind"] == "paid"]
    assert len(paid) == len(final["payees"])  # not doubled


# PostgreSQL only: on a SQLite-only run it is not collected at all (rather than skipped).
if TEST_DATABASE_URL:

    @pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
    def test_an_indexer_without_the_advisory_lock_applies_nothing(deal_client, chain, wallets):
        """PostgreSQL: an indexer that cannot take the advisory lock applies nothing, then catches
        up once the lock is free. (SQLite serialises writers instead: see the test above.)"""
        import zlib

        import sqlalchemy as sa

        from api.chain.indexer import Indexer

        state = deal_client.app.state
        assert state.engine.dialect.name == "postgresql"
        _, w3, _ = chain
        deal = make_deal(deal_client, w3, wallets, amount=10**17)
        deal.accept()
        tx = deal.transaction(deal.brand, "fund")
        send(w3, tx["transaction"], wallets.brand)
        worker = Indexer(
            engine=state.engine, chain=state.chain, start_block=state.settings.indexer_start_block
        )
        key = zlib.crc32(worker.cursor_name.encode())
        with state.engine.connect() as holder:
            holder.execute(sa.text(f"SELECT pg_advisory_lock({key})"))
            try:
                assert worker.run_once() == 0
                assert deal.state()["status"] == "drafted"
            finally:
                holder.execute(sa.text(f"SELECT pg_advisory_unlock({key})"))
                holder.commit()
        assert worker.catch_up() >= 1
        assert deal.state()["status"] == "funded"


def test_a_payee_that_refuses_payment_is_credited_and_withdraws(deal_client, chain, wallets):
    """A designer's wallet is a contract that reverts on receive: the others are paid, its
    share is credited, and it withdraws with the transaction the API gives."""
    from tests.api.deals import Wallets

    _, w3, deployment = chain
    refusing = bindings.deploy(w3, "RevertingPayee", private_key=wallets.deployer)
    with_refuser = Wallets(**{**wallets.__dict__, "designers": [refusing, wallets.designers[1]]})
    amount = 10**18
    deal = make_deal(deal_client, w3, with_refuser, amount=amount)
    deal.accept()
    deal.fund()
    deal.deliver()
    deal.act(deal.brand, "approve", wallets.brand)
    state = deal.state()
    assert state["status"] == "released"
    kinds = {p["wallet"]: p["kind"] for p in state["payouts"] if p["kind"] != "fee"}
    assert kinds[refusing] == "credited"
    assert kinds[wallets.designers[1]] == "paid"
    _, shares = expected_split(amount, [p["share_bps"] for p in state["payees"]])

    credits = deal_client.get(f"/v1/wallets/{refusing}/credits").json()
    assert credits["credits"]["ETH"] == str(shares[1])
    withdrawal = credits["withdrawals"][0]["transaction"]
    assert withdrawal["to"] == deployment.escrow_address
    assert withdrawal["from"] == refusing

    payee = w3.eth.contract(address=refusing, abi=bindings.abi_of("RevertingPayee"))
    for call in (
        payee.functions.setAccepting(True),
        payee.functions.execute(withdrawal["to"], withdrawal["data"]),
    ):
        tx = call.build_transaction({"from": address(wallets.deployer), "gas": 300_000})
        tx = {"to": tx["to"], "data": tx["data"], "value": 0, "chainId": tx["chainId"]}
        bindings.send(w3, tx, wallets.deployer)
    assert w3.eth.get_balance(refusing) == shares[1]
    index(deal_client)
    after = deal_client.get(f"/v1/wallets/{refusing}/credits").json()
    assert after["credits"]["ETH"] == "0"
    assert after["withdrawals"] == []
    kinds = [p["kind"] for p in deal_client.get(f"/v1/wallets/{refusing}/payouts").json()["items"]]
    assert sorted(kinds) == ["credited", "withdrawn"]
