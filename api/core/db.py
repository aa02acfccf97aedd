"""Engine, metadata naming convention and the one-unit-of-work-per-request session."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import inspect
import re
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from functools import partial
from types import SimpleNamespace
from typing import Annotated

from anyio import CancelScope, CapacityLimiter, to_thread
from fastapi import Depends, Request
from fastapi.dependencies.utils import get_typed_signature
from fastapi.routing import APIRoute
from pydantic_core import PydanticUndefined
from sqlalchemy import event, insert, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, SQLModel, create_engine

from api.core.metadata import NAMING_CONVENTION  # noqa: F401  (also fixes the MetaData)

# How long a SQLite writer waits for the one before it.
SQLITE_BUSY_SECONDS = 30
SQLITE_MMAP_BYTES = 1 << 30


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the indexer write while requests read; busy_timeout waits instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Read through a memory map: every connection shares the operating system's cached pages
    # instead of filling a page cache of its own by reads and copies.
    cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
    cursor.close()


class OneWriterAtATime:
    """SQLite lets one connection write at a time. One that finds the database taken sleeps and
    tries again, 1 ms later and then up to 100 ms apart, so under load the newcomers overtake
    those already waiting and a write can wait for seconds. This engine's writers queue on a
    lock instead: each takes it at its first write and hands it on when its transaction ends.
    Other processes (the CLI) still meet SQLite's own wait, and so does a writer that has waited
    for the lock as long as SQLite would wait (then it goes ahead without it)."""

    KEY = "collab_writer"
    WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.IGNORECASE)

    def __init__(self, wait_seconds: float) -> None:
        self.wait_seconds = wait_seconds
        self._lock = threading.Lock()  # not an RLock: a commit may run in another thread

    def install(self, engine: Engine) -> None:
        event.listen(engine, "before_cursor_execute", self._before_execute)
        event.listen(engine, "commit", self._ended)
        event.listen(engine, "rollback", self._ended)
        event.listen(engine.pool, "checkin", self._checked_in)

    def _before_execute(self, conn, _cursor, statement, *_args) -> None:
        if self.KEY not in conn.info and self.WRITE.match(statement):
            conn.info[self.KEY] = self._lock.acquire(timeout=self.wait_seconds)

    def _ended(self, conn) -> None:
        self._release(conn.info)

    def _checked_in(self, _dbapi_connection, record) -> None:
        self._release(record.info)  # a connection given back without a commit or a rollback

    def _release(self, info: dict) -> None:
        if info.pop(self.KEY, False):
            self._lock.release()


def make_engine(database_url: str, **kwargs) -> Engine:
    # Errors and logs never show bound values: they hold signatures and key digests.
    kwargs.setdefault("hide_parameters", True)
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[-1]
        if path and path != ":memory:":
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            database_url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_SECONDS},
            # One connection per worker thread: WAL readers never wait for each other. The one
            # given back last is taken first, its page cache still warm.
            pool_size=20,
            max_overflow=20,
            pool_use_lifo=True,
            **kwargs,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        engine.writers = OneWriterAtATime(wait_seconds=SQLITE_BUSY_SECONDS)
        engine.writers.install(engine)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    engine = create_engine(database_url, **kwargs)
    ping_when_idle(engine, IDLE_PING_SECONDS)
    return engine


# A pooled connection back in use after this long is pinged first (see ping_when_idle).
IDLE_PING_SECONDS = 5.0
_CHECKED_IN = "collab_checked_in"


def ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """Pessimistic disconnect handling for connections that sat in the pool, not for every
    checkout. `pool_pre_ping` pings each time a connection leaves the pool: one more round trip
    per request under load, where connections never rest. Here a connection idle for longer
    than ``idle_seconds`` (the database may have restarted, a proxy may have cut it) is pinged,
    and replaced when the ping fails; a busy one is used as it is. A server that goes away while
    its connections are busy fails the requests in flight, and the pool then replaces every
    connection older than the failure (SQLAlchemy's invalidation), as it would with pre-ping."""
    dialect = engine.dialect

    @event.listens_for(engine.pool, "checkout")
    def _checkout(dbapi_connection, record, _proxy) -> None:
        checked_in = record.info.get(_CHECKED_IN)
        if checked_in is None or time.monotonic() - checked_in <= idle_seconds:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as exc:  # any failure: the pool tries again with a new connection
            raise DisconnectionError(f"an idle pooled connection failed its ping: {exc}") from exc

    @event.listens_for(engine.pool, "checkin")
    def _checkin(_dbapi_connection, record) -> None:
        record.info[_CHECKED_IN] = time.monotonic()


COMMITTED = "collab_committed_by_route"


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One unit of work per request: commit when the route returns, roll back when it raises.

    Used with scope="function" so the commit happens before the response is sent: a client
    never sees a 201 for a row that is not committed yet (or that failed to commit).

    Async, so that opening a session costs no trip to a worker thread; only the commit (or the
    rollback), which talks to the database, goes to one. It is shielded (a client that hangs up
    cannot leave a unit of work half-closed) and, like FastAPI's own exits, does not wait for
    room in the routes' thread pool: when every thread there waits on a lock this unit of work
    holds, its commit must still run.
    """
    session = Session(request.app.state.engine, expire_on_commit=False)
    # For a change of API key or wallet to clear the cached principals once it commits
    # (api.core.principals.forget_principal).
    session.info["principals"] = request.app.state.principals
    try:
        yield session
    except BaseException:
        with CancelScope(shield=True):
            await _in_own_thread(_close, session, commit=False)
        raise
    with CancelScope(shield=True):
        if session.info.get(COMMITTED) and not session.in_transaction():
            session.close()  # its route committed it (UnitOfWorkRoute), and nothing came after
        else:
            await _in_own_thread(_close, session, commit=True)


async def _in_own_thread(function, /, *args, **kwargs):
    return await to_thread.run_sync(partial(function, *args, **kwargs), limiter=CapacityLimiter(1))


def _close(session: Session, *, commit: bool) -> None:
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


KEPT = "collab_kept"


def get_kept(session: Session, model: type, ident: str):
    """``session.get``, and the object kept for the rest of the unit of work. The session holds
    what it loaded weakly: a row one function reads is gone when that function returns, and the
    next ``get`` of it asks the database again (an offer's brief and its terms both read the
    brand)."""
    found = session.get(model, ident)
    if found is not None:
        session.info.setdefault(KEPT, {})[model, ident] = found
    return found


def new_row(model: type[SQLModel], **values) -> SimpleNamespace:
    """A row of ``model``'s table as its constructor would fill it (the defaults and default
    factories of the fields not given), as plain attributes, for :func:`insert_row`. A hot
    path that writes a row nothing reads back saves building the model (~0.3 ms for an
    offer's two dozen fields) and the unit of work's flush of it."""
    for name, field in model.model_fields.items():
        if name in values:
            continue
        if field.default_factory is not None:
            values[name] = field.default_factory()
        elif field.default is not PydanticUndefined:
            values[name] = field.default
        else:
            raise TypeError(f"{model.__name__}: {name} is required")
    return SimpleNamespace(**values)


def insert_row(session: Session, model: type[SQLModel], row: SimpleNamespace) -> None:
    """INSERT ``row`` (from :func:`new_row`) in this unit of work, now: a constraint it breaks
    raises here, as a flush would. A key the database numbers is left to it while unset."""
    statement, numbered = _insert_of(model)
    values = {k: v for k, v in vars(row).items() if v is not None or k not in numbered}
    session.execute(statement, [values])


@functools.cache
def _insert_of(model: type[SQLModel]) -> tuple:
    table = model.__table__
    numbered = table.autoincrement_column
    return insert(table), frozenset({numbered.key} if numbered is not None else ())


class UnitOfWorkRoute(APIRoute):
    """A route whose sync endpoint makes one trip to a worker thread, and commits there.

    FastAPI runs a sync endpoint in the thread pool, then, back on the event loop, sends its
    return value to the pool again to be checked against the response model; `get_session`
    would commit a trip later still. Each trip is a wait for a free thread and for the GIL among
    the busy ones, and meanwhile a SQLite writer keeps the one write lock that every other
    writer waits for. Here the endpoint is wrapped in a coroutine that runs it, and commits its
    unit of work, in one trip; the response is checked on the loop, as for any async route. A
    route that raises commits nothing.
    """

    def __init__(self, path: str, endpoint: Callable, **kwargs) -> None:
        super().__init__(path, _one_trip(endpoint), **kwargs)


def _one_trip(endpoint: Callable) -> Callable:
    if inspect.iscoroutinefunction(endpoint):
        return endpoint  # an async route that takes a session commits where it runs anyway
    parameters = get_typed_signature(endpoint).parameters
    name = next((n for n, p in parameters.items() if p.annotation == SessionDep), None)

    def run_then_commit(kwargs: dict):
        result = endpoint(**kwargs)
        if name is not None:
            kwargs[name].commit()
            kwargs[name].info[COMMITTED] = True
        return result

    from api.chain.client import ChainDep  # here: the chain client's module imports this one

    # A route that waits on the node must not hold a place among the busy ones.
    limited = all(p.annotation != ChainDep for p in parameters.values())

    @functools.wraps(endpoint)
    async def in_one_trip(**kwargs):
        limiter = _busy.get(id(asyncio.get_running_loop())) if limited else None
        return await to_thread.run_sync(run_then_commit, kwargs, limiter=limiter)

    return in_one_trip


# Route bodies running at once, per event loop (one per app being served). Under load, 32 bodies
# running in 32 threads fight over the GIL and each costs twice the CPU it costs alone; a few at a
# time, the rest waiting their turn on the loop, serve more and sooner. Routes that call the
# chain are not counted: they mostly wait on the node.
_busy: dict[int, CapacityLimiter] = {}


@contextmanager
def busy_routes(limit: int) -> Iterator[None]:
    """While it is open, at most ``limit`` sync route bodies that do not call the chain run at
    once on the running event loop."""
    key = id(asyncio.get_running_loop())
    _busy[key] = CapacityLimiter(limit)
    try:
        yield
    finally:
        _busy.pop(key, None)


def advisory_key(name: str) -> int:
    """The PostgreSQL advisory lock key of ``name`` (64 bits of its SHA-256)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def advisory_xact_lock(session: Session, *names: str) -> None:
    """On PostgreSQL, wait for the transaction-level advisory locks named ``names``, each in
    turn (in the order given), held to the end of the transaction; one statement takes them
    all. SQLite has one writer at a time already."""
    if names and session.get_bind().dialect.name == "postgresql":
        # A target list is evaluated left to right: the locks are taken in this order.
        calls = ", ".join(f"pg_advisory_xact_lock(:key{i})" for i in range(len(names)))
        keys = {f"key{i}": advisory_key(name) for i, name in enumerate(names)}
        session.execute(text(f"SELECT {calls}"), keys)  # noqa: S608 - only bound parameters


# Work to do once the unit of work has committed (and never if it rolls back), such as
# updating the in-memory matching index with what the database now holds.
def on_commit(session: Session, action: Callable[[], None]) -> None:
    session.info.setdefault("on_commit", []).append(action)


@event.listens_for(OrmSession, "after_commit")
def _run_on_commit(session: OrmSession) -> None:
    for action in session.info.pop("on_commit", []):
        action()


@event.listens_for(OrmSession, "after_rollback")
def _drop_on_rollback(session: OrmSession) -> None:
    session.info.pop("on_commit", None)
