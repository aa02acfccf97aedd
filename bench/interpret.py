"""Cost of reading free phrases: embedding one profile's phrases and one brief on CPU.

Run: ``python bench/interpret.py`` (``--runs 300``). Each figure is the p50/p95 of one call
over the runs, next to a baseline measured in the same run on the same texts: the lexicon
tagger (``tag_text``), which every profile and brief already paid for before embeddings.
The model loads and the concept matrix is built once, before timing (a server pays that once
per process, reported apart).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

# One BLAS thread, as the server's embedding calls use (matching.interpret.EMBED_THREADS).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matching import embed, interpret, load_taxonomy, tag_text  # noqa: E402
from matching.interpret import _concept_vectors  # noqa: E402

PROFILE = [
    "cause animale",
    "no palm oil",
    "sans test sur les animaux",
    "football pour tous",
    "finances perso",
    "pas de fast fashion",
]
BRIEF = (
    "Lancement de notre gamme de cosmétiques véganes et non testés sur les animaux. "
    "Nous cherchons des créatrices engagées pour la cause animale et le zéro déchet, "
    "pour trois vidéos TikTok et un post Instagram avant la fin du mois."
)
BRIEF_TITLE = "Cosmétiques véganes, sans cruauté"


def _timed(fn, runs: int) -> np.ndarray:
    out = np.empty(runs)
    for i in range(runs):
        start = time.perf_counter()
        fn()
        out[i] = time.perf_counter() - start
    return out * 1000.0


def _row(name: str, ms: np.ndarray, base: np.ndarray) -> str:
    p50, p95 = np.percentile(ms, [50, 95])
    b50, b95 = np.percentile(base, [50, 95])
    return f"| {name:<34} | {p50:8.3f} | {p95:8.3f} | {b50:8.3f} | {b95:8.3f} | {p50 / b50:7.1f}x |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    runs = parser.parse_args().runs
    taxonomy = load_taxonomy()

    start = time.perf_counter()
    embed(["warm up"])
    load_s = time.perf_counter() - start
    start = time.perf_counter()
    for kind in ("cause", "practice"):
        _concept_vectors(taxonomy, kind)
    matrix_s = time.perf_counter() - start
    print(f"model load {load_s * 1000:.0f} ms; concept matrix ({len(taxonomy)} concepts) ", end="")
    print(f"{matrix_s * 1000:.0f} ms; both once per process")

    brief = [BRIEF_TITLE, BRIEF]
    cases = [
        (
            "profile: embed 6 phrases (1 batch)",
            lambda: embed(PROFILE),
            lambda: [tag_text(p) for p in PROFILE],
        ),
        (
            "profile: interpret 6 phrases",
            lambda: [interpret(p, role="practice") for p in PROFILE],
            lambda: [tag_text(p) for p in PROFILE],
        ),
        (
            "brief: embed title + description",
            lambda: embed(brief),
            lambda: tag_text(" ".join(brief)),
        ),
    ]
    print(f"\n{runs} runs, ms per call; baseline: tag_text on the same texts")
    header = ("case", "p50 ms", "p95 ms", "base p50", "base p95", "ratio")
    print(f"| {header[0]:<34} | " + " | ".join(f"{h:>8}" for h in header[1:]) + " |")
    print("|" + "-" * 36 + "|" + "---------:|" * 5)
    for name, fn, baseline in cases:
        fn()
        baseline()
        print(_row(name, _timed(fn, runs), _timed(baseline, runs)))


if __name__ == "__main__":
    main()
