"""The committed artifacts match the sources, and the check notices every kind of staleness."""

from __future__ import annotations

import json
import shutil
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


@pytest.fixture(scope="module")
def built_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throwaway project (one tiny contract), compiled once for the module."""
    root = tmp_path_factory.mktemp("project")
    (root / "contracts" / "src").mkdir(parents=True)
    (root / "contracts" / "src" / "Tiny.sol").write_text(TINY)
    with pytest.MonkeyPatch.context() as patch:
        _point_build_at(patch, root)
        build.build()
    return root


@pytest.fixture
def sandbox(built_sandbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of the built project, sharing the real pinned node_modules."""
    root = tmp_path / "project"
    shutil.copytree(built_sandbox, root, symlinks=True)
    _point_build_at(monkeypatch, root)
    return root


def _point_build_at(patch: pytest.MonkeyPatch, root: Path) -> None:
    if not (root / "node_modules").exists():
        (root / "node_modules").symlink_to(build.NODE_MODULES, target_is_directory=True)
    patch.setattr(build, "ROOT", root)
    patch.setattr(build, "NODE_MODULES", root / "node_modules")
    job = build.Job("production", root / "contracts" / "src", root / "contracts" / "artifacts")
    patch.setattr(build, "JOBS", (job,))


def test_build_is_deterministic_and_records_its_inputs(sandbox: Path) -> None:
    assert build.build() == []  # rebuilding the built sandbox rewrites nothing
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
    source = sandbox / "contracts/src/Tiny.sol"
    source.write_text(TINY.replace("Math.max", "Math.min"))
    assert build.check() == [
        "contracts/artifacts/Tiny.json: source contracts/src/Tiny.sol changed since the build"
    ]
    source.write_text(TINY)
    (sandbox / "contracts/src/Extra.sol").write_text(TINY.replace("Tiny", "Extra"))
    assert build.check() == ["contracts/src/Extra.sol: no artifact (never built)"]
    (sandbox / "contracts/src/Extra.sol").unlink()
    assert build.check() == []
    monkeypatch.setattr(build, "COMPILER_SETTINGS", {**build.COMPILER_SETTINGS, "viaIR": True})
    assert build.check() == [
        "contracts/artifacts/Tiny.json: compiled with other settings than COMPILER_SETTINGS"
    ]


def test_recompile_check_catches_edited_bytecode(sandbox: Path) -> None:
    path = sandbox / "contracts/artifacts/Tiny.json"
    artifact = json.loads(path.read_text())
    artifact["deployedBytecode"] = artifact["deployedBytecode"][:-2] + "00"
    path.write_text(json.dumps(artifact, indent=2, sort_keys=True) + "\n")
    assert build.check() == []  # hashes still match: only a recompile can tell
    (sandbox / "contracts/artifacts/Orphan.json").write_text(path.read_text())
    assert build.check(recompile=True) == [
        "contracts/artifacts/Orphan.json: no longer produced",
        "contracts/artifacts/Tiny.json: differs from a fresh compile",
    ]
