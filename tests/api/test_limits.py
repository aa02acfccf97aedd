"""Body-size and rate limits, security headers, and database errors that hide their values."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis
import sqlalchemy as sa
import uvicorn
from fastapi import APIRouter
from fastapi.testclient import TestClient

from api.app import create_app
from api.brands.models import Brand
from api.core.db import SessionDep, make_engine
from api.core.limits import BodyLimit
from api.core.settings import Settings
from contracts.localchain import free_port
from tests.factories import brand_body, register_brand

PROBLEM = "application/problem+json"
REDIS_URL = "redis://127.0.0.1:6379/0"


@contextmanager
def served(settings: Settings) -> Iterator[str]:
    """The app on a real socket (uvicorn in a thread), for what a TestClient cannot show."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start in time"
        assert thread.is_alive(), "the server thread died"
        time.sleep(0.05)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _with(settings: Settings, **changes) -> Settings:
    return settings.model_copy(update=changes)


# ------------------------------------------------------------------------------- body size


def test_declared_oversize_body_is_refused_before_a_byte_is_read() -> None:
    async def app(_scope, _receive, _send):  # pragma: no cover - must not be reached
        raise AssertionError("the app was called")

    async def receive():  # pragma: no cover - must not be called
        raise AssertionError("the body was read")

    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/v1/brands",
        "headers": [(b"content-length", str(150 * 1024 * 1024).encode())],
    }
    asyncio.run(BodyLimit(app, max_bytes=1024 * 1024)(scope, receive, send))
    assert sent[0]["status"] == 413
    assert (b"content-type", PROBLEM.encode()) in sent[0]["headers"]
    assert b"payload-too-large" in sent[1]["body"]


def test_oversize_body_gets_413_on_the_wire_without_being_sent(settings) -> None:
    """A client announcing 150 MB gets its 413 at once: the server does not wait for the body."""
    with served(_with(settings, max_body_bytes=64 * 1024)) as address:
        host, port = address.split(":")
        with socket.create_connection((host, int(port)), timeout=10) as conn:
            conn.sendall(
                b"POST /v1/brands HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {150 * 1024 * 1024}\r\n\r\n".encode()
                + b'{"name": "'
            )
            answer = conn.recv(65536).decode()
    assert answer.startswith("HTTP/1.1 413 "), answer
    assert "urn:collab:problem:payload-too-large" in answer


def test_streamed_body_is_cut_off_at_the_limit(client, settings) -> None:
    limit = 4096
    with TestClient(create_app(_with(settings, max_body_bytes=limit))) as small:

        def chunks():  # no Content-Length: the body is counted as it comes
            yield b'{"name": "'
            for _ in range(100):
                yield b"x" * 1024
            yield b'"}'

        response = small.post(
            "/v1/brands", content=chunks(), headers={"content-type": "application/json"}
        )
        assert response.status_code == 413, response.text
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["type"] == "urn:collab:problem:payload-too-large"
        # Just under the limit goes through to validation as usual.
        assert small.post("/v1/brands", json=brand_body()).status_code == 201
    assert client.post("/v1/brands", json=brand_body(description="x" * 4000)).status_code == 201


# ------------------------------------------------------------------------------ rate limits


def _assert_429(response) -> int:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"] == "urn:collab:problem:rate-limited"
    retry_after = int(response.headers["retry-after"])
    # Per minute, on sliding windows: a full minute's requests fade over the next minute, so
    # room for one more may take up to two (api.core.limits.retry_after).
    assert 1 <= retry_after <= 120
    return retry_after


def test_registration_is_limited_per_address(settings) -> None:
    with TestClient(create_app(_with(settings, rate_limit_registration="3/minute"))) as client:
        for _ in range(3):
            assert client.post("/v1/brands", json=brand_body()).status_code == 201
        _assert_429(client.post("/v1/brands", json=brand_body()))
        assert client.post("/v1/creators", json={}).status_code == 429  # one budget for both
        assert client.get("/v1/values").status_code == 200  # reading is not registering


def test_each_api_key_has_its_own_budget(settings) -> None:
    with TestClient(create_app(_with(settings, rate_limit_per_key="5/minute"))) as client:
        first, second = register_brand(client), register_brand(client)
        for _ in range(5):
            assert first.get("/v1/me").status_code == 200
        _assert_429(first.get("/v1/me"))
        # The scheme's case does not make a new budget.
        _assert_429(client.get("/v1/me", headers={"Authorization": f"bearer {first.key}"}))
        assert second.get("/v1/me").status_code == 200


def test_each_address_has_a_budget(settings) -> None:
    with TestClient(create_app(_with(settings, rate_limit_per_address="4/minute"))) as client:
        for _ in range(4):
            assert client.get("/v1/values").status_code == 200
        _assert_429(client.get("/v1/values"))
        assert client.get("/health").status_code == 200  # only /v1 is limited


