"""End-to-end: the API served by its own process (`collab serve`), a chain of its own, HTTP
between them, wallets signing with eth-account. Each test gets a fresh stack, because tests
here move chain time and kill processes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from web3 import Web3

from contracts import bindings
from contracts.localchain import DEV_PRIVATE_KEYS, Anvil, free_port
from tests.conftest import BACKENDS, postgres_admin_url

OPERATOR_KEY = "e2e-operator-key-0123456789-abcdefghij"
SECRET_KEY = "e2e-secret-key-0123456789"
# Bearer headers of the seeded demo accounts, read from what `collab serve` prints at each start
# (their keys are new at every start): filled in place, so importers always see the latest.
BRAND: dict[str, str] = {}
LUNA: dict[str, str] = {}
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Stack:
    tmp: Path
    anvil: Anvil
    w3: Web3
    deployment: bindings.Deployment
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    database_url: str = ""

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "CHAIN_RPC_URL": self.anvil.rpc_url,
            "CHAIN_ID": "31337",
            "ESCROW_ADDRESS": self.deployment.escrow_address,
            "SPLITTER_FACTORY_ADDRESS": self.deployment.splitter_factory_address,
            "STABLECOIN_ADDRESS": self.deployment.stablecoin_address,
            "INDEXER_START_BLOCK": str(self.deployment.start_block),
            "OPERATOR_API_KEY": OPERATOR_KEY,
            "SECRET_KEY": SECRET_KEY,
            "SEED_DEMO": "true",
            "PLATFORM_FEE_BPS": "100",
            "INDEXER_POLL_SECONDS": "0.2",
            "CHAIN_TIMEOUT_SECONDS": "2",
            "PORT": str(self.port),
            "LOG_LEVEL": "WARNING",
        }

    def start_api(self, timeout: float = 180.0) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve"],
            cwd=self.tmp,
            env=self.env(),
            stdout=open(self.tmp / "api.out", "wb"),  # noqa: SIM115 - the process owns it
            stderr=open(self.tmp / "api.log", "ab"),  # noqa: SIM115 - the process owns it
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError((self.tmp / "api.log").read_text())
            try:
                if httpx.get(f"{self.base_url}/health", timeout=1).status_code == 200:
                    self._read_demo_keys()
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the API did not start in {timeout:.0f} s")

    def _read_demo_keys(self) -> None:
        printed = (self.tmp / "api.out").read_text()
        for headers, name in ((BRAND, "Douce Nature"), (LUNA, "Luna Verde")):
            key = re.search(rf" {name} +api_key=(\S+)", printed).group(1)
            headers.clear()
            headers["Authorization"] = f"Bearer {key}"

    def kill_api(self, sig: int = signal.SIGKILL) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=30)
        self.process = None

    def stop_chain(self) -> None:
        self.anvil.stop()  # SIGTERM: anvil writes its state file first

    def start_chain(self) -> None:
        self.anvil.start()


@contextmanager
def scratch_database(backend: str, tmp_path: Path) -> Iterator[str]:
    """An empty database the served API migrates itself at start-up."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'collab.db'}"
        return
    admin = sa.create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")
    name = f"collab_e2e_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def stack(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stack]:
    anvil = Anvil(state_path=tmp_path / "anvil-state.json").start()
    try:
        w3 = Web3(Web3.HTTPProvider(anvil.rpc_url, request_kwargs={"timeout": 30}))
        deployment = bindings.deploy_local(w3, DEV_PRIVATE_KEYS[0])
        with scratch_database(request.param, tmp_path) as database_url:
            stack = Stack(tmp=tmp_path, anvil=anvil, w3=w3, deployment=deployment)
            stack.database_url = database_url
            stack.start_api()
            try:
                yield stack
            finally:
                stack.kill_api(signal.SIGTERM)
    finally:
        anvil.stop()


@pytest.fixture
def http(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        yield client
