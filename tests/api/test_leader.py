"""One indexer and one webhook worker across processes: the leader lock (PostgreSQL only; on
SQLite `collab serve` runs one process and the loops run as they always did)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.app import create_app
from api.core.db import make_engine
from api.core.settings import ROOT, Settings
from api.kit.background import start_loop
from api.kit.leader import as_leader, lock_key
from api.webhooks.worker import LEADER_ROLE as WEBHOOK_ROLE
from tests.conftest import TEST_DATABASE_URL

pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL, reason="leader locks are PostgreSQL's")


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("postgres_migrated")


@pytest.fixture
def role() -> str:
    return f"test role {uuid.uuid4()}"  # no test sees another's lock


def wait_until(condition: Callable[[], object], what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)


def holders(url: str, role: str) -> list[int]:
    """Backend pids holding the role's lock in this database."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return list(
                connection.execute(
                    sa.text(
                        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                        "AND objid = :key AND database = "
                        "(SELECT oid FROM pg_database WHERE datname = current_database())"
                    ),
                    {"key": lock_key(role)},
                ).scalars()
            )
    finally:
        engine.dispose()


class Runs:
    """Which contenders' loops ran, in order, and the most that ever ran at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.entered: list[int] = []
        self.left: list[int] = []

    def loop_of(self, contender: int):
        def loop(term: threading.Event, _poll: float) -> None:
            with self._lock:
                self.running += 1
                self.most = max(self.most, self.running)
                self.entered.append(contender)
            term.wait()
            with self._lock:
                self.running -= 1
                self.left.append(contender)

        return loop


@pytest.fixture
def contenders(pg_url: str, role: str) -> Iterator[tuple[Runs, list]]:
    """Two contenders for one role, each with its own engine (as two processes have)."""
    runs = Runs()
    engines = [make_engine(pg_url) for _ in range(2)]
    loops = [
        start_loop(
            as_leader(runs.loop_of(i), engine=engine, role=role, retry_seconds=0.1), 0.1, f"c{i}"
        )
        for i, engine in enumerate(engines)
    ]
    try:
        yield runs, loops
    finally:
        for loop in loops:
            loop.halt()
        for engine in engines:
            engine.dispose()


def test_of_two_contenders_one_runs_and_the_other_takes_over_when_it_stops(
    contenders, pg_url: str, role: str
) -> None:
    runs, loops = contenders
    wait_until(lambda: runs.entered, "a leader")
    time.sleep(1.0)  # the other tries ten times meanwhile
    leader = runs.entered[0]
    assert runs.entered == [leader]
    assert len(holders(pg_url, role)) == 1

    loops[leader].halt()
    wait_until(lambda: len(runs.entered) == 2, "the other takes over")
    assert runs.entered == [leader, 1 - leader]
    assert runs.most == 1
    assert len(holders(pg_url, role)) == 1


def test_a_leader_whose_connection_dies_steps_down(contenders, pg_url: str, role: str) -> None:
    runs, _ = contenders
    wait_until(lambda: runs.entered, "a leader")
    [pid] = holders(pg_url, role)
    admin = sa.create_engine(pg_url)
    with admin.connect() as connection:
        connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()
    leader = runs.entered[0]
    # It notices at its next check; meanwhile the other may already lead (the indexer's
    # per-step lock and the webhook leases keep such an overlap harmless).
    wait_until(lambda: runs.left == [leader], "the cut-off leader steps down")
    wait_until(lambda: len(runs.entered) == 2, "a new leader (either contender)")
    assert runs.running == 1
    assert len(holders(pg_url, role)) == 1


class Process:
    """A real process whose output lines are collected as they come."""

    def __init__(self, argv: list[str], env: dict | None = None) -> None:
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.strip())

    def said(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(20)


def test_when_the_leading_process_is_killed_another_process_takes_over(
    pg_url: str, role: str
) -> None:
    argv = [sys.executable, "-m", "tests.api.leader_contender", pg_url, role]
    processes = [Process(argv), Process(argv)]
    try:
        wait_until(lambda: any(p.said("leading") for p in processes), "a leading process")
        time.sleep(1.0)  # the other tries five times meanwhile
        leading = [p for p in processes if p.said("leading")]
        assert len(leading) == 1
        [leader] = leading
        [other] = [p for p in processes if p is not leader]

        leader.stop(signal.SIGKILL)  # no goodbye: only its closed connection frees the lock
        wait_until(lambda: other.said("leading"), "the other process takes over")
        assert len(holders(pg_url, role)) == 1
    finally:
        for process in processes:
            process.stop(signal.SIGKILL)


def test_collab_worker_waits_while_an_api_process_runs_the_webhook_worker(
    pg_url: str, anvil
) -> None:
    settings = Settings(
        database_url=pg_url,
        chain_rpc_url=anvil.rpc_url,
        secret_key="test-secret-key-0123456789",
        indexer_enabled=False,
        worker_enabled=True,
        _env_file=None,
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"DATABASE_URL": pg_url, "LOG_LEVEL": "INFO", "PYTHONPATH": str(ROOT)}
    worker = None
    try:
        with TestClient(create_app(settings)):
            wait_until(lambda: holders(pg_url, WEBHOOK_ROLE), "the API runs the webhook worker")
            [api_pid] = holders(pg_url, WEBHOOK_ROLE)
            worker = Process([sys.executable, "-m", "api.cli", "worker"], env)
            wait_until(lambda: worker.said("delivering webhooks"), "collab worker started")
            time.sleep(1.0)  # it has tried at least once
            assert not worker.said("now runs the webhook worker")
            assert holders(pg_url, WEBHOOK_ROLE) == [api_pid]
        # The API stopped: its worker's lock went with it, and `collab worker` takes over.
        wait_until(lambda: worker.said("now runs the webhook worker"), "collab worker leads")
        [worker_pid] = holders(pg_url, WEBHOOK_ROLE)
        assert worker_pid != api_pid
    finally:
        if worker is not None:
            worker.stop()


def test_collab_serve_with_two_workers_runs_one_indexer_and_one_webhook_worker(
    pg_url: str, chain
) -> None:
    import httpx

    from api.chain.indexer import LEADER_ROLE as INDEXER_ROLE
    from contracts.localchain import free_port

    node, _, deployment = chain
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "CHAIN_"))}
    env |= {
        "DATABASE_URL": pg_url,
        "CHAIN_RPC_URL": node.rpc_url,
        "ESCROW_ADDRESS": deployment.escrow_address,
        "SPLITTER_FACTORY_ADDRESS": deployment.splitter_factory_address,
        "STABLECOIN_ADDRESS": deployment.stablecoin_address,
        "INDEXER_START_BLOCK": str(deployment.start_block),
        "PORT": str(port),
        "LOG_LEVEL": "INFO",
        "PYTHONPATH": str(ROOT),
    }
    server = Process([sys.executable, "-m", "api.cli", "serve", "--workers", "2"], env)
    try:
        started = lambda: sum("Application startup complete" in line for line in server.lines)  # noqa: E731
        wait_until(lambda: started() == 2, "two workers started", seconds=180)
        wait_until(
            lambda: holders(pg_url, INDEXER_ROLE) and holders(pg_url, WEBHOOK_ROLE),
            "an indexer and a webhook worker",
        )
        time.sleep(1.0)  # the other worker has tried meanwhile
        for role in (INDEXER_ROLE, WEBHOOK_ROLE):
            assert sum(f"now runs the {role}" in line for line in server.lines) == 1
            assert len(holders(pg_url, role)) == 1
        health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=10).json()
        assert health["status"] == "ok"
        assert health["database"]["dialect"] == "postgresql"
    finally:
        server.stop(signal.SIGINT)
