"""API keys: never disclosed twice, rotated by a wallet signature (EIP-4361), strong secrets."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from fastapi.testclient import TestClient
from siwe import siwe
from sqlmodel import Session

from api.app import create_app
from api.core.security import secrets_problem, weak_secret
from api.core.settings import Settings
from api.dev.demo import seed_demo
from api.match_index import SharedIndex
from contracts.localchain import Anvil
from tests.factories import (
    auth,
    brand_body,
    creator_body,
    register_brand,
    register_creator,
    serve_expecting_refusal,
)

PROBLEM = "application/problem+json"

SECRET = "test-secret-key-0123456789"  # the tests' SECRET_KEY (tests/api/conftest.py)


def _hmac_key(prefix: str, seed: str) -> str:
    """How a key used to be derived from the Idempotency-Key: what an attacker can compute."""
    raw = hmac.new(SECRET.encode(), f"api-key|{seed}".encode(), hashlib.sha256).digest()
    return prefix + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_replaying_a_victims_registration_does_not_disclose_its_key(client) -> None:
    body = brand_body()
    headers = {"Idempotency-Key": "victim-registration"}
    victim = client.post("/v1/brands", json=body, headers=headers)
    assert victim.status_code == 201
    victim_key = victim.json()["api_key"]

    # The attacker knows the Idempotency-Key and the body (a log, a proxy, a shared client).
    stolen = client.post("/v1/brands", json=body, headers=headers)
    assert stolen.status_code == 201
    assert stolen.headers["idempotency-replayed"] == "true"
    assert stolen.json()["id"] == victim.json()["id"]  # a replay: no second account
    assert stolen.json()["api_key"] is None
    assert victim_key not in stolen.text
    # ... nor can it be computed offline from public values and the server's secret.
    scope = "POST /v1/brands anon"
    assert victim_key != _hmac_key("ck_brand_", f"{scope}|victim-registration")
    assert client.get("/v1/me", headers=auth(victim_key)).status_code == 200


def test_registration_responses_are_never_cached(client) -> None:
    body, headers = brand_body(), {"Idempotency-Key": "no-cache"}
    for _ in range(2):  # the first answer and its replay
        response = client.post("/v1/brands", json=body, headers=headers)
        assert response.status_code == 201
        assert response.headers["cache-control"] == "no-store"
    creator = client.post("/v1/creators", json=creator_body())
    assert creator.status_code == 201
    assert creator.headers["cache-control"] == "no-store"


# ---------------------------------------------------------------- rotation by wallet signature


def _sign(message: str, private_key: str) -> str:
    signed = Account.sign_message(encode_defunct(text=message), private_key)
    return "0x" + bytes(signed.signature).hex()


def _nonce(client, **body) -> dict:
    response = client.post("/v1/keys/nonce", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def _message(issued: dict, address: str, **overrides) -> str:
    """An EIP-4361 message built by the client from the nonce answer (what a wallet app does)."""
    now = datetime.now(UTC)
    fields = {
        "domain": issued["domain"],
        "address": address,
        "statement": issued["statement"],
        "uri": issued["uri"],
        "version": "1",
        "chain_id": issued["chain_id"],
        "nonce": issued["nonce"],
        "issued_at": _iso(now),
        "expiration_time": _iso(now + timedelta(minutes=5)),
    }
    return siwe.SiweMessage(**(fields | overrides)).prepare_message()


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _rotate(client, message: str, signature: str):
    return client.post("/v1/keys/rotate", json={"message": message, "signature": signature})


def _rejected(response, reason: str) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"] == "urn:collab:problem:sign-in-rejected"
    assert response.json()["reason"] == reason


def test_wallet_signature_rotates_the_key_and_revokes_the_old_one(client, dev_keys) -> None:
    owner = Account.from_key(dev_keys[1])
    brand = register_brand(client, wallet=owner.address)
    issued = _nonce(client, wallet=owner.address)
    assert issued["domain"] == "127.0.0.1:8000"  # PUBLIC_URL unset: http://HOST:PORT
    assert issued["uri"] == "http://127.0.0.1:8000"
    assert issued["chain_id"] == 31337
    assert f"Nonce: {issued['nonce']}" in issued["message"]

    response = _rotate(client, issued["message"], _sign(issued["message"], owner.key))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    rotated = response.json()
    assert rotated["id"] == brand.id
    assert rotated["role"] == "brand"
    assert rotated["api_key"].startswith("ck_brand_")
    assert rotated["api_key"] != brand.key
    assert client.get("/v1/me", headers=brand.headers).status_code == 401
    assert client.get("/v1/me", headers=auth(rotated["api_key"])).json()["id"] == brand.id


def test_a_nonce_works_once(client, dev_keys) -> None:
    owner = Account.from_key(dev_keys[2])
    register_creator(client, wallet=owner.address)
    issued = _nonce(client, wallet=owner.address)
    signature = _sign(issued["message"], owner.key)
    assert _rotate(client, issued["message"], signature).status_code == 200
    _rejected(_rotate(client, issued["message"], signature), "nonce")
    # A nonce the server never issued is refused too.
    forged = _message(issued | {"nonce": "a" * 32}, owner.address)
    _rejected(_rotate(client, forged, _sign(forged, owner.key)), "nonce")


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"domain": "collab.evil.example"}, "domain"),  # a phishing site's message
        ({"uri": "https://collab.evil.example/login"}, "uri"),
        ({"chain_id": 1}, "chain"),
        (
            {
                "issued_at": "2020-01-01T00:00:00Z",
                "expiration_time": "2020-01-01T00:05:00Z",
            },
            "expired",
        ),
    ],
)
def test_messages_for_another_site_chain_or_time_are_refused(
    client, dev_keys, overrides, reason
) -> None:
    owner = Account.from_key(dev_keys[1])
    brand = register_brand(client, wallet=owner.address)
    issued = _nonce(client)
    message = _message(issued, owner.address, **overrides)
    _rejected(_rotate(client, message, _sign(message, owner.key)), reason)
    assert client.get("/v1/me", headers=brand.headers).status_code == 200  # key unchanged
    # The nonce was not spent by the refused message: the right one still works.
    message = _message(issued, owner.address)
    assert _rotate(client, message, _sign(message, owner.key)).status_code == 200


def test_another_wallets_signature_is_refused(client, dev_keys) -> None:
    victim, attacker = Account.from_key(dev_keys[1]), Account.from_key(dev_keys[3])
    brand = register_brand(client, wallet=victim.address)
    issued = _nonce(client, wallet=victim.address)
    _rejected(
        _rotate(client, issued["message"], _sign(issued["message"], attacker.key)), "signature"
    )
    # Signing for its own wallet gets the attacker nothing: no account has that wallet.
    own = _message(issued, attacker.address)
    _rejected(_rotate(client, own, _sign(own, attacker.key)), "account")
    assert client.get("/v1/me", headers=brand.headers).status_code == 200


def test_a_wallet_with_two_accounts_names_the_one_to_rotate(client, dev_keys) -> None:
    owner = Account.from_key(dev_keys[4])
    brand = register_brand(client, wallet=owner.address)
    creator = register_creator(client, wallet=owner.address)
    issued = _nonce(client, wallet=owner.address)
    response = _rotate(client, issued["message"], _sign(issued["message"], owner.key))
    assert response.status_code == 409, response.text
    assert response.json()["accounts"] == sorted([brand.id, creator.id])

    issued = _nonce(client, wallet=owner.address, account_id=creator.id)
    assert f"- urn:collab:account:{creator.id}" in issued["message"]
    response = _rotate(client, issued["message"], _sign(issued["message"], owner.key))
    assert response.status_code == 200, response.text
    assert response.json()["id"] == creator.id
    assert response.json()["role"] == "creator"
    assert client.get("/v1/me", headers=creator.headers).status_code == 401
    assert client.get("/v1/me", headers=brand.headers).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"message": "hello", "signature": "0x" + "11" * 65},
        {"message": "x" * 5000, "signature": "0x" + "11" * 65},
        {"message": "hello", "signature": "0x1234"},
    ],
)
def test_malformed_rotation_is_a_422(client, body) -> None:
    response = client.post("/v1/keys/rotate", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM


def test_public_url_sets_the_domain(settings) -> None:
    custom = settings.model_copy(update={"public_url": "https://api.collab.example"})
    with TestClient(create_app(custom)) as client:
        issued = _nonce(client)
    assert (issued["domain"], issued["uri"]) == ("api.collab.example", "https://api.collab.example")


# ---------------------------------------------------------------- secrets at start-up and demo


def test_weak_operator_keys_are_refused() -> None:
    for weak in ("short-key", "a" * 64, "abababababababababababababababab12"):
        assert weak_secret(weak) is not None, weak
    assert weak_secret(secrets.token_urlsafe(32)) is None


def test_default_secret_key_only_on_the_local_chain() -> None:
    default = Settings(_env_file=None)
    assert secrets_problem(default, None) is None  # no CHAIN_RPC_URL: we start anvil
    remote = default.model_copy(update={"chain_rpc_url": "http://node.example"})
    assert secrets_problem(remote, 31337) is None
    assert secrets_problem(remote, 11155111)[0] == "SECRET_KEY"
    assert secrets_problem(remote.model_copy(update={"secret_key": "s" * 8 + "x" * 24}), 1) is None


def test_server_refuses_the_default_secret_key_on_another_chain(tmp_path) -> None:
    node = Anvil(chain_id=11155111).start()
    try:
        result = serve_expecting_refusal(
            {"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "CHAIN_RPC_URL": node.rpc_url}
        )
    finally:
        node.stop()
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("collab: cannot start: SECRET_KEY: the default is public")


def test_server_refuses_a_weak_operator_key(tmp_path) -> None:
    result = serve_expecting_refusal(
        {"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "OPERATOR_API_KEY": "1234"}
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "OPERATOR_API_KEY: must be at least 32 characters" in lines[0]


def test_demo_keys_are_random_and_rotate_at_every_seeding(engine, settings) -> None:
    with Session(engine) as session:
        first = {
            a.handle: a for a in seed_demo(session=session, index=SharedIndex(), settings=settings)
        }
    with Session(engine) as session:
        second = {
            a.handle: a for a in seed_demo(session=session, index=SharedIndex(), settings=settings)
        }
    assert first.keys() == second.keys()
    assert len(first) == 9  # 3 brands, 6 creators (the collection's two virtual athletes too)
    for handle, account in second.items():
        assert account.id == first[handle].id  # the same accounts, seeded once
        assert account.api_key != first[handle].api_key
        seed = f"demo|{handle}"
        assert account.api_key != _hmac_key(
            account.api_key[: account.api_key.index("_", 3) + 1], seed
        )
    with TestClient(create_app(settings)) as client:
        luna = second["luna_verde"]
        assert client.get("/v1/me", headers=auth(luna.api_key)).json()["id"] == luna.id
        assert client.get("/v1/me", headers=auth(first["luna_verde"].api_key)).status_code == 401


def test_dev_wallet_signs_the_rotation_message(client, dev_keys) -> None:
    """The README's recipe: nonce answer | collab dev sign-message | POST /v1/keys/rotate."""
    brand = register_brand(client, wallet=Account.from_key(dev_keys[1]).address)
    issued = client.post("/v1/keys/nonce", json={"wallet": brand.data["wallet"]})
    signed = subprocess.run(
        [sys.executable, "-m", "api.cli", "dev", "sign-message", "--key-index", "1"],
        input=issued.text,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert signed.returncode == 0, signed.stderr
    response = client.post(
        "/v1/keys/rotate", content=signed.stdout, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["id"] == brand.id
