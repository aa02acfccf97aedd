"""Session-wide fixtures.

- one anvil node for the whole run, killed even when tests fail;
- a database per test, built through the Alembic migrations: on SQLite always, and on
  PostgreSQL too when TEST_DATABASE_URL is set (tests that use `database_url` run on both).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from web3 import Web3

from api.core.db import make_engine
from api.core.migrate import upgrade
from api.core.settings import Settings
from contracts.localchain import DEV_PRIVATE_KEYS, Anvil

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if TEST_DATABASE_URL else [])


@pytest.fixture(scope="session")
def anvil() -> Iterator[Anvil]:
    node = Anvil().start()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(scope="session")
def w3(anvil: Anvil) -> Web3:
    return Web3(Web3.HTTPProvider(anvil.rpc_url, request_kwargs={"timeout": 30}))


@pytest.fixture(scope="session")
def dev_keys() -> tuple[str, ...]:
    """anvil's funded development keys (10 accounts, 10,000 ETH each)."""
    return DEV_PRIVATE_KEYS


# Under pytest-xdist each worker process runs its share of the modules against its own
# PostgreSQL database (TEST_DATABASE_URL's, suffixed with the worker id), created on first use
# and dropped when the worker ends.
WORKER = os.environ.get("PYTEST_XDIST_WORKER")


def postgres_url() -> str:
    """TEST_DATABASE_URL as the app would read it (postgresql:// gets the psycopg 3 driver)."""
    url = sa.make_url(Settings(database_url=TEST_DATABASE_URL, _env_file=None).database_url)
    if WORKER:
        url = url.set(database=f"{url.database}_{WORKER}")
    return url.render_as_string(hide_password=False)


def postgres_admin_url() -> str:
    """TEST_DATABASE_URL's own database, always there: where scratch databases are made."""
    return Settings(database_url=TEST_DATABASE_URL, _env_file=None).database_url


def _admin(statement: str) -> None:
    """Run ``statement`` outside a transaction, on TEST_DATABASE_URL's own database."""
    engine = sa.create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(sa.text(statement))
    finally:
        engine.dispose()


def _worker_database(create: bool) -> None:
    name = sa.make_url(postgres_url()).database
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if create:
        _admin(f'CREATE DATABASE "{name}"')


def pytest_sessionfinish() -> None:
    if TEST_DATABASE_URL and WORKER:
        _worker_database(create=False)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once; each test gets a copy (same schema, no shared rows)."""
    path = tmp_path_factory.mktemp("db") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_migrated() -> str:
    if WORKER:
        _worker_database(create=True)
    url = postgres_url()
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade(url)
    return url


def _truncate_all(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        tables = connection.execute(
            sa.text(
                "SELECT tablename FROM pg_tables WHERE schemaname='public' "
                "AND tablename <> 'alembic_version'"
            )
        ).scalars()
        names = ", ".join(f'"{name}"' for name in tables)
        if names:
            connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "collab.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_migrated")
    _truncate_all(url)
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    try:
        yield engine
    finally:
        engine.dispose()


def pytest_report_header() -> str:
    where = "SQLite and PostgreSQL (TEST_DATABASE_URL)" if TEST_DATABASE_URL else "SQLite only"
    return f"database tests run on: {where}"


def pytest_terminal_summary(terminalreporter) -> None:
    """Say how many database tests passed on each backend, so a run shows both."""
    passed = terminalreporter.stats.get("passed", [])
    counts = {
        backend: sum(1 for report in passed if f"[{backend}" in report.nodeid)
        for backend in BACKENDS
    }
    summary = ", ".join(f"{backend}: {count}" for backend, count in counts.items())
    terminalreporter.write_line(f"database tests passed per backend: {summary}")
