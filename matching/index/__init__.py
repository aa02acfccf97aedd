"""In-memory, vectorised index of creators: hard filters as masks, scores as array arithmetic.

Layout (``n`` creators, capacity ``cap`` >= n, doubled when full; deletes swap the last row into
the hole so the first ``n`` columns are always the live creators):

=================  =====================  ==================================================
array              shape, dtype           holds
=================  =====================  ==================================================
``_credit``        (causes, cap) uint8    value credit per cause in 1/255, parents' partial credit
                                          already applied (column-major: a brief reads only
                                          the rows of its own values)
``_held``          (words, cap) uint64    bit per slug the creator holds (its loose readings aside)
``_refused``       (words, cap) uint64    explicit dealbreakers, with what their practices cover
``_langs`` etc.    (words, cap) uint64    languages, platforms present, audience countries
``_followers``     (platforms, cap) u32   followers per platform (clamped at 2**32 - 1)
``_quality``       (platforms, cap) u8    static audience quality per platform, in 1/255
``_best_quality``  (cap,) uint8           best of those over all platforms
``_base``          (cap,) float32         the score's brief-independent part (audience and
                                          track record when the brief sets no platform or
                                          country), precomputed
``_fee_hi``        (tokens, cap) float64  ``float(min_fee)``; +inf when the token is refused
``_fee_lo``        (tokens, cap) int64    ``min_fee - int(float(min_fee))``
``_track``         (cap,) float32         track-record component
``_version``       (cap,) int64           the profile's version (CreatorProfile.version)
``_virtual``       (cap,) bool
``_tier``          (cap,) int8            audience-size tier, for diversity
``_meaning``       (64, cap) int8         meaning vector (matching.semantic)
``_phrases``       dict id -> (n, 64) u8  phrase fingerprints (matching.closeness): beside the
                                          columns, read for the best 60 candidates only
=================  =====================  ==================================================

Exact money comparison: float rounding is monotone, so ``float(fee) < float(budget)`` implies
``fee < budget`` and ``>`` implies ``>``; only equal floats are ambiguous, and there the exact
difference is ``fee_lo - budget_lo`` (both residuals are exact Python ints, stored as int64 when
they fit, which holds for amounts below 2**116; larger amounts keep their exact residual in a
side table and are compared in Python). So the vectorised budget filter is exact for amounts of
any size, e.g. 50 ETH = 5e19 wei, far above 2**63.
"""

from matching.index.briefs import _BriefCompiler
from matching.index.filters import FILTER_CODES, _Filters
from matching.index.ranking import _Ranking
from matching.index.storage import _Storage
from matching.models import Audience


class MatchIndex(_Storage, _BriefCompiler, _Filters, _Ranking):
    """Creators held as numpy arrays; ``search`` ranks them for a brief.

    Not thread-safe for writers: callers serialise ``upsert``/``delete`` (readers may run
    between writes).
    """


__all__ = ["MatchIndex", "FILTER_CODES", "Audience"]
