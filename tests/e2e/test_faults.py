"""Crashes, a node that goes away, and retries: nothing lost, nothing applied twice."""

from __future__ import annotations

import json
import signal
import time
from http.client import HTTPConnection
from urllib.parse import urlsplit

import sqlalchemy as sa

from contracts.localchain import is_rpc_up
from tests.api.deals import send, sign_typed_data
from tests.e2e.flow import (
    BRAND,
    BRAND_KEY,
    CREATOR_KEY,
    LUNA,
    Flow,
    french_brief,
    luna_id,
    ok,
)
from tests.factories import future


def _health_becomes(http, status: str, timeout: float = 5.0) -> bool:
    """/health caches the chain's answer for a second."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ok(http.get("/health"))["status"] == status:
            return True
        time.sleep(0.2)
    return False


def _event_rows(stack) -> tuple[int, int, int]:
    engine = sa.create_engine(stack.database_url)
    with engine.connect() as db:
        count = lambda sql: db.execute(sa.text(sql)).scalar_one()  # noqa: E731
        events = count("SELECT count(*) FROM chain_event")
        unique = count(
            "SELECT count(*) FROM (SELECT DISTINCT chain_id, tx_hash, log_index FROM chain_event) t"
        )
        payouts = count("SELECT count(*) FROM payout")
    engine.dispose()
    return events, unique, payouts


def test_sigkill_between_funding_and_indexing(stack, http) -> None:
    flow = Flow(http, stack.w3)
    flow.offer_and_accept(amount=10**17)
    fund = flow.transaction(BRAND, "fund")
    stack.kill_api(signal.SIGKILL)
    send(stack.w3, fund["transaction"], BRAND_KEY)  # mined while the API is dead
    stack.start_api()
    flow.wait("funded")
    flow.act(LUNA, "deliver", CREATOR_KEY, deliverable="https://ig/p/9")
    flow.wait("delivered")
    approve = flow.transaction(BRAND, "approve")
    send(stack.w3, approve["transaction"], BRAND_KEY)
    stack.kill_api(signal.SIGKILL)  # maybe before, maybe during indexing: both must work
    stack.start_api()
    state = flow.wait("released")
    events, unique, payouts = _event_rows(stack)
    assert events == unique
    assert payouts == len(state["payouts"]) == 5  # four payees and the fee, once each
    assert sorted(state["transactions"]) == ["approve", "deliver", "fund"]


def test_node_down_gives_503_and_everything_recovers(stack, http) -> None:
    flow = Flow(http, stack.w3)
    brief = french_brief(http)
    offer = ok(
        http.post(
            f"/v1/requests/{brief['id']}/offers",
            headers=BRAND,
            json={"creator_id": luna_id(http), "amount": str(10**17), "deliver_by": future(10)},
        ),
        201,
    )
    stack.stop_chain()
    assert not is_rpc_up(stack.anvil.rpc_url)
    typed = http.get(f"/v1/offers/{offer['id']}/typed-data", headers=LUNA)
    assert typed.status_code == 503
    assert typed.headers["content-type"] == "application/problem+json"
    assert ok(http.get("/v1/offers", headers=LUNA))["items"][0]["id"] == offer["id"]
    assert ok(http.get(f"/v1/requests/{brief['id']}/matches", headers=BRAND))["items"]
    assert _health_becomes(http, "degraded")

    stack.start_chain()  # same port, state reloaded
    typed = ok(http.get(f"/v1/offers/{offer['id']}/typed-data", headers=LUNA))
    signature = sign_typed_data(typed["typed_data"], CREATOR_KEY)
    accepted = ok(
        http.post(f"/v1/offers/{offer['id']}/accept", headers=LUNA, json={"signature": signature}),
        201,
    )
    flow.collaboration_id = accepted["collaboration"]["id"]
    flow.act(BRAND, "fund", BRAND_KEY)
    flow.wait("funded")
    assert _health_becomes(http, "ok")


def test_retries_with_the_same_idempotency_key_create_nothing_twice(http) -> None:
    brief = french_brief(http)
    body = {"creator_id": luna_id(http), "amount": str(10**17), "deliver_by": future(10)}
    url = f"/v1/requests/{brief['id']}/offers"
    headers = BRAND | {"Idempotency-Key": "retry-offer"}
    offers = [ok(http.post(url, headers=headers, json=body), 201) for _ in range(3)]
    assert len({o["id"] for o in offers}) == 1
    assert len(ok(http.get("/v1/offers", headers=BRAND))["items"]) == 1

    offer_id = offers[0]["id"]
    typed = ok(http.get(f"/v1/offers/{offer_id}/typed-data", headers=LUNA))
    accept = {"signature": sign_typed_data(typed["typed_data"], CREATOR_KEY)}
    headers = LUNA | {"Idempotency-Key": "retry-accept"}
    results = [
        ok(http.post(f"/v1/offers/{offer_id}/accept", headers=headers, json=accept), 201)
        for _ in range(3)
    ]
    assert len({r["collaboration"]["id"] for r in results}) == 1
    assert len(ok(http.get("/v1/collaborations", headers=BRAND))["items"]) == 1


def test_a_retried_registration_replays_the_profile_without_the_key_over_http(http) -> None:
    """The replay answers the same account, never its key (shown once). Its body is shorter than
    the first one, so the Content-Length the server sends must be the replayed body's: read on a
    raw connection, where a stale length would show as a truncated or overlong body."""
    from tests.factories import brand_body

    body = brand_body()
    headers = {"Idempotency-Key": "retry-registration", "Content-Type": "application/json"}
    first = ok(http.post("/v1/brands", json=body, headers=headers), 201)
    url = urlsplit(str(http.base_url))
    connection = HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        connection.request("POST", "/v1/brands", body=json.dumps(body), headers=headers)
        response = connection.getresponse()
        raw = response.read()
        length = int(response.getheader("content-length"))
        replayed_header = response.getheader("idempotency-replayed")
    finally:
        connection.close()
    assert response.status == 201
    assert replayed_header == "true"
    assert length == len(raw)
    replayed = json.loads(raw)
    assert replayed["id"] == first["id"]
    assert first["api_key"]
    assert replayed["api_key"] is None
    assert replayed["api_key_note"]
    me = ok(http.get("/v1/me", headers={"Authorization": f"Bearer {first['api_key']}"}))
    assert me["id"] == first["id"]
