"""The cache of API key -> principal: a rotated or erased key stops at once, in this process and
(through Redis) in the others; a lookup that raced with a change is not kept."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from eth_account import Account
from eth_account.messages import encode_defunct
from fastapi.testclient import TestClient

from api.app import create_app
from api.core.auth import Principal, hash_api_key
from api.core.principals import PrincipalCache
from contracts.localchain import free_port
from tests.api.test_limits import REDIS_URL
from tests.factories import auth, register_brand, register_creator

REDIS_URL_4 = REDIS_URL.rsplit("/", 1)[0] + "/4"


def _rotate(client: TestClient, private_key: str) -> str:
    """The account's new key, by a wallet signature (POST /v1/keys/rotate)."""
    wallet = Account.from_key(private_key)
    issued = client.post("/v1/keys/nonce", json={"wallet": wallet.address})
    assert issued.status_code == 201, issued.text
    message = issued.json()["message"]
    signature = "0x" + wallet.sign_message(encode_defunct(text=message)).signature.hex()
    rotated = client.post("/v1/keys/rotate", json={"message": message, "signature": signature})
    assert rotated.status_code == 200, rotated.text
    return rotated.json()["api_key"]


def _cached(client: TestClient, api_key: str) -> bool:
    return client.app.state.principals.get(hash_api_key(api_key)) is not None


def test_a_rotated_key_stops_at_once(client, dev_keys) -> None:
    brand = register_brand(client, wallet=Account.from_key(dev_keys[1]).address)
    assert client.get("/v1/me", headers=brand.headers).status_code == 200
    assert _cached(client, brand.key)  # the next request would not ask the database

    new_key = _rotate(client, dev_keys[1])
    assert not _cached(client, brand.key)
    assert client.get("/v1/me", headers=brand.headers).status_code == 401
    assert client.get("/v1/me", headers=auth(new_key)).json()["id"] == brand.id


def test_an_erased_key_stops_at_once(client) -> None:
    creator = register_creator(client)
    assert client.get("/v1/me", headers=creator.headers).status_code == 200
    assert _cached(client, creator.key)

    assert client.delete("/v1/me", headers=creator.headers).status_code == 200
    assert client.get("/v1/me", headers=creator.headers).status_code == 401


def test_a_new_wallet_is_not_served_from_the_cache(client, dev_keys) -> None:
    brand = register_brand(client)
    assert client.get("/v1/me", headers=brand.headers).status_code == 200
    wallet = Account.from_key(dev_keys[3]).address
    changed = client.patch("/v1/brands/me", headers=brand.headers, json={"wallet": wallet})
    assert changed.status_code == 200, changed.text
    assert not _cached(client, brand.key)
    assert client.get("/v1/me", headers=brand.headers).status_code == 200
    principal = client.app.state.principals.get(hash_api_key(brand.key))
    assert principal.wallet == wallet


def test_a_failed_change_keeps_the_cache(client) -> None:
    """Only a committed change clears: a PATCH refused with 422 leaves the entry."""
    brand = register_brand(client)
    assert client.get("/v1/me", headers=brand.headers).status_code == 200
    refused = client.patch("/v1/brands/me", headers=brand.headers, json={"wallet": "0x12"})
    assert refused.status_code == 422
    assert _cached(client, brand.key)


def test_rotation_racing_with_requests_leaves_no_old_key_behind(client, dev_keys) -> None:
    """Requests with the old key while it is rotated: whatever they answered, once the
    rotation has answered the old key is refused (a lookup begun before it is not cached)."""
    brand = register_brand(client, wallet=Account.from_key(dev_keys[5]).address)
    stop = threading.Event()

    def hammer(_: int) -> set[int]:
        seen = set()
        while not stop.is_set():
            seen.add(client.get("/v1/me", headers=brand.headers).status_code)
        return seen

    with ThreadPoolExecutor(6) as pool:
        futures = [pool.submit(hammer, i) for i in range(6)]
        time.sleep(0.2)  # let them warm the cache
        new_key = _rotate(client, dev_keys[5])
        after = [client.get("/v1/me", headers=brand.headers).status_code for _ in range(20)]
        stop.set()
        seen = set().union(*(f.result() for f in futures))
    assert after == [401] * 20
    assert seen <= {200, 401}
    assert client.get("/v1/me", headers=auth(new_key)).status_code == 200


