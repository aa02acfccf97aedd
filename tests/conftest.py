"""Session-wide fixtures: one anvil node for the whole run, killed even when tests fail."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from web3 import Web3

from contracts.localchain import DEV_PRIVATE_KEYS, Anvil


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
