"""Idempotency-Key: scoped by who calls, bodies compared as JSON, records expire after 24 hours."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import sqlalchemy as sa
from sqlmodel import Session, select

from api.kit.idempotency import IdempotencyRecord, prune_expired
from api.kit.time import utcnow
from tests.api.test_limits import served
from tests.factories import brand_body, post_request, register_brand, request_body

PROBLEM = "application/problem+json"


def _rows(engine, table: str) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()


def test_the_scheme_case_does_not_make_a_new_scope(client, engine) -> None:
    brand = register_brand(client)
    body = request_body()
    first = client.post(
        "/v1/requests",
        json=body,
        headers={"Authorization": f"Bearer {brand.key}", "Idempotency-Key": "case"},
    )
    second = client.post(
        "/v1/requests",
        json=body,
        headers={"Authorization": f"bearer {brand.key}", "Idempotency-Key": "case"},
    )
    assert first.status_code == second.status_code == 201
    assert second.headers["idempotency-replayed"] == "true"
    assert second.json() == first.json()
    assert _rows(engine, "collab_request") == 1
    assert _rows(engine, "idempotency_key") == 1


def test_two_accounts_never_share_a_key(client) -> None:
    one, other = register_brand(client), register_brand(client)
    body = request_body()
    a = one.post("/v1/requests", json=body, headers={"Idempotency-Key": "same"})
    b = other.post("/v1/requests", json=body, headers={"Idempotency-Key": "same"})
    assert a.status_code == b.status_code == 201
    assert "idempotency-replayed" not in b.headers
    assert a.json()["id"] != b.json()["id"]


def test_bodies_are_compared_as_json(client, engine) -> None:
    brand = register_brand(client)
    body = request_body()
    headers = brand.headers | {"Idempotency-Key": "json", "Content-Type": "application/json"}
    compact = json.dumps(body, separators=(",", ":"))
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=2)
    first = client.post("/v1/requests", content=compact, headers=headers)
    second = client.post("/v1/requests", content=reordered, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.headers["idempotency-replayed"] == "true"
    assert _rows(engine, "collab_request") == 1
    changed = client.post("/v1/requests", json=body | {"title": "Another"}, headers=headers)
    assert changed.status_code == 409
    assert changed.json()["type"] == "urn:collab:problem:idempotency-key-reused"


def test_records_expire_after_a_day_and_are_pruned(client, engine) -> None:
    body = brand_body()
    headers = {"Idempotency-Key": "old"}
    first = client.post("/v1/brands", json=body, headers=headers)
    with Session(engine) as session:
        record = session.exec(select(IdempotencyRecord)).one()
        assert record.expires_at - record.created_at == timedelta(hours=24)
        record.expires_at = utcnow() - timedelta(seconds=1)
        session.add(record)
        session.commit()
    again = client.post("/v1/brands", json=body, headers=headers)
    assert again.status_code == 201
    assert "idempotency-replayed" not in again.headers  # an expired key is new again
    assert again.json()["id"] != first.json()["id"]
    assert again.json()["api_key"] is not None
    assert _rows(engine, "idempotency_key") == 1
    with Session(engine) as session:
        for n in range(5):
            session.add(
                IdempotencyRecord(
                    scope="POST /v1/brands anon",
                    key=f"stale-{n}",
                    request_sha256="0" * 64,
                    status_code=201,
                    response_body={},
                    expires_at=utcnow() - timedelta(hours=1),
                )
            )
        session.commit()
        assert prune_expired(session) == 5
        session.commit()
    assert _rows(engine, "idempotency_key") == 1


def test_parallel_requests_with_one_key_create_one_row(settings, engine) -> None:
    """20 threads, one Idempotency-Key, against the served app: one brand, one record; every
    other answer is the replay or a 409 problem, never a 500."""
    body = brand_body()
    with served(settings) as address, httpx.Client(base_url=f"http://{address}") as http:

        def register(_):
            return http.post("/v1/brands", json=body, headers={"Idempotency-Key": "race"})

        with ThreadPoolExecutor(20) as pool:
            answers = list(pool.map(register, range(20)))
    statuses = sorted(answer.status_code for answer in answers)
    assert set(statuses) <= {201, 409}, [a.text for a in answers if a.status_code >= 500]
    originals = [
        a for a in answers if a.status_code == 201 and "idempotency-replayed" not in a.headers
    ]
    assert len(originals) == 1
    replays = [a for a in answers if a.headers.get("idempotency-replayed") == "true"]
    assert all(a.json()["id"] == originals[0].json()["id"] for a in replays)
    assert all(a.json()["api_key"] is None for a in replays)
    for conflict in (a for a in answers if a.status_code == 409):
        assert conflict.headers["content-type"] == PROBLEM
    assert _rows(engine, "brand") == 1
    assert _rows(engine, "idempotency_key") == 1


def test_parallel_authenticated_creations_with_one_key(settings, engine) -> None:
    with served(settings) as address, httpx.Client(base_url=f"http://{address}") as http:
        key = http.post("/v1/brands", json=brand_body()).json()["api_key"]
        body = request_body()
        headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": "brief"}

        def create(_):
            return http.post("/v1/requests", json=body, headers=headers)

        with ThreadPoolExecutor(20) as pool:
            answers = list(pool.map(create, range(20)))
    assert {a.status_code for a in answers} <= {201, 409}, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers if a.status_code == 201}) == 1
    assert _rows(engine, "collab_request") == 1


def test_without_a_key_nothing_is_recorded(client, engine) -> None:
    brand = register_brand(client)
    post_request(brand)
    post_request(brand)
    assert _rows(engine, "collab_request") == 2
    assert _rows(engine, "idempotency_key") == 0


def test_collab_db_prune_removes_what_expired(database_url, engine) -> None:
    from api.keys.models import SiweNonce

    past = utcnow() - timedelta(minutes=1)
    with Session(engine) as session:
        session.add(SiweNonce(nonce="n" * 32, expires_at=past))
        session.add(SiweNonce(nonce="m" * 32, expires_at=utcnow() + timedelta(minutes=5)))
        session.add(
            IdempotencyRecord(
                scope="s",
                key="k",
                request_sha256="0" * 64,
                status_code=201,
                response_body={},
                expires_at=past,
            )
        )
        session.commit()
    result = subprocess.run(
        [sys.executable, "-m", "api.cli", "db", "prune"],
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "pruned 1 idempotency records, 1 sign-in nonces and 0 web sessions"
    )
    assert _rows(engine, "idempotency_key") == 0
    assert _rows(engine, "siwe_nonce") == 1
