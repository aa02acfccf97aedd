"""Matching speed: build time, memory per creator, query latency against a numpy floor.

Run: ``python bench/matching.py`` (sizes 10k, 100k, 1M) or ``--sizes 10000,100000``.
Synthetic creators and briefs are seeded, so two runs measure the same work.
The floor is ``q @ M`` over the index's own value-credit matrix (causes x creators) plus
``m @ E`` over its meaning matrix (64 x creators, given to the floor already in float32): the
memory-bound cost of touching every
creator's features once. Creators and briefs carry random meaning vectors (unit, int8), so the
affinity pass is measured as the API runs it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

# One BLAS thread: the floor and the queries then measure the same single-core work, and a
# busy machine does not turn BLAS thread hand-offs into the measurement.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matching import Audience, Brief, CreatorProfile, MatchIndex, load_taxonomy  # noqa: E402
from matching.closeness import FINGERPRINT_BYTES, BriefPhrases  # noqa: E402
from matching.semantic import DIM, SCALE  # noqa: E402

PLATFORMS = ["instagram", "tiktok", "youtube", "twitch", "x", "linkedin"]
LANGUAGES = ["fr", "en", "es", "de", "it", "pt"]
COUNTRIES = [
    "FR", "BE", "CH", "CA", "US", "GB", "IE", "DE", "ES", "IT", "PT", "NL", "SE", "NO", "DK",
    "PL", "BR", "MX", "AR", "MA", "SN", "CI", "JP", "KR", "IN", "AU", "NZ", "ZA", "NG", "AT",
]  # fmt: skip
USDC = "0x5fbdb2315678afecb367f032d93f642f64180aa3"


def synthetic_creators(n: int, seed: int = 7, chunk: int = 50_000):
    """Yield lists of creators, ``chunk`` at a time (keeps memory flat at 1M)."""
    tax = load_taxonomy()
    causes, practices = tax.causes, tax.practices
    rng = np.random.default_rng(seed)
    popularity = 1.0 / np.arange(1, len(causes) + 1) ** 0.8
    popularity /= popularity.sum()
    made = 0
    while made < n:
        m = min(chunk, n - made)
        n_values = rng.integers(1, 6, m)
        n_refuse = rng.integers(0, 3, m)
        n_platforms = rng.integers(1, 4, m)
        n_countries = rng.integers(1, 5, m)
        # weighted sampling without replacement, vectorised (Efraimidis-Spirakis keys)
        value_order = np.argsort(-(rng.random((m, len(causes))) ** (1.0 / popularity)), axis=1)
        platform_order = np.argsort(rng.random((m, len(PLATFORMS))), axis=1)
        country_order = np.argsort(rng.random((m, len(COUNTRIES))), axis=1)
        refuse = rng.integers(0, len(practices), (m, 2))
        weights = 0.5 + 0.5 * rng.random((m, 5))
        followers = np.exp(rng.normal(9.5, 2.0, (m, 3))).astype(np.int64) + 50
        engagement = np.clip(rng.beta(2, 40, (m, 3)), 0.001, 0.5)
        fee_eth = (np.exp(rng.normal(-2.5, 1.5, m)) * 1e18).astype(np.float64)
        deals = rng.poisson(2.0, m)
        virtual = rng.random(m) < 0.1
        usdc = rng.random(m) < 0.5
        second_lang = rng.integers(0, len(LANGUAGES), m)
        meanings = _unit_vectors(rng, m)
        # one fingerprint per value phrase and one for the bio (random bits: the cost is the
        # same whatever they say)
        phrases = rng.integers(0, 256, (m, 6, FINGERPRINT_BYTES), dtype=np.uint8)
        out = []
        for i in range(m):
            ctry = [COUNTRIES[j] for j in country_order[i, : n_countries[i]]]
            fee = {"ETH": int(fee_eth[i])}
            if usdc[i]:
                fee[USDC] = int(fee_eth[i] / 1e18 * 3000 * 1e6)
            langs = [LANGUAGES[i % len(LANGUAGES)]]
            if i % 2:
                langs.append(LANGUAGES[second_lang[i]])
            out.append(
                CreatorProfile(
                    creator_id=f"c{made + i}",
                    values={
                        causes[v]: float(weights[i, k])
                        for k, v in enumerate(value_order[i, : n_values[i]])
                    },
                    dealbreakers=[practices[j] for j in refuse[i, : n_refuse[i]]],
                    is_virtual=bool(virtual[i]),
                    languages=langs,
                    audience={
                        PLATFORMS[p]: Audience(
                            int(followers[i, k]), float(engagement[i, k]), ctry[: 1 + k]
                        )
                        for k, p in enumerate(platform_order[i, : n_platforms[i]])
                    },
                    min_fee=fee,
                    completed_deals=int(deals[i]),
                    meaning=meanings[i],
                    phrases=phrases[i, : n_values[i] + 1],
                )
            )
        made += m
        yield out


def _unit_vectors(rng, m: int) -> np.ndarray:
    v = rng.normal(size=(m, DIM))
    v *= SCALE / np.linalg.norm(v, axis=1, keepdims=True)
    return np.round(v).astype(np.int8)


def _brief_phrases(rng, n: int) -> BriefPhrases:
    """The text, the target values and the brand's description: random fingerprints."""
    bits = rng.integers(0, 256, (n, FINGERPRINT_BYTES), dtype=np.uint8)
    return BriefPhrases(bits=bits, weights=np.full(n, 1.0 / n, dtype=np.float32))


