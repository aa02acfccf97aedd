"""Score components and their weights: the one place that says what a good match is.

Every component is in [0, 1] and the weights sum to 1, so the score is in [0, 1].

* ``alignment``: the values they share. Two readings blended: the weighted share of the brief's
  concepts the creator holds (a related value earns partial credit through the taxonomy's parent
  links, see :func:`relation_credit`), and the **affinity** of their own words (the cosine of
  their meaning vectors, see :mod:`matching.semantic`, read from :data:`AFFINITY_FLOOR` to
  :data:`AFFINITY_FULL`), which also counts what no concept names. A brief whose values were not
  understood is aligned on affinity alone.
* ``audience``: audience quality on the requested platforms (engagement and reach), share of the
  requested countries covered, share of the requested platforms present.
* ``budget``: 1 when the budget is within 4x the creator's minimum fee, falling linearly to 0.25
  as the fee becomes negligible next to the budget (a creator far too small for the campaign).
* ``track_record``: completed deals, saturating around 20.
* ``phrases`` (shown, and blended in for the best candidates): phrase closeness, the best
  cosine of each brief phrase with any of the creator's (:mod:`matching.closeness`).
* ``language``: 1 when the creator speaks the language the brief is written in (a French
  brief addresses a French-speaking audience), else 0. A brief that lists the languages it
  accepts filters on them and every creator it keeps gets 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from matching.taxonomy import Taxonomy


@dataclass(frozen=True)
class ScoreWeights:
    alignment: float = 0.55
    audience: float = 0.15
    budget: float = 0.10
    track_record: float = 0.10
    language: float = 0.10

    def as_dict(self) -> dict[str, float]:
        return {
            "alignment": self.alignment,
            "audience": self.audience,
            "budget": self.budget,
            "track_record": self.track_record,
            "language": self.language,
        }


WEIGHTS = ScoreWeights()
assert math.isclose(sum(WEIGHTS.as_dict().values()), 1.0)

# Audience fit sub-weights (sum to 1).
AUDIENCE_QUALITY = 0.6
AUDIENCE_COUNTRIES = 0.2
AUDIENCE_PLATFORMS = 0.2
GOOD_ENGAGEMENT = 0.06  # 6 % engagement earns full marks
FULL_REACH_FOLLOWERS = 10**7  # reach is log10(followers) / 7

# Partial credit through the taxonomy: holding a more specific value than the brief asks
# (brief: animal-welfare, creator: veganism) is worth UP_CREDIT per level; a more general one
# (brief: veganism, creator: animal-welfare) DOWN_CREDIT per level; a sibling UP*DOWN.
UP_CREDIT = 0.7
DOWN_CREDIT = 0.5
MIN_CREDIT = 0.15

# Affinity: a cosine at or below the floor reads 0, at or above "full" reads 1. It weighs
# AFFINITY_SHARE of the alignment when the brief names concepts, all of it when it names none.
# A creator sharing no concept with the brief still matches when its affinity reaches
# AFFINITY_MATCH (it says the same thing in words the taxonomy does not know).
AFFINITY_FLOOR = 0.15
AFFINITY_FULL = 0.65
AFFINITY_SHARE = 0.4
AFFINITY_MATCH = 0.3

# A creator whose values name a practice the brand has ("natural wine" for a wine shop)
# embraces it: concept credit for the brief, and no implicit refusal of it.
EMBRACE_CREDIT = 0.5

# Phrase closeness (matching.closeness): when the brief has phrases, the score of each of the
# RERANK_DEPTH best creators by the weighted sum above is (that sum + PHRASE_WEIGHT * closeness)
# / (1 + PHRASE_WEIGHT). The rest of the list is never shown (limits stay below the depth or
# the depth follows them), so every listed score is read the same way.
PHRASE_WEIGHT = 0.6
RERANK_DEPTH = 60

TRACK_SATURATION = 20
BUDGET_FULL_RATIO = 4  # budget up to 4x the minimum fee is a full fit
BUDGET_FLOOR = 0.25

# Components below these read as a penalty in the explanation.
PENALTY_BELOW = {"audience": 0.4, "budget": 0.4, "track_record": 0.01, "language": 0.5}


def relation_credit(taxonomy: Taxonomy, causes: list[str]) -> np.ndarray:  # noqa: C901 - one case per taxonomy relation, in one table
    """``R[r, s]``: credit a creator holding cause ``r`` earns for a brief asking cause ``s``."""
    pos = {s: i for i, s in enumerate(causes)}
    n = len(causes)
    R = np.zeros((n, n), dtype=np.float64)

    def up(slug: str) -> dict[str, float]:
        # ancestors with the best credit reaching them, including the slug itself at 1.0
        best = {slug: 1.0}
        frontier = [(slug, 1.0)]
        while frontier:
            nxt = []
            for s, c in frontier:
                for p in taxonomy.get(s).parents:
                    cc = c * UP_CREDIT
                    if cc > best.get(p, 0.0):
                        best[p] = cc
                        nxt.append((p, cc))
            frontier = nxt
        return best

    def down(slug: str, credit: float) -> dict[str, float]:
        best = {slug: credit}
        frontier = [(slug, credit)]
        while frontier:
            nxt = []
            for s, c in frontier:
                for ch in taxonomy.children(s):
                    cc = c * DOWN_CREDIT
                    if cc > best.get(ch, 0.0):
                        best[ch] = cc
                        nxt.append((ch, cc))
            frontier = nxt
        return best

    for r in causes:
        for a, ca in up(r).items():
            for s, cs in down(a, ca).items():
                if s in pos and cs >= MIN_CREDIT:
                    R[pos[r], pos[s]] = max(R[pos[r], pos[s]], cs)
    return R


def engagement_score(rate):
    return np.minimum(np.asarray(rate, dtype=np.float64) / GOOD_ENGAGEMENT, 1.0)


def reach_score(followers):
    f = np.asarray(followers, dtype=np.float64)
    return np.clip(np.log10(1.0 + f) / math.log10(FULL_REACH_FOLLOWERS), 0.0, 1.0)


def platform_quality(followers, rate):
    """Static quality of one platform audience, in [0, 1]."""
    return 0.6 * engagement_score(rate) + 0.4 * reach_score(followers)


def platform_quality_one(followers: int, rate: float) -> float:
    """``platform_quality`` for one audience, without numpy's per-call overhead."""
    engagement = min(rate / GOOD_ENGAGEMENT, 1.0)
    reach = min(max(math.log10(1.0 + followers) / math.log10(FULL_REACH_FOLLOWERS), 0.0), 1.0)
    return 0.6 * engagement + 0.4 * reach


def track_record_one(deals: int) -> float:
    return min(math.log1p(deals) / math.log1p(TRACK_SATURATION), 1.0)


def track_record_score(deals):
    d = np.asarray(deals, dtype=np.float64)
    return np.minimum(np.log1p(d) / math.log1p(TRACK_SATURATION), 1.0)


def budget_fit_from_ratio(fee_over_budget):
    """``fee_over_budget`` in [0, 1] (filtered creators aside) -> budget fit in [0.25, 1]."""
    r = np.asarray(fee_over_budget, dtype=np.float64)
    return np.clip(BUDGET_FLOOR + (1.0 - BUDGET_FLOOR) * BUDGET_FULL_RATIO * r, BUDGET_FLOOR, 1.0)
