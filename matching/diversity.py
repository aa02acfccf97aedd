"""Diversity re-ranking with a stated relevance bound, and exposure concentration."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from matching.models import Match

# Audience-size tiers by largest platform audience: nano < 10k <= micro < 100k <= mid
# < 500k <= macro < 1M <= mega.
TIER_BOUNDS = np.array([10_000, 100_000, 500_000, 1_000_000], dtype=np.int64)

DIVERSITY_EPSILON = 0.10  # relevance a diversified pick may give up, relative to the best left
DIVERSITY_LAMBDA = 0.5


def diversify_matches(
    matches: Sequence[Match],
    limit: int,
    tiers: dict[str, int],
    epsilon: float = DIVERSITY_EPSILON,
) -> list[Match]:
    """Greedy MMR over (audience tier, human/virtual), never trading much relevance.

    Bound: at every step only candidates whose score is at least ``(1 - epsilon)`` times the
    best remaining score are eligible; among them the one least similar to those already picked
    wins (similarity: share of picked matches in the same tier, and in the same human/virtual
    group). Since the best remaining score at step i is at least the i-th best score overall,
    every pick is >= (1 - epsilon) x the i-th best score, so the diversified top-k's total score
    is >= (1 - epsilon) x the undiversified top-k's total (90 % with the default epsilon).
    ``matches`` must hold the undiversified ranking's top ``limit`` (the index passes a pool of
    5 x limit, best first).
    """
    remaining = sorted(matches, key=lambda m: (-m.score, m.creator_id))
    picked: list[Match] = []
    tier_count: Counter[int] = Counter()
    virtual_count: Counter[bool] = Counter()
    while remaining and len(picked) < limit:
        best = remaining[0].score
        floor = (1.0 - epsilon) * best
        choice, choice_value = 0, None
        for i, m in enumerate(remaining):
            if m.score < floor:
                break  # sorted: nothing further is eligible
            if picked:
                sim = 0.5 * tier_count[tiers.get(m.creator_id, 0)] / len(picked)
                sim += 0.5 * virtual_count[m.is_virtual] / len(picked)
            else:
                sim = 0.0
            value = m.score - DIVERSITY_LAMBDA * sim
            if choice_value is None or value > choice_value:
                choice, choice_value = i, value
        m = remaining.pop(choice)
        picked.append(m)
        tier_count[tiers.get(m.creator_id, 0)] += 1
        virtual_count[m.is_virtual] += 1
    return picked


def exposure_gini(
    topk_lists: Iterable[Iterable[Match | str]], population: Iterable[str] | int | None = None
) -> float:
    """Gini coefficient of exposure (appearances in top-k lists) across many requests.

    0: every creator shown equally often; close to 1: a few creators get all the exposure.
    Creators never shown count only when ``population`` (ids, or their number) is given.
    """
    counts: Counter[str] = Counter()
    for lst in topk_lists:
        for item in lst:
            counts[item.creator_id if isinstance(item, Match) else str(item)] += 1
    values = list(counts.values())
    if isinstance(population, int):
        values += [0] * max(0, population - len(values))
    elif population is not None:
        values += [0 for cid in set(population) if cid not in counts]
    x = np.sort(np.asarray(values, dtype=np.float64))
    n = len(x)
    if n == 0 or x.sum() == 0:
        return 0.0
    cum = np.arange(1, n + 1, dtype=np.float64)
    return float((2.0 * (cum * x).sum()) / (n * x.sum()) - (n + 1.0) / n)
