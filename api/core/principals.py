"""A short-lived cache of API key -> principal: most requests learn who sent them without a query.

A rotated or erased key must stop working, and a principal must not outlive a change of its
wallet. So:
- The entries live ``auth_cache_seconds`` (5 s by default; 0 turns the cache off), at most
  ``MAX_ENTRIES`` of them, the least recently used going first.
- A change calls :func:`forget_principal` in its unit of work. When it commits, this process drops
  its entries at once and, with ``REDIS_URL``, publishes the account on a channel every API
  process listens to, so they drop theirs too. Without Redis, another worker may still accept
  the old key until its entry expires: run one worker, or set ``REDIS_URL``, or accept that
  window (the TTL).
- A process that is not (or no longer) subscribed while Redis is configured does not use its
  entries: it could have missed a change. It asks the database, as without the cache.
- A lookup that raced with a change is not stored: each change moves a generation number, and
  an entry read from the database under an older one is dropped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

import redis
from sqlmodel import Session

from api.core.db import on_commit

if TYPE_CHECKING:
    from api.core.auth import Principal

log = logging.getLogger("collab.auth")

MAX_ENTRIES = 10_000
# A Redis that does not answer: how long the listener waits before it subscribes again.
RETRY_SECONDS = 1.0


class PrincipalCache:
    """API key digest -> principal, for ``ttl_seconds``. Thread-safe."""

    def __init__(
        self,
        *,
        ttl_seconds: float,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._generation = 0
        # False while Redis is configured but this process is not listening to it.
        self.trusted = True
        self.redis: redis.Redis | None = None
        self.channel = ""

    @property
    def generation(self) -> int:
        """Read it before asking the database; hand it to :meth:`put` with the answer."""
        return self._generation

    def get(self, digest: str) -> Principal | None:
        if not self.ttl_seconds or not self.trusted:
            return None
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None:
                return None
            principal, expires_at = entry
            if self._clock() >= expires_at:
                del self._entries[digest]
                return None
            self._entries.move_to_end(digest)
            return principal

    def put(self, digest: str, principal: Principal, generation: int) -> None:
        if not self.ttl_seconds:
            return
        with self._lock:
            if generation != self._generation:  # a change committed since the lookup began
                return
            self._entries[digest] = (principal, self._clock() + self.ttl_seconds)
            self._entries.move_to_end(digest)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def forget(self, account_id: str | None = None) -> None:
        """Drop the account's entries (every entry when None) and move the generation on."""
        with self._lock:
            self._generation += 1
            if account_id is None:
                self._entries.clear()
                return
            for digest in [d for d, (p, _) in self._entries.items() if p.id == account_id]:
                del self._entries[digest]

    def __len__(self) -> int:
        return len(self._entries)

    def changed(self, account_id: str) -> None:
        """An account's key or wallet changed (committed): here, and in every other process."""
        self.forget(account_id)
        if self.redis is None:
            return
        try:
            self.redis.publish(self.channel, account_id)
        except redis.RedisError:
            # The others keep the old entry until it expires (auth_cache_seconds).
            log.exception("could not tell the other API processes that %s changed", account_id)


def forget_principal(session: Session, account_id: str) -> None:
    """Call in a unit of work that changes an account's API key or wallet (or erases it): once
    it commits, no cached principal of that account answers for it any more."""
    cache: PrincipalCache | None = session.info.get("principals")
    if cache is not None:
        on_commit(session, lambda: cache.changed(account_id))


# ------------------------------------------------------------------------------ the app's cache


def install(app) -> None:
    settings = app.state.settings
    cache = PrincipalCache(ttl_seconds=settings.auth_cache_seconds)
    app.state.principals = cache
    if settings.redis_url and settings.auth_cache_seconds:
        cache.redis = redis.Redis.from_url(
            settings.redis_url, socket_timeout=2, socket_connect_timeout=2
        )
        cache.channel = f"{settings.rate_limit_prefix}:principals"
        cache.trusted = False  # until the listener is subscribed
        app.state.startup_hooks.append(_start_listening)
        app.state.shutdown_hooks.append(_stop_listening)


def _start_listening(app) -> None:
    cache: PrincipalCache = app.state.principals
    stop = threading.Event()
    app.state.principals_stop = stop

    def listen() -> None:
        while not stop.is_set():
            try:
                with cache.redis.pubsub(ignore_subscribe_messages=False) as pubsub:
                    pubsub.subscribe(cache.channel)
                    while not stop.is_set():
                        message = pubsub.get_message(timeout=0.5)
                        if message is None:
                            continue
                        if message["type"] == "subscribe":
                            cache.forget()  # changes missed while not listening
                            cache.trusted = True
                        elif message["type"] == "message":
                            cache.forget(message["data"].decode())
            except (redis.RedisError, OSError):
                log.warning("auth cache: Redis unreachable, asking the database meanwhile")
            cache.trusted = False
            stop.wait(RETRY_SECONDS)

    thread = threading.Thread(target=listen, name="collab-principals", daemon=True)
    thread.start()
    app.state.principals_thread = thread


def _stop_listening(app) -> None:
    stop = getattr(app.state, "principals_stop", None)
    if stop is not None:
        stop.set()
        app.state.principals_thread.join(timeout=5)
    app.state.principals.redis.close()
