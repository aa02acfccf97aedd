from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.core.settings import Settings
from tests.api.receiver import Receiver

OPERATOR_KEY = "operator-test-key-0123456789"


@pytest.fixture
def settings(database_url: str, anvil) -> Settings:
    return Settings(
        database_url=database_url,
        chain_rpc_url=anvil.rpc_url,
        operator_api_key=OPERATOR_KEY,
        secret_key="test-secret-key-0123456789",
        indexer_enabled=False,
        worker_enabled=False,
        _env_file=None,
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture(scope="session")
def deals_chain():
    """A chain of its own for deal flows: they move time, which other tests must not see."""
    from web3 import Web3

    from contracts import bindings
    from contracts.localchain import DEV_PRIVATE_KEYS, Anvil

    node = Anvil().start()
    try:
        w3 = Web3(Web3.HTTPProvider(node.rpc_url, request_kwargs={"timeout": 30}))
        deployment = bindings.deploy_local(w3, DEV_PRIVATE_KEYS[0])
        yield node, w3, deployment
    finally:
        node.stop()


@pytest.fixture
def chain(deals_chain):
    """The deals chain, rolled back after each test (time included)."""
    from tests.contracts.env import revert, snapshot

    node, w3, deployment = deals_chain
    snapshot_id = snapshot(w3)
    try:
        yield node, w3, deployment
    finally:
        revert(w3, snapshot_id)


@pytest.fixture
def deal_settings(database_url: str, chain) -> Settings:
    node, w3, deployment = chain
    return Settings(
        database_url=database_url,
        chain_rpc_url=node.rpc_url,
        escrow_address=deployment.escrow_address,
        splitter_factory_address=deployment.splitter_factory_address,
        stablecoin_address=deployment.stablecoin_address,
        indexer_start_block=deployment.start_block,
        operator_api_key=OPERATOR_KEY,
        secret_key="test-secret-key-0123456789",
        platform_fee_bps=100,
        indexer_enabled=False,
        worker_enabled=False,
        _env_file=None,
    )


@pytest.fixture
def deal_client(deal_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(deal_settings)) as client:
        yield client


@pytest.fixture
def wallets(dev_keys):
    from tests.api.deals import Wallets

    return Wallets.from_keys(dev_keys)


@pytest.fixture
def operator(deal_client):
    from tests.factories import Actor

    return Actor(deal_client, {"id": "operator", "api_key": OPERATOR_KEY})


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on loopback (see tests/api/receiver.py), closed after the test."""
    receiver = Receiver()
    try:
        yield receiver
    finally:
        receiver.close()