# --------------------------------------------------------------------- two API processes


def _wait(condition, what: str, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def test_a_key_rotated_in_one_process_stops_in_the_others(settings, dev_keys) -> None:
    """Two apps on one database, as two workers: B has the key cached for a minute, A rotates
    it, and B refuses it as soon as A's message reaches B over Redis."""
    shared = settings.model_copy(
        update={
            "redis_url": REDIS_URL_4,
            "rate_limit_prefix": f"test-{uuid.uuid4().hex}",
            "auth_cache_seconds": 60.0,
        }
    )
    with TestClient(create_app(shared)) as a, TestClient(create_app(shared)) as b:
        for app in (a.app, b.app):
            _wait(lambda app=app: app.state.principals.trusted, "not subscribed to Redis")
        brand = register_brand(a, wallet=Account.from_key(dev_keys[6]).address)
        assert b.get("/v1/me", headers=brand.headers).status_code == 200
        assert _cached(b, brand.key)
        before = b.app.state.principals.generation

        new_key = _rotate(a, dev_keys[6])
        _wait(lambda: b.app.state.principals.generation != before, "B never heard of it")
        assert b.get("/v1/me", headers=brand.headers).status_code == 401
        assert b.get("/v1/me", headers=auth(new_key)).json()["id"] == brand.id


def test_without_redis_answers_the_database_asks(settings, dev_keys) -> None:
    """Redis configured but down: nothing is served from the cache (a change could be missed),
    every key is checked against the database, and a rotation still works."""
    dead = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/4"})
    with TestClient(create_app(dead)) as client:
        brand = register_brand(client, wallet=Account.from_key(dev_keys[7]).address)
        assert client.get("/v1/me", headers=brand.headers).status_code == 200
        assert not _cached(client, brand.key)
        new_key = _rotate(client, dev_keys[7])
        assert client.get("/v1/me", headers=brand.headers).status_code == 401
        assert client.get("/v1/me", headers=auth(new_key)).status_code == 200


# ------------------------------------------------------------------------------- the cache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _principal(n: int) -> Principal:
    return Principal(role="brand", id=f"brd_{n}", wallet=None)


def test_entries_expire_after_the_ttl() -> None:
    clock = Clock()
    cache = PrincipalCache(ttl_seconds=5, clock=clock)
    cache.put("k", _principal(1), cache.generation)
    clock.now = 4.9
    assert cache.get("k") == _principal(1)
    clock.now = 5.0
    assert cache.get("k") is None


def test_a_lookup_older_than_a_change_is_not_kept() -> None:
    cache = PrincipalCache(ttl_seconds=5)
    generation = cache.generation  # a request begins its lookup...
    cache.forget("brd_1")  # ... the account changes meanwhile ...
    cache.put("k", _principal(1), generation)  # ... and the lookup's answer comes back
    assert cache.get("k") is None


def test_forget_drops_only_that_account() -> None:
    cache = PrincipalCache(ttl_seconds=5)
    cache.put("a", _principal(1), cache.generation)
    cache.put("b", _principal(2), cache.generation)
    cache.forget("brd_1")
    assert (cache.get("a"), cache.get("b")) == (None, _principal(2))


def test_the_least_recently_used_goes_first() -> None:
    cache = PrincipalCache(ttl_seconds=5, max_entries=2)
    for n in (1, 2):
        cache.put(f"k{n}", _principal(n), cache.generation)
    cache.get("k1")
    cache.put("k3", _principal(3), cache.generation)
    assert [cache.get(k) is not None for k in ("k1", "k2", "k3")] == [True, False, True]


def test_a_zero_ttl_turns_the_cache_off() -> None:
    cache = PrincipalCache(ttl_seconds=0)
    cache.put("k", _principal(1), cache.generation)
    assert cache.get("k") is None
