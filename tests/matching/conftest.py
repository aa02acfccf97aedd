from __future__ import annotations

import pytest

from matching import MatchIndex, load_taxonomy
from tests.matching import devset


@pytest.fixture(scope="session")
def taxonomy():
    return load_taxonomy()


@pytest.fixture(scope="session")
def dev_index() -> MatchIndex:
    return devset.build_index()
