"""Pooled connections to PostgreSQL: pinged after resting in the pool, not on every checkout."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from api.core import db
from tests.conftest import TEST_DATABASE_URL

pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL, reason="SQLite has no server to lose")

SELECT_PID = sa.text("SELECT pg_backend_pid()")


@pytest.fixture
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.2)
    engine = db.make_engine(request.getfixturevalue("postgres_migrated"), pool_size=1)
    pings = []
    ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda conn: pings.append(1) or ping(conn))
    engine.pings = pings
    yield engine
    engine.dispose()


def _pid(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(SELECT_PID).scalar_one()


def test_a_connection_back_in_use_at_once_is_not_pinged(engine) -> None:
    first = _pid(engine)
    assert [_pid(engine) for _ in range(5)] == [first] * 5
    assert engine.pings == []  # no round trip added to a busy pool's requests


def test_an_idle_connection_the_server_cut_is_replaced_before_it_is_used(engine) -> None:
    first = _pid(engine)
    admin = sa.create_engine(engine.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:  # as a restart or a proxy would, under the pool's feet
        connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    admin.dispose()
    time.sleep(0.3)  # longer than IDLE_PING_SECONDS: the next checkout pings
    second = _pid(engine)  # no error: the ping failed and the pool connected again
    assert second != first
    assert engine.pings
