"""Compile the Solidity sources with the pinned solc-js and keep the committed artifacts honest.

    python -m contracts.build                        compile and (re)write contracts/artifacts/
    python -m contracts.build --check                fast check, exit 1 naming what is stale
    python -m contracts.build --check --recompile    also compile in memory and compare bytes

Two compilation jobs share the same settings: production sources (``contracts/src``) write to
``contracts/artifacts/``, test-only sources (``contracts/test_src``) to
``contracts/artifacts/test/``.
They are compiled apart so test contracts can never leak into (or perturb) production bytecode.

The fast check does not run the compiler (solc-js takes tens of seconds): an artifact is fresh when
the sha256 of every source file that went into it (project and OpenZeppelin files, as listed by the
compiler's metadata) matches the file on disk, its settings equal ``COMPILER_SETTINGS`` and its
compiler version equals the installed ``solc`` npm package. Any edit to a source, an import, the
settings or the pinned compiler therefore makes the check fail. ``--recompile`` proves the stronger
claim that the committed bytecode is exactly what the sources compile to.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
ARTIFACTS_DIR = ROOT / "contracts" / "artifacts"

# The one place where compiler settings live. Changing anything here makes `--check` fail until
# the artifacts are rebuilt. Legacy codegen (no viaIR) keeps solc-js compile time low; the
# optimizer runs value favours cheap calls over small deployment, since the escrow is deployed
# once per chain and called for every deal.
COMPILER_SETTINGS: dict[str, Any] = {
    "evmVersion": "cancun",
    "optimizer": {"enabled": True, "runs": 10_000},
    "viaIR": False,
}


@dataclass(frozen=True)
class Job:
    name: str
    source_dir: Path
    output_dir: Path


JOBS = (
    Job("production", ROOT / "contracts" / "src", ARTIFACTS_DIR),
    Job("test", ROOT / "contracts" / "test_src", ARTIFACTS_DIR / "test"),
)

# Node side: read a standard-JSON input on stdin, compile in-process with the bundled soljson
# (never a downloaded compiler), resolve imports only from node_modules and the project itself.
_NODE_COMPILE = r"""
const fs = require('fs');
const path = require('path');
const solc = require('solc');
const root = process.cwd();
const allowed = [path.join(root, 'node_modules', '@openzeppelin') + path.sep,
                 path.join(root, 'contracts') + path.sep];
