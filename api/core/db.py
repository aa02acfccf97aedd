"""Engine, metadata naming convention and the one-unit-of-work-per-request session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, create_engine

from api.core.metadata import NAMING_CONVENTION  # noqa: F401  (also fixes the MetaData)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the indexer write while requests read; busy_timeout waits instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


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
            connect_args={"check_same_thread": False, "timeout": 30},
            # One connection per worker thread: WAL readers never wait for each other.
            pool_size=20,
            max_overflow=20,
            **kwargs,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(database_url, pool_pre_ping=True, pool_size=10, max_overflow=20, **kwargs)


def get_session(request: Request) -> Iterator[Session]:
    """One unit of work per request: commit when the route returns, roll back when it raises.

    Used with scope="function" so the commit happens before the response is sent: a client
    never sees a 201 for a row that is not committed yet (or that failed to commit).
    """
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        # For a change of API key or wallet to clear the cached principals once it commits
        # (api.core.principals.forget_principal).
        session.info["principals"] = request.app.state.principals
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


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
