"""SQLite writers in one process queue on a lock, taken at the first write of a transaction and
handed on when it ends, however it ends."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from api.core.db import make_engine


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE t (n INTEGER)"))
    yield engine
    engine.dispose()


@pytest.mark.parametrize("end", ["commit", "rollback", "close"])
def test_the_lock_is_held_from_the_first_write_to_the_end(engine, end) -> None:
    lock = engine.writers._lock
    connection = engine.connect()
    connection.execute(sa.text("SELECT count(*) FROM t"))
    assert not lock.locked()  # reading takes nothing
    connection.execute(sa.text("INSERT INTO t VALUES (1)"))
    assert lock.locked()
    connection.execute(sa.text("UPDATE t SET n = 2"))  # the same transaction: taken once
    getattr(connection, end)()
    assert not lock.locked()
    connection.close()
    assert not lock.locked()


def test_a_second_writer_waits_for_the_first_to_commit(engine) -> None:
    first = engine.connect()
    first.execute(sa.text("INSERT INTO t VALUES (1)"))
    wrote = threading.Event()

    def second() -> None:
        with engine.begin() as connection:
            connection.execute(sa.text("INSERT INTO t VALUES (2)"))
            wrote.set()

    thread = threading.Thread(target=second)
    thread.start()
    assert not wrote.wait(0.3)
    first.commit()
    thread.join(10)
    assert wrote.is_set()
    first.close()
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM t")).scalar_one() == 2


def test_connections_read_through_a_memory_map_and_the_warmest_is_reused(engine) -> None:
    """Every connection reads the operating system's cached pages (no page cache of its own
    to fill), and the pool hands out the connection given back last."""
    first, second = engine.connect(), engine.connect()
    assert first.exec_driver_sql("PRAGMA mmap_size").scalar() > 0
    warm = first.connection.dbapi_connection
    first.close()
    second.close()  # given back last
    again = engine.connect()
    assert again.connection.dbapi_connection is not warm
    again.close()
