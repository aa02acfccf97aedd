"""Races against the served app (uvicorn in a thread, httpx from many threads), on SQLite and
PostgreSQL: one transition wins, one offer stays open, and nobody gets a 5xx."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
import pytest
import sqlalchemy as sa

from api.core.settings import Settings
from contracts import bindings
from contracts.bindings import sign_typed_data
from tests.api.deals import make_deal
from tests.api.test_limits import served
from tests.factories import creator_body, offer_body, post_request, register_brand, register_creator

THREADS = 30
PROBLEM = "application/problem+json"


def _http(settings: Settings) -> Iterator[httpx.Client]:
    # Many requests from one address on purpose: the rate limits are not under test here.
    quiet = settings.model_copy(update={"rate_limits_enabled": False})
    with served(quiet) as address, httpx.Client(base_url=f"http://{address}", timeout=120) as http:
        yield http


@pytest.fixture
def http(settings: Settings) -> Iterator[httpx.Client]:
    yield from _http(settings)


@pytest.fixture
def deal_http(deal_settings: Settings) -> Iterator[httpx.Client]:
    yield from _http(deal_settings)


def race(call: Callable[[int], httpx.Response], n: int = THREADS) -> list[httpx.Response]:
    with ThreadPoolExecutor(n) as pool:
        answers = list(pool.map(call, range(n)))
    server_errors = [a.text for a in answers if a.status_code >= 500]
    assert not server_errors, server_errors
    for answer in answers:
        if answer.status_code == 409:
            assert answer.headers["content-type"] == PROBLEM
    return answers


def _count(database_url: str, sql: str, **params) -> int:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text(sql), params).scalar_one()
    finally:
        engine.dispose()


def test_accept_and_decline_of_one_offer_one_wins(deal_http, chain, wallets, database_url):
    _, w3, _ = chain
    deal = make_deal(deal_http, w3, wallets, amount=10**17)
    url = f"/v1/offers/{deal.offer['id']}"
    signature = sign_typed_data(deal.typed_data(), wallets.creator)

    def act(i: int) -> httpx.Response:
        if i % 2:
            return deal.creator.post(f"{url}/decline", json={"reason": "no"})
        return deal.creator.post(f"{url}/accept", json={"signature": signature})

    answers = race(act)
    codes = Counter(a.status_code for a in answers)
    assert codes[409] == THREADS - 1, codes
    (winner,) = [a for a in answers if a.status_code in (200, 201)]
    final = deal.brand.get(url).json()["status"]
    collaborations = _count(
        database_url, "SELECT count(*) FROM collaboration WHERE offer_id = :id", id=deal.offer["id"]
    )
    if winner.status_code == 201:
        assert final == "accepted"
        assert collaborations == 1
    else:
        assert final == "declined"
        assert collaborations == 0
    losers = {a.json()["detail"] for a in answers if a.status_code == 409}
    assert all(final in detail for detail in losers), losers


@pytest.mark.parametrize("idempotency_key", [None, "accept-once"])
def test_parallel_accepts_with_one_signature(
    deal_http, chain, wallets, database_url, idempotency_key
):
    _, w3, _ = chain
    deal = make_deal(deal_http, w3, wallets, amount=10**17)
    signature = sign_typed_data(deal.typed_data(), wallets.creator)
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}

    answers = race(
        lambda _: deal.creator.post(
            f"/v1/offers/{deal.offer['id']}/accept", json={"signature": signature}, headers=headers
        )
    )
    created = [a for a in answers if a.status_code == 201]
    assert {a.status_code for a in answers} <= {201, 409}
    originals = [a for a in created if "idempotency-replayed" not in a.headers]
    assert len(originals) == 1
    if idempotency_key is None:
        assert len(created) == 1
    assert {a.json()["collaboration"]["id"] for a in created} == {
        originals[0].json()["collaboration"]["id"]
    }
    assert _count(database_url, "SELECT count(*) FROM collaboration") == 1


def test_parallel_offers_to_one_creator_leave_one_open(http, database_url) -> None:
    brand = register_brand(http)
    creator = register_creator(http)
    request = post_request(brand)

    answers = race(
        lambda i: brand.post(
            f"/v1/requests/{request['id']}/offers",
            json=offer_body(creator.id, amount=str(10**17 + i)),
        )
    )
    assert Counter(a.status_code for a in answers) == {201: 1, 409: THREADS - 1}
    open_offers = _count(
        database_url,
        "SELECT count(*) FROM offer WHERE creator_id = :creator AND status IN ('sent', 'accepted')",
        creator=creator.id,
    )
    assert open_offers == 1


def test_parallel_registrations_of_one_handle(http, database_url) -> None:
    bodies = [creator_body(handle="one_and_only") for _ in range(THREADS)]

    answers = race(lambda i: http.post("/v1/creators", json=bodies[i]))
    assert Counter(a.status_code for a in answers) == {201: 1, 409: THREADS - 1}
    assert {a.json()["type"] for a in answers if a.status_code == 409} == {
        "urn:collab:problem:conflict"
    }
    assert _count(database_url, "SELECT count(*) FROM creator") == 1


def test_a_full_thread_pool_never_holds_back_a_commit(settings, database_url) -> None:
    """Two route threads and many writers: a unit of work whose route has returned commits even
    while both threads wait on the lock it holds (SQLite's one writer), instead of queueing behind
    them until their lock wait gives up."""
    tight = settings.model_copy(update={"worker_threads": 2})
    n = 12
    bodies = [creator_body() for _ in range(n)]
    with contextmanager(_http)(tight) as http:
        answers = race(lambda i: http.post("/v1/creators", json=bodies[i]), n=n)
    assert Counter(a.status_code for a in answers) == {201: n}
    assert _count(database_url, "SELECT count(*) FROM creator") == n


def _indexer_of(settings: Settings, database_url: str) -> Callable[[object], None]:
    """Catch the indexer up on the served API's database (its own engine and chain client)."""
    from api.chain.client import ChainClient
    from api.chain.indexer import Indexer
    from api.core.db import make_engine

    def run_indexer(_client) -> None:
        engine = make_engine(database_url)
        try:
            Indexer(
                engine=engine,
                chain=ChainClient.from_settings(settings),
                start_block=settings.indexer_start_block,
            ).catch_up()
        finally:
            engine.dispose()

    return run_indexer


def test_parallel_relays_of_one_delivery_send_it_once(
    deal_http, deal_settings, chain, wallets, database_url
):
    """Escrow v2 relaying: the same signed delivery posted many times at once is sent once."""
    from tests.api.test_relay import signed_delivery, zero_eth_deal

    run_indexer = _indexer_of(deal_settings, database_url)
    deal, fresh, _ = zero_eth_deal(deal_http, chain, wallets, run_indexer)
    body = signed_delivery(deal, fresh.creator)
    url = f"{deal.collaboration_url}/relay"
    answers = race(lambda _: deal.creator.post(url, json=body), n=4)
    assert sorted(a.status_code for a in answers) == [200, 409, 409, 409]
    sql = "SELECT count(*) FROM relayed_action WHERE collaboration_id = :id"
    assert _count(database_url, sql, id=deal.collaboration["id"]) == 1


def test_parallel_relays_of_a_second_milestone_send_it_once(
    deal_http, deal_settings, chain, wallets, database_url
):
    """A milestone deal: the first milestone's delivery relayed, the second's then posted many
    times at once is sent once too (one relay per deal action and milestone)."""
    from tests.api.test_milestones import REELS, STORY, two_milestones
    from tests.api.test_relay import signed_delivery, zero_eth_deal

    run_indexer = _indexer_of(deal_settings, database_url)
    deal, fresh, _ = zero_eth_deal(
        deal_http,
        chain,
        wallets,
        run_indexer,
        amount=REELS + STORY,
        deliver_by=None,
        milestones=two_milestones(),
    )
    url = f"{deal.collaboration_url}/relay"
    first = deal.creator.post(url, json=signed_delivery(deal, fresh.creator, "reels", 0))
    assert first.status_code == 200, first.text
    body = signed_delivery(deal, fresh.creator, "story", 1)
    answers = race(lambda _: deal.creator.post(url, json=body), n=4)
    assert sorted(a.status_code for a in answers) == [200, 409, 409, 409]
    assert [a.json()["milestone"] for a in answers if a.status_code == 200] == [1]
    sql = "SELECT count(*) FROM relayed_action WHERE collaboration_id = :id AND milestone = :m"
    counts = [_count(database_url, sql, id=deal.collaboration["id"], m=m) for m in (0, 1)]
    assert counts == [1, 1]
    run_indexer(deal_http)
    assert [m["status"] for m in deal.state()["milestones"]] == ["delivered", "delivered"]


def test_parallel_relays_of_one_creator_stay_within_its_budget(
    deal_settings, chain, wallets, database_url
):
    """Three deals of one creator, their deliveries relayed at once, a budget of one relay a
    day: one is sent, two get 429, one row is spent."""
    from tests.api.deals import Deal, address
    from tests.api.test_relay import AMOUNT, signed_delivery, zero_eth_deal

    _, w3, _ = chain
    run_indexer = _indexer_of(deal_settings, database_url)
    budget = deal_settings.model_copy(update={"relay_per_creator_per_day": 1})
    with contextmanager(_http)(budget) as http:
        deal, fresh, token = zero_eth_deal(http, chain, wallets, run_indexer)
        deals = [deal]
        for _ in range(2):
            bindings.send(w3, token.build_mint(address(fresh.brand), AMOUNT), fresh.brand)
            request = post_request(
                deal.brand, budget={"amount": str(AMOUNT), "token": token.address}
            )
            body = offer_body(deal.creator.id, amount=str(AMOUNT), token=token.address)
            offered = deal.brand.post(f"/v1/requests/{request['id']}/offers", json=body)
            assert offered.status_code == 201, offered.text
            more = Deal(http, w3, fresh, deal.brand, deal.creator, offered.json())
            more.accept()
            more.driver.fund_with_permit(more.collaboration["id"], more.brand.headers, fresh.brand)
            deals.append(more)
        run_indexer(http)
        bodies = [signed_delivery(d, fresh.creator) for d in deals]
        answers = race(
            lambda i: deals[i].creator.post(f"{deals[i].collaboration_url}/relay", json=bodies[i]),
            n=len(deals),
        )
    assert sorted(a.status_code for a in answers) == [200, 429, 429]
    sql = "SELECT count(*) FROM relayed_action WHERE creator_id = :id"
    assert _count(database_url, sql, id=deal.creator.id) == 1


def test_parallel_relays_from_several_processes_take_the_relayers_nonces_in_turn(
    deal_http, deal_settings, chain, wallets, database_url, monkeypatch
):
    """Several API workers share one relayer key. Three creators' deliveries relayed at once,
    with the in-process send lock taken away (as if each request ran in its own worker): all
    three are sent, one relayer nonce each."""
    import contextlib

    from api.relay import service as relay_service
    from tests.api.test_relay import signed_delivery, zero_eth_deal

    _, w3, _ = chain
    run_indexer = _indexer_of(deal_settings, database_url)
    deals = [zero_eth_deal(deal_http, chain, wallets, run_indexer)[:2] for _ in range(3)]
    bodies = [signed_delivery(deal, fresh.creator) for deal, fresh in deals]
    before = _relayer_nonce(w3)
    monkeypatch.setattr(relay_service, "_send_lock", contextlib.nullcontext())
    answers = race(
        lambda i: deals[i][0].creator.post(
            f"{deals[i][0].collaboration_url}/relay", json=bodies[i]
        ),
        n=len(deals),
    )
    assert [a.status_code for a in answers] == [200, 200, 200], [a.text for a in answers]
    assert _relayer_nonce(w3) == before + 3


def _relayer_nonce(w3) -> int:
    from eth_account import Account

    from api.relay.service import LOCAL_RELAYER_KEY

    return w3.eth.get_transaction_count(Account.from_key(LOCAL_RELAYER_KEY).address)


def test_parallel_posts_of_the_last_settlement_signature_settle_once(
    deal_http, deal_settings, chain, wallets, database_url
):
    """Both parties' signatures of one split: the creator's, posted four times at once, has the
    relayer send `settle` once, and every post answers with that one transaction."""
    from tests.api.test_settlements import disputed_deal, signed

    _, w3, _ = chain
    run_indexer = _indexer_of(deal_settings, database_url)
    deal, fresh, _ = disputed_deal(deal_http, chain, wallets, run_indexer)
    url = f"{deal.collaboration_url}/settlement"
    brand = deal.brand.post(url, json=signed(deal, deal.brand, fresh.brand, 6_500))
    assert brand.status_code == 200, brand.text
    body = signed(deal, deal.creator, fresh.creator, 6_500)
    sent_before = _relayer_nonce(w3)
    answers = race(lambda _: deal.creator.post(url, json=body), n=4)
    assert [a.status_code for a in answers] == [200] * 4, [a.text for a in answers]
    assert len({a.json()["tx_hash"] for a in answers}) == 1
    assert _relayer_nonce(w3) == sent_before + 1
    sql = "SELECT count(*) FROM settlement WHERE collaboration_id = :id AND tx_hash IS NOT NULL"
    assert _count(database_url, sql, id=deal.collaboration["id"]) == 1
    events = "SELECT count(*) FROM event WHERE type = 'collaboration.settlement_proposed'"
    assert _count(database_url, events) == 2  # the brand's and the creator's, once each


def test_parallel_requests_for_the_dispute_rule_apply_it_once(
    deal_http, deal_settings, chain, wallets, database_url
):
    from api.collaborations.service import DISPUTE_TIMEOUT_SECONDS
    from tests.api.deals import advance
    from tests.api.test_settlements import disputed_deal

    _, w3, _ = chain
    run_indexer = _indexer_of(deal_settings, database_url)
    deal, _, _ = disputed_deal(deal_http, chain, wallets, run_indexer)
    advance(w3, DISPUTE_TIMEOUT_SECONDS)
    url = f"{deal.collaboration_url}/dispute-rule"
    parties = [deal.brand, deal.creator] * 2
    sent_before = _relayer_nonce(w3)
    answers = race(lambda i: parties[i].post(url), n=len(parties))
    assert [a.status_code for a in answers] == [200] * 4, [a.text for a in answers]
    assert len({a.json()["tx_hash"] for a in answers}) == 1
    assert _relayer_nonce(w3) == sent_before + 1
    run_indexer(deal_http)
    assert deal.state()["resolution"]["by"] == "dispute_rule"


def test_parallel_relays_of_one_withdrawal_send_it_once(
    deal_client, deal_http, chain, wallets, database_url
):
    """A credited payee's signed Withdraw posted four times at once: one relay, one ledger row
    against the creator's budget, and the credit arrives once."""
    from eth_account import Account

    from tests.api.deals import address
    from tests.api.test_relayed_withdrawals import credited_payee, signed_withdrawal

    _, w3, _ = chain
    deal, key, credit = credited_payee(deal_client, chain, wallets)  # set up in-process
    to = Account.create().address
    body = signed_withdrawal(deal_client, key, to)
    url = f"/v1/wallets/{address(key)}/credits/withdrawal"
    answers = race(lambda _: deal_http.post(url, json=body), n=4)
    assert sorted(a.status_code for a in answers) == [200, 409, 409, 409]
    assert w3.eth.get_balance(to) == credit
    sql = "SELECT count(*) FROM relayed_action WHERE creator_id = :id AND action LIKE 'withdraw:%'"
    assert _count(database_url, sql, id=deal.creator.id) == 1
