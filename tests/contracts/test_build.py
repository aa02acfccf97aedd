"""The committed artifacts match the sources, and the check notices every kind of staleness."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from contracts import build

TINY = """// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

contract Tiny {
    function larger(uint256 a, uint256 b) external pure returns (uint256) {
        return Math.max(a, b);
    }
}
"""


def test_committed_artifacts_are_up_to_date() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "contracts.build", "--check"],
        cwd=build.ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr


def test_committed_bytecode_is_what_the_sources_compile_to() -> None:
    assert build.check(recompile=True) == []


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A throwaway project (one tiny contract) sharing the real pinned node_modules."""
    (tmp_path / "node_modules").symlink_to(build.NODE_MODULES, target_is_directory=True)
    source_dir = tmp_path / "contracts" / "src"
    source_dir.mkdir(parents=True)
    (source_dir / "Tiny.sol").write_text(TINY)
    monkeypatch.setattr(build, "ROOT", tmp_path)
    monkeypatch.setattr(build, "NODE_MODULES", tmp_path / "node_modules")
    job = build.Job("production", source_dir, tmp_path / "contracts" / "artifacts")
    monkeypatch.setattr(build, "JOBS", (job,))
    return tmp_path


def test_build_is_deterministic_and_records_its_inputs(sandbox: Path) -> None:
    assert [p.name for p in build.build()] == ["Tiny.json"]
    assert build.build() == []  # a second run rewrites nothing
    artifact = json.loads((sandbox / "contracts/artifacts/Tiny.json").read_text())
    assert artifact["settings"] == build.COMPILER_SETTINGS
    assert artifact["compiler"]["npmVersion"] == build.npm_version("solc")
    assert artifact["compiler"]["version"].startswith("0.8.30+commit")
    assert set(artifact["sources"]) == {
        "contracts/src/Tiny.sol",
        "@openzeppelin/contracts/utils/math/Math.sol",
        "@openzeppelin/contracts/utils/math/SafeCast.sol",
        "@openzeppelin/contracts/utils/Panic.sol",
    }
    assert artifact["bytecode"].startswith("0x6080")
    assert str(sandbox) not in json.dumps(artifact)  # no machine paths
    assert build.check() == []


def test_check_names_stale_and_missing_artifacts(sandbox: Path, monkeypatch) -> None:
    build.build()
    source = sandbox / "contracts/src/Tiny.sol"
    source.write_text(TINY.replace("Math.max", "Math.min"))
    assert build.check() == [
        "contracts/artifacts/Tiny.json: source contracts/src/Tiny.sol changed since the build"
    ]
    source.write_text(TINY)
    (sandbox / "contracts/src/Extra.sol").write_text(TINY.replace("Tiny", "Extra"))
    assert build.check() == ["contracts/src/Extra.sol: no artifact (never built)"]
    build.build()
    assert build.check() == []

    monkeypatch.setattr(build, "COMPILER_SETTINGS", {**build.COMPILER_SETTINGS, "viaIR": True})
    assert len(build.check()) == 2 and all("other settings" in p for p in build.check())
    monkeypatch.undo()


def test_recompile_check_catches_edited_bytecode(sandbox: Path) -> None:
    build.build()
    path = sandbox / "contracts/artifacts/Tiny.json"
    artifact = json.loads(path.read_text())
    artifact["deployedBytecode"] = artifact["deployedBytecode"][:-2] + "00"
    path.write_text(json.dumps(artifact, indent=2, sort_keys=True) + "\n")
    assert build.check() == []  # hashes still match: only a recompile can tell
    assert build.check(recompile=True) == [
        "contracts/artifacts/Tiny.json: differs from a fresh compile"
    ]
    (sandbox / "contracts/artifacts/Orphan.json").write_text(path.read_text())
    assert "contracts/artifacts/Orphan.json: no longer produced" in build.check(recompile=True)