def synthetic_briefs(count: int = 200, seed: int = 11) -> list[Brief]:
    tax = load_taxonomy()
    rng = np.random.default_rng(seed)
    meanings = _unit_vectors(rng, count)
    briefs = []
    for i in range(count):
        vals = rng.choice(len(tax.causes), rng.integers(1, 5), replace=False)
        briefs.append(
            Brief(
                values={tax.causes[v]: float(0.5 + 0.5 * rng.random()) for v in vals},
                practices=[tax.practices[j] for j in rng.choice(len(tax.practices), i % 3)],
                budget=int(np.exp(rng.normal(-1.0, 1.0)) * 1e18),
                token="ETH" if i % 4 else USDC,
                languages=[] if i % 3 else ["fr"],
                platforms=[] if i % 2 else [PLATFORMS[i % 3]],
                min_followers=0 if i % 5 else 10_000,
                countries=[] if i % 4 != 1 else ["FR", "BE", "CA"],
                lang="fr" if i % 2 else "en",
                meaning=meanings[i],
                phrases=_brief_phrases(rng, 2 + len(vals)),
            )
        )
    for b in briefs:  # USDC budgets in USDC units
        if b.token == USDC:
            b.budget = b.budget // 10**12 * 3
    return briefs


def run(n: int, queries: list[Brief]) -> dict:
    idx = MatchIndex(capacity=n)
    t_gen = t_build = 0.0
    t0 = time.perf_counter()
    for chunk in synthetic_creators(n):
        t1 = time.perf_counter()
        t_gen += t1 - t0
        idx.upsert_many(chunk)
        t0 = time.perf_counter()
        t_build += t0 - t1
    for b in queries[:5]:  # warm caches and lazy imports
        idx.search(b, limit=20)
    lat = []
    for b in queries:
        t = time.perf_counter()
        idx.search(b, limit=20)
        lat.append((time.perf_counter() - t) * 1000)
    matrix = idx._credit[:, : len(idx)]
    meaning = idx._meaning[:, : len(idx)].astype(np.float32)  # as if stored 4x larger
    rng = np.random.default_rng(3)
    floor = []
    for _ in range(len(queries)):
        qv = rng.random(matrix.shape[0]).astype(np.float32)
        qm = rng.random(meaning.shape[0]).astype(np.float32)
        t = time.perf_counter()
        qv @ matrix
        qm @ meaning
        floor.append((time.perf_counter() - t) * 1000)
    p50, p95 = np.percentile(lat, [50, 95])
    f50 = float(np.percentile(floor, 50))
    return {
        "n": n,
        "gen_s": t_gen,
        "build_s": t_build,
        "bytes_per_creator": idx.nbytes() / len(idx),
        "phrase_bytes_per_creator": idx.phrase_bytes() / len(idx),
        "p50_ms": p50,
        "p95_ms": p95,
        "floor_p50_ms": f50,
        "ratio": p50 / f50,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    queries = synthetic_briefs(args.queries)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{len(queries)} queries, limit 20; cpus {os.cpu_count()}, load average {load:.1f}")
    print(
        f"{'creators':>9} {'gen s':>7} {'build s':>8} {'B/creator':>9} {'phrase B':>8} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'floor ms':>8} {'p50/floor':>9}"
    )
    for n in sizes:
        r = run(n, queries)
        print(
            f"{r['n']:>9} {r['gen_s']:>7.1f} {r['build_s']:>8.1f} {r['bytes_per_creator']:>9.0f} "
            f"{r['phrase_bytes_per_creator']:>8.0f} {r['p50_ms']:>7.2f} {r['p95_ms']:>7.2f} "
            f"{r['floor_p50_ms']:>8.3f} {r['ratio']:>9.1f}",
            flush=True,
        )
    print("goals: 100k p50 <= 3x floor and <= 20 ms; 1M p95 <= 200 ms; <= 400 bytes per creator")
    print("(phrase B: fingerprints kept beside the columns, read for the 60 best candidates only)")


if __name__ == "__main__":
    main()
