"""Contract fixtures: one deployment per session, every test inside an anvil snapshot.

The session chain is shared with other test packages, so contracts are deployed fresh here and
each test is wrapped in ``evm_snapshot``/``evm_revert``; helpers live in ``tests.contracts.env``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from web3 import Web3

from tests.contracts.env import Env, deploy_env, revert, snapshot


@pytest.fixture(scope="session")
def contracts_env(w3: Web3, dev_keys: tuple[str, ...]) -> Env:
    return deploy_env(w3, dev_keys)


@pytest.fixture
def env(contracts_env: Env) -> Iterator[Env]:
    """The session deployment, with every change a test makes rolled back afterwards."""
    snapshot_id = snapshot(contracts_env.w3)
    try:
        yield contracts_env
    finally:
        revert(contracts_env.w3, snapshot_id)
