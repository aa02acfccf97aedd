"""One leader per role across processes: the chain indexer and the webhook worker run in exactly
one process however many API workers (and `collab indexer` / `collab worker` processes) start.

On PostgreSQL the leader holds a session-level advisory lock (`pg_try_advisory_lock`) on a
connection of its own for as long as its loop runs; the others try again every few seconds.
When the leader's process dies its connection closes, PostgreSQL frees the lock and the next
contender takes over. A leader that loses its connection steps down (its loop stops) and
contends again; it notices within RETRY_SECONDS, and meanwhile another may already lead: the
indexer's per-step transaction lock and the webhook delivery leases keep that overlap harmless.

On SQLite (one process: `collab serve --workers` refuses more) the loop runs as it always did:
the indexer's step and the webhook leases keep a second process harmless.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import zlib
from collections.abc import Callable

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

log = logging.getLogger("collab.leader")

RunForever = Callable[[threading.Event, float], None]
RETRY_SECONDS = 3.0  # how often a follower tries to take the lock, and the leader checks it


def lock_key(role: str) -> int:
    """The advisory lock key of a role (apart from the indexer's per-step transaction lock)."""
    return zlib.crc32(f"collab leader {role}".encode())


class LeaderLock:
    """A role's advisory lock, held on a dedicated connection (outside the app's pool, in
    autocommit: holding it leaves no transaction open)."""

    def __init__(self, engine: Engine, role: str) -> None:
        self.role = role
        self.key = lock_key(role)
        self._engine = create_engine(engine.url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        self._connection: Connection | None = None

    def acquire(self) -> bool:
        """Take the lock if no other session holds it; never waits."""
        try:
            connection = self._engine.connect()
        except SQLAlchemyError as exc:
            log.warning("%s: cannot reach the database to contend: %s", self.role, exc)
            return False
        try:
            taken = connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}
            ).scalar()
        except SQLAlchemyError:
            connection.close()
            return False
        if not taken:
            connection.close()
            return False
        self._connection = connection
        return True

    def held(self) -> bool:
        """Whether the connection that holds the lock is still up (then so is the lock)."""
        if self._connection is None:
            return False
        try:
            self._connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

    def release(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(SQLAlchemyError):  # gone: the lock went with it
                self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            self._connection.close()
            self._connection = None
        self._engine.dispose()


def as_leader(
    run_forever: RunForever, *, engine: Engine, role: str, retry_seconds: float = RETRY_SECONDS
) -> RunForever:
    """``run_forever`` run only while this process leads ``role`` (on PostgreSQL)."""
    if engine.dialect.name != "postgresql":
        return run_forever

    def run(stop: threading.Event, poll_seconds: float) -> None:
        while not stop.is_set():
            lock = LeaderLock(engine, role)
            if not lock.acquire():
                lock.release()
                stop.wait(retry_seconds)
                continue
            log.info("this process now runs the %s", role)
            term = threading.Event()  # the loop's own stop: asked to stop, or the lock lost
            keeper = threading.Thread(
                target=_keep, args=(lock, stop, term, retry_seconds), name=f"{role}-lock"
            )
            keeper.start()
            try:
                run_forever(term, poll_seconds)
            finally:
                term.set()
                keeper.join()
                lock.release()
            if not stop.is_set():
                log.warning("lost the %s lock; contending again", role)

    return run


def _keep(lock: LeaderLock, stop: threading.Event, term: threading.Event, every: float) -> None:
    """Stop the loop when asked to, or when the lock's connection is gone."""
    checked = time.monotonic()
    while not term.is_set():
        if stop.wait(0.2):
            break
        if time.monotonic() - checked >= every:
            checked = time.monotonic()
            if not lock.held():
                break
    term.set()
