"""Compiled contract artifacts (``python -m contracts.build`` writes them)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

ARTIFACTS_DIR = Path(__file__).resolve().parent.parent / "artifacts"
TEST_ARTIFACTS_DIR = ARTIFACTS_DIR / "test"


@cache
def load_artifact(contract_name: str) -> dict[str, Any]:
    """A compiled artifact by contract name (production first, then test-only contracts)."""
    for directory in (ARTIFACTS_DIR, TEST_ARTIFACTS_DIR):
        path = directory / f"{contract_name}.json"
        if path.exists():
            return json.loads(path.read_text())
    raise FileNotFoundError(f"no artifact for {contract_name}; run `python -m contracts.build`")


def abi_of(contract_name: str) -> list[dict[str, Any]]:
    return load_artifact(contract_name)["abi"]
