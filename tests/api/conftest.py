from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings

OPERATOR_KEY = "operator-test-key-0123456789"


@pytest.fixture
def settings(database_url: str, anvil) -> Settings:
    return Settings(
        database_url=database_url,
        chain_rpc_url=anvil.rpc_url,
        operator_api_key=OPERATOR_KEY,
        secret_key="test-secret-key-0123456789",
        indexer_enabled=False,
        _env_file=None,
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client