function findImports(unit) {
  const candidates = [path.join(root, 'node_modules', unit), path.join(root, unit)];
  for (const file of candidates) {
    const resolved = path.resolve(file);
    if (allowed.some((prefix) => resolved.startsWith(prefix)) && fs.existsSync(resolved)) {
      return { contents: fs.readFileSync(resolved, 'utf8') };
    }
  }
  return { error: 'import not found: ' + unit };
}
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const output = solc.compile(input, { import: findImports });
  process.stdout.write(JSON.stringify({ version: solc.version(), output: JSON.parse(output) }));
});
"""


class BuildError(RuntimeError):
    pass


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def npm_version(package: str) -> str:
    manifest = NODE_MODULES / package / "package.json"
    if not manifest.exists():
        raise BuildError(f"{package} is not installed in node_modules; run `npm ci`")
    return json.loads(manifest.read_text())["version"]


def source_unit_path(unit: str) -> Path:
    """Where a solc source unit name lives on disk (project path or an npm package path)."""
    if unit.startswith("@"):
        return NODE_MODULES / unit
    return ROOT / unit


def project_sources(job: Job) -> list[Path]:
    return sorted(job.source_dir.rglob("*.sol"))


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _artifact_path(job: Job, contract_name: str) -> Path:
    return job.output_dir / f"{contract_name}.json"


def compile_job(job: Job) -> dict[str, dict[str, Any]]:
    """Compile one job and return ``{artifact file name: artifact dict}``."""
    sources = project_sources(job)
    if not sources:
        return {}
    standard_input = {
        "language": "Solidity",
        "sources": {_relative(path): {"content": path.read_text()} for path in sources},
        "settings": {
            **COMPILER_SETTINGS,
            "outputSelection": {
                "*": {
                    "*": [
                        "abi",
                        "evm.bytecode.object",
                        "evm.deployedBytecode.object",
                        "metadata",
                        "storageLayout",
                    ]
                }
            },
        },
    }
    completed = subprocess.run(
        ["node", "-e", _NODE_COMPILE],
        input=json.dumps(standard_input),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if completed.returncode != 0:
        raise BuildError(f"solc-js failed: {completed.stderr.strip()}")
    result = json.loads(completed.stdout)
    output = result["output"]
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise BuildError("\n".join(e.get("formattedMessage", e["message"]) for e in errors))
    for warning in output.get("errors", []):
        # Warnings about audited dependencies (OpenZeppelin) are noise here; ours are shown.
        if not warning.get("sourceLocation", {}).get("file", "").startswith("@"):
            print(warning.get("formattedMessage", warning["message"]).rstrip(), file=sys.stderr)

    compiler = {"name": "solc-js", "npmVersion": npm_version("solc"), "version": result["version"]}
    openzeppelin_version = npm_version("@openzeppelin/contracts")
    artifacts: dict[str, dict[str, Any]] = {}
    project_units = {_relative(path) for path in sources}
    for unit, contracts in sorted(output.get("contracts", {}).items()):
        if unit not in project_units:
            continue  # OpenZeppelin contracts are dependencies, not our artifacts
        for contract_name, compiled in sorted(contracts.items()):
            metadata = json.loads(compiled["metadata"])
            dependency_units = sorted(metadata["sources"])
            artifact = {
                "contractName": contract_name,
                "sourceName": unit,
                "abi": compiled["abi"],
                "bytecode": "0x" + compiled["evm"]["bytecode"]["object"],
                "deployedBytecode": "0x" + compiled["evm"]["deployedBytecode"]["object"],
                "compiler": compiler,
                "settings": COMPILER_SETTINGS,
                "openzeppelinVersion": openzeppelin_version,
                "sources": {dep: sha256_file(source_unit_path(dep)) for dep in dependency_units},
                "storageLayout": compiled["storageLayout"],
            }
            file_name = f"{contract_name}.json"
            if file_name in artifacts:
                raise BuildError(f"two contracts named {contract_name} in job {job.name}")
            artifacts[file_name] = artifact
    return artifacts


def render(artifact: dict[str, Any]) -> str:
    return json.dumps(artifact, indent=2, sort_keys=True) + "\n"


def build() -> list[Path]:
    written: list[Path] = []
    for job in JOBS:
        artifacts = compile_job(job)
        job.output_dir.mkdir(parents=True, exist_ok=True)
        for stale in sorted(job.output_dir.glob("*.json")):
            if stale.name not in artifacts:
                stale.unlink()
        for file_name, artifact in artifacts.items():
            path = job.output_dir / file_name
            text = render(artifact)
            if not path.exists() or path.read_text() != text:
                path.write_text(text)
                written.append(path)
    return written


def _load(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _artifact_problems(path: Path, solc_version: str) -> tuple[list[str], str | None]:
    """What is wrong with one artifact on disk, and the source unit it covers."""
    name = _relative(path)
    artifact = _load(path)
    if artifact is None:
        return [f"{name}: unreadable artifact"], None
    problems = []
    if artifact.get("settings") != COMPILER_SETTINGS:
        problems.append(f"{name}: compiled with other settings than COMPILER_SETTINGS")
    if artifact.get("compiler", {}).get("npmVersion") != solc_version:
        problems.append(f"{name}: compiled by another solc than the pinned {solc_version}")
    for unit, digest in sorted(artifact.get("sources", {}).items()):
        on_disk = source_unit_path(unit)
        if not on_disk.exists():
            problems.append(f"{name}: source {unit} no longer exists")
        elif sha256_file(on_disk) != digest:
            problems.append(f"{name}: source {unit} changed since the build")
    return problems, artifact.get("sourceName", "")


def _recompile_problems(job, artifact_files: list[Path]) -> list[str]:
    """Differences between the artifacts on disk and a fresh in-memory compile."""
    problems = []
    fresh = compile_job(job)
    on_disk_names = {path.name for path in artifact_files}
    for file_name, artifact in fresh.items():
        path = job.output_dir / file_name
        if file_name not in on_disk_names:
            problems.append(f"{_relative(path)}: missing")
        elif path.read_text() != render(artifact):
            problems.append(f"{_relative(path)}: differs from a fresh compile")
    for file_name in sorted(on_disk_names - set(fresh)):
        problems.append(f"{_relative(job.output_dir / file_name)}: no longer produced")
    return problems


def check(*, recompile: bool = False) -> list[str]:
    """Return one human-readable problem per stale, missing or orphaned artifact (empty = fresh)."""
    problems: list[str] = []
    solc_version = npm_version("solc")
    for job in JOBS:
        artifact_files = sorted(job.output_dir.glob("*.json")) if job.output_dir.exists() else []
        covered_units: set[str] = set()
        for path in artifact_files:
            found, unit = _artifact_problems(path, solc_version)
            problems += found
            if unit is not None:
                covered_units.add(unit)
        for source in project_sources(job):
            if _relative(source) not in covered_units:
                problems.append(f"{_relative(source)}: no artifact (never built)")
        if recompile:
            problems += _recompile_problems(job, artifact_files)
    return sorted(set(problems))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m contracts.build", description=__doc__)
    parser.add_argument("--check", action="store_true", help="verify artifacts, write nothing")
    parser.add_argument(
        "--recompile", action="store_true", help="with --check: compile in memory and compare"
    )
    args = parser.parse_args(argv)
    try:
        if args.check:
            problems = check(recompile=args.recompile)
            for problem in problems:
                print(f"stale: {problem}", file=sys.stderr)
            if problems:
                print("run `python -m contracts.build` and commit the artifacts", file=sys.stderr)
                return 1
            print("contract artifacts are up to date")
            return 0
        written = build()
    except BuildError as exc:
        print(f"build failed: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {_relative(path)}")
    if not written:
        print("contract artifacts already up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