def test_key_rotation_is_limited(settings) -> None:
    with TestClient(create_app(_with(settings, rate_limit_key_rotation="2/minute"))) as client:
        assert client.post("/v1/keys/nonce").status_code == 201
        assert client.post("/v1/keys/nonce").status_code == 201
        _assert_429(client.post("/v1/keys/nonce"))
        _assert_429(client.post("/v1/keys/rotate", json={}))


def test_web_sign_in_spends_the_key_rotation_budget(settings) -> None:
    wallet = {"wallet": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"}
    with TestClient(create_app(_with(settings, rate_limit_key_rotation="2/minute"))) as client:
        assert client.post("/v1/keys/nonce").status_code == 201
        assert client.post("/web/nonce", json=wallet).status_code == 200
        _assert_429(client.post("/web/nonce", json=wallet))
        assert client.post("/web/sign-in", json={}).status_code == 422  # needs a nonce anyway


def test_workers_share_one_budget_in_redis(settings) -> None:
    prefix = f"collab-test-{uuid.uuid4().hex}"
    shared = _with(
        settings, redis_url=REDIS_URL, rate_limit_prefix=prefix, rate_limit_registration="3/minute"
    )
    try:
        # Two apps stand for two worker processes behind one address.
        with (
            TestClient(create_app(shared)) as worker_a,
            TestClient(create_app(shared)) as worker_b,
        ):
            assert worker_a.post("/v1/brands", json=brand_body()).status_code == 201
            assert worker_a.post("/v1/brands", json=brand_body()).status_code == 201
            assert worker_b.post("/v1/brands", json=brand_body()).status_code == 201
            _assert_429(worker_b.post("/v1/brands", json=brand_body()))
            _assert_429(worker_a.post("/v1/brands", json=brand_body()))
        with redis.Redis.from_url(REDIS_URL) as store:
            assert list(store.scan_iter(f"{prefix}*"))  # the budget lived in Redis
    finally:
        with redis.Redis.from_url(REDIS_URL) as store:
            for key in store.scan_iter(f"{prefix}*"):
                store.delete(key)


def test_a_redis_outage_does_not_take_the_api_down(settings, caplog) -> None:
    dead = _with(settings, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    with TestClient(create_app(dead)) as client:
        assert client.get("/v1/values").status_code == 200
    assert "rate limits not applied" in caplog.text


def test_limits_are_declared_in_the_openapi(client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    register = paths["/v1/brands"]["post"]["responses"]
    assert {"413", "429"} <= register.keys()
    assert "Retry-After" in register["429"]["headers"]
    assert "413" not in paths["/v1/me"]["get"]["responses"]
    assert "429" in paths["/v1/me"]["get"]["responses"]
    assert "429" not in paths["/health"]["get"]["responses"]


# ------------------------------------------------------------------------- security headers


SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v1/values"), ("GET", "/v1/me"), ("GET", "/nowhere"), ("GET", "/health")],
)
def test_every_response_has_security_headers(client, method, path) -> None:
    response = client.request(method, path)
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert response.headers["content-security-policy"].startswith("default-src 'none'")


def test_docs_still_load_their_scripts(client) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in response.headers


def test_limit_answers_carry_security_headers_too(settings) -> None:
    with TestClient(create_app(_with(settings, rate_limit_per_address="1/minute"))) as client:
        client.get("/v1/values")
        response = client.get("/v1/values")
    assert response.status_code == 429
    assert response.headers["x-frame-options"] == "DENY"


# ----------------------------------------------------------------------- database errors


def test_database_errors_never_log_values(database_url, caplog) -> None:
    """A unique violation in a request: the log names the constraint, never the values
    (PostgreSQL puts them in its DETAIL line; SQLAlchemy in its parameters)."""
    digest = "d1ge57" + "0" * 58
    signature = "0x" + "5a" * 65
    router = APIRouter()

    @router.post("/clash")
    def clash(session: SessionDep) -> dict:
        for n in range(2):
            session.add(
                Brand(
                    id=f"brd_{n}",
                    name="Brand",
                    description=signature,
                    wallet="0x" + "1" * 40,
                    api_key_hash=digest,
                )
            )
        session.flush()
        return {}

    app = create_app(Settings(database_url=database_url, _env_file=None))
    app.include_router(router)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/clash")
    assert response.status_code in (409, 500)  # 409 once unique violations are conflicts
    assert response.headers["content-type"] == PROBLEM
    assert digest not in caplog.text
    assert signature not in caplog.text
    assert digest not in response.text
    assert signature not in response.text
    if response.status_code == 500:
        assert "api_key_hash" in caplog.text  # what failed is still said

    engine = make_engine(database_url)
    try:
        with engine.connect() as connection, pytest.raises(sa.exc.DBAPIError) as raw:
            connection.execute(sa.text("SELECT * FROM nowhere WHERE x = :x"), {"x": digest})
    finally:
        engine.dispose()
    assert "SQL parameters hidden" in str(raw.value)
    assert digest not in str(raw.value)
