"""Webhook endpoints and deliveries: signed with the Standard Webhooks library, sent to a real
receiver on loopback, retried, disabled, redelivered; SSRF refusals; racing writes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import Session
from standardwebhooks import WebhookVerificationError

from api.core.errors import Conflict
from api.core.settings import Settings
from api.webhooks.models import WebhookEndpoint
from api.webhooks.service import rotate_secret
from api.webhooks.worker import WebhookWorker
from tests.factories import register_brand, register_creator

RETRIES = [0.0, 0.0]  # three attempts in all, no waiting: the schedule is a setting


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"webhook_allow_loopback": True, "webhook_retry_schedule": RETRIES}
    )


def worker_of(client, **changes) -> WebhookWorker:
    settings = client.app.state.settings.model_copy(update=changes)
    return WebhookWorker(engine=client.app.state.engine, settings=settings)


def drain(worker: WebhookWorker) -> int:
    """Rounds until nothing is due (retries here are due at once)."""
    tried = 0
    while sent := worker.run_once():
        tried += sent
    return tried


def register_endpoint(actor, url: str, **body) -> dict:
    response = actor.post("/v1/webhook-endpoints", json={"url": url, **body})
    assert response.status_code == 201, response.text
    return response.json()


def deliveries(actor, endpoint_id: str) -> list[dict]:
    response = actor.get(f"/v1/webhook-endpoints/{endpoint_id}/deliveries")
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_a_ping_arrives_signed_and_is_logged(client, receiver) -> None:
    brand = register_brand(client)
    endpoint = register_endpoint(brand, receiver.url, description="ERP")
    assert endpoint["secret"].startswith("whsec_")
    assert "secret" not in brand.get(f"/v1/webhook-endpoints/{endpoint['id']}").json()

    ping = brand.post(f"/v1/webhook-endpoints/{endpoint['id']}/ping")
    assert ping.status_code == 202, ping.text
    assert drain(worker_of(client)) == 1

    [message] = receiver.received
    payload = message.verify(endpoint["secret"])
    assert payload["type"] == "webhook.ping"
    assert message.id == ping.json()["message_id"] == payload["id"]
    with pytest.raises(WebhookVerificationError):
        message.verify("whsec_" + "A" * 44)  # another secret
    [logged] = deliveries(brand, endpoint["id"])
    assert logged["status"] == "succeeded"
    assert [a["status_code"] for a in logged["attempt_log"]] == [200]
    assert logged["attempt_log"][0]["response_excerpt"] == "ok"


def test_retries_after_two_500s_with_the_same_id_and_body(client, receiver) -> None:
    receiver.answers = [500, 500]
    brand = register_brand(client)
    endpoint = register_endpoint(brand, receiver.url)
    brand.post(f"/v1/webhook-endpoints/{endpoint['id']}/ping")

    assert drain(worker_of(client)) == 3
    first, second, third = receiver.received
    assert first.id == second.id == third.id
    assert first.body == second.body == third.body
    for message in (first, second, third):
        message.verify(endpoint["secret"])
    [logged] = deliveries(brand, endpoint["id"])
    assert logged["status"] == "succeeded"
    assert logged["attempts"] == 3
    assert [a["status_code"] for a in logged["attempt_log"]] == [500, 500, 200]
    # only an excerpt of an answer is kept
    assert len(logged["attempt_log"][0]["response_excerpt"]) == 500


def test_a_message_failing_every_retry_disables_the_endpoint_until_enabled(
    client, receiver
) -> None:
    receiver.answers = [500] * 3
    brand = register_brand(client)
    endpoint = register_endpoint(brand, receiver.url)
    url = f"/v1/webhook-endpoints/{endpoint['id']}"
    brand.post(f"{url}/ping")
    assert drain(worker_of(client)) == 3

    [logged] = deliveries(brand, endpoint["id"])
    assert logged["status"] == "failed"
    state = brand.get(url).json()
    assert state["enabled"] is False
    assert logged["message_id"] in state["disabled_reason"]
    brand.post(f"{url}/ping")  # owed, but not sent while disabled
    assert drain(worker_of(client)) == 0

    assert brand.patch(url, json={"enabled": True}).json()["disabled_reason"] is None
    redone = brand.post(f"{url}/deliveries/{logged['id']}/redeliver")
    assert redone.status_code == 202
    assert drain(worker_of(client)) == 2  # the redelivery and the ping held back
    assert [r.id for r in receiver.received[3:]].count(logged["message_id"]) == 1
    assert {d["status"] for d in deliveries(brand, endpoint["id"])} == {"succeeded"}


UNSAFE = {
    "http://10.0.0.1/hook": "private",
    "http://192.168.1.20/hook": "private",
    "http://169.254.169.254/latest/meta-data": "link-local",
    "http://[fe80::1]/": "link-local",
    "http://[fc00::1]/": "private",
    "http://0.0.0.0:8080/": "resolves to 0.0.0.0",
    "http://100.64.0.1/": "not a public address",
    "http://[::ffff:10.1.2.3]/": "private",
    "http://2130706433/": "loopback",  # a decimal IPv4 for 127.0.0.1
    "http://localhost:9/": "loopback",
    "http://[::1]:9/": "loopback",
    "ftp://example.org/": "http:// or https://",
    "http://user:pw@127.0.0.1/": "credentials",
    "http:///nohost": "no host",
    "http://127.0.0.1:99999/": "not a valid URL",
}


def test_unsafe_urls_are_refused_and_nothing_is_created(receiver, client) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app

    strict = client.app.state.settings.model_copy(update={"webhook_allow_loopback": False})
    with TestClient(create_app(strict)) as production:
        brand = register_brand(production)
        for url, why in UNSAFE.items():
            response = brand.post("/v1/webhook-endpoints", json={"url": url})
            assert response.status_code == 422, (url, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert why in response.json()["detail"], (url, response.json()["detail"])
        assert brand.get("/v1/webhook-endpoints").json()["items"] == []

    # Registered where loopback was allowed, then sent by a worker where it is not (a name
    # that resolves elsewhere after the check): the delivery is refused at send time too.
    creator = register_creator(client)
    endpoint = register_endpoint(creator, receiver.url)
    creator.post(f"/v1/webhook-endpoints/{endpoint['id']}/ping")
    drain(worker_of(client, webhook_allow_loopback=False, webhook_retry_schedule=[]))
    assert receiver.received == []
    [logged] = deliveries(creator, endpoint["id"])
    assert "loopback" in logged["last_error"]


def test_endpoint_bad_input_and_other_accounts(client, receiver) -> None:
    brand, other = register_brand(client), register_brand(client)
    endpoint = register_endpoint(brand, receiver.url, event_types=["offer.sent"])
    url = f"/v1/webhook-endpoints/{endpoint['id']}"
    bad = brand.post("/v1/webhook-endpoints", json={"url": receiver.url, "event_types": ["x"]})
    assert bad.status_code == 422
    for null in ("url", "description", "enabled", "event_types"):
        assert brand.patch(url, json={null: None}).status_code == 422
    assert brand.patch(url, json={"url": "http://10.0.0.1/"}).status_code == 422
    assert brand.get(url).json()["url"] == receiver.url
    for attempt in (other.get(url), other.patch(url, json={"enabled": False})):
        assert attempt.status_code == 404
    assert other.post(f"{url}/rotate-secret").status_code == 404
    assert client.delete(url, headers=other.headers).status_code == 404
    assert client.delete(url, headers=brand.headers).status_code == 204
    assert brand.get(url).status_code == 404


def test_racing_creations_and_rotations(client, receiver) -> None:
    creator = register_creator(client)

    def create(key: str | None):
        headers = {"Idempotency-Key": key} if key else {}
        return creator.post("/v1/webhook-endpoints", json={"url": receiver.url}, headers=headers)

    with ThreadPoolExecutor(6) as pool:
        same_key = list(pool.map(create, ["k1"] * 6))
    # one creates; a twin replays it (secret null: shown once) or, not readable yet, gets 409
    created = [r.json() for r in same_key if r.status_code == 201]
    assert {r.status_code for r in same_key} <= {201, 409}
    assert len([body for body in created if body["secret"]]) == 1
    assert len({body["id"] for body in created}) == 1

    with ThreadPoolExecutor(6) as pool:
        url2 = receiver.url + "?b"
        racing = list(
            pool.map(lambda _: creator.post("/v1/webhook-endpoints", json={"url": url2}), range(6))
        )
    assert sorted(r.status_code for r in racing) == [201] + [409] * 5
    endpoint_id = next(r.json()["id"] for r in racing if r.status_code == 201)
    assert len(creator.get("/v1/webhook-endpoints").json()["items"]) == 2

    rotate = f"/v1/webhook-endpoints/{endpoint_id}/rotate-secret"
    with ThreadPoolExecutor(6) as pool:
        rotations = list(pool.map(lambda _: creator.post(rotate), range(6)))
    codes = sorted(r.status_code for r in rotations)
    winners = [r.json()["secret"] for r in rotations if r.status_code == 200]
    assert codes[0] == 200
    assert set(codes) <= {200, 409}
    # a rotation replaces the secret it read or fails: the secret that holds is a winner's,
    # and no winner was told of a secret that was overwritten without its knowledge
    current = _current(client, endpoint_id)
    assert current in winners
    creator.post(f"/v1/webhook-endpoints/{endpoint_id}/ping")
    drain(worker_of(client))
    [message] = receiver.received
    message.verify(current)
    signatures = message.headers["webhook-signature"].split(" ")
    assert len(signatures) == 2  # the old secret signs too, during the grace period

    # Two rotations that read the same secret: the second to write gets 409, so nobody is
    # handed a secret that another rotation silently replaced.
    engine = client.app.state.engine
    with Session(engine) as first, Session(engine) as second:
        mine = first.get(WebhookEndpoint, endpoint_id)
        theirs = second.get(WebhookEndpoint, endpoint_id)
        won = rotate_secret(session=first, endpoint=mine)
        first.commit()
        with pytest.raises(Conflict):
            rotate_secret(session=second, endpoint=theirs)
    assert _current(client, endpoint_id) == won.secret


def _current(client, endpoint_id: str) -> str:
    with Session(client.app.state.engine) as session:
        return session.get(WebhookEndpoint, endpoint_id).secret


def _worker_process(database_url: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "WEBHOOK_ALLOW_LOOPBACK": "true",
        # The k-th message of an endpoint's batch is leased for 1 + k seconds.
        "WEBHOOK_LEASE_SECONDS": "1",
        "WEBHOOK_TIMEOUT_SECONDS": "1",
        "WORKER_POLL_SECONDS": "0.05",
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "api.cli", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_a_worker_killed_mid_delivery_loses_nothing(client, receiver, database_url) -> None:
    brand = register_brand(client)
    endpoint = register_endpoint(brand, receiver.url)
    pings = [brand.post(f"/v1/webhook-endpoints/{endpoint['id']}/ping").json() for _ in range(3)]
    receiver.hold.set()  # the first request waits: the worker is caught mid-delivery

    first = _worker_process(database_url)
    try:
        # A process that imports the whole app: slow to start on a busy machine.
        receiver.wait_for(1, timeout=120)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    receiver.hold.clear()
    receiver.release.set()

    restarted = worker_of(client)  # a fresh worker, as after a restart
    deadline = time.monotonic() + 30
    while {d["status"] for d in deliveries(brand, endpoint["id"])} != {"succeeded"}:
        assert time.monotonic() < deadline, deliveries(brand, endpoint["id"])
        if not restarted.run_once():
            time.sleep(0.1)  # the killed worker's lease (1 s) has not expired yet

    ids = [message.id for message in receiver.received]
    assert sorted(set(ids)) == sorted(p["message_id"] for p in pings)  # nothing lost
    assert ids[0] == pings[0]["message_id"]
    assert ids.count(ids[0]) == 2  # sent again after the lease expired, same webhook-id
    assert len(ids) == len(pings) + 1
    again = [m for m in receiver.received if m.id == ids[0]]
    assert again[0].body == again[1].body
    for message in receiver.received:
        message.verify(endpoint["secret"])
    logged = {d["message_id"]: d for d in deliveries(brand, endpoint["id"])}
    assert all(d["attempts"] == 1 for d in logged.values())  # the killed attempt left no result
