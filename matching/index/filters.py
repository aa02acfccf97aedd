"""Hard filters as boolean masks over creators, and the reasons they give."""

from __future__ import annotations

import numpy as np

from matching.explain import reason
from matching.index.briefs import _Compiled
from matching.index.columns import _HUGE
from matching.models import Brief, FilterReason
from matching.scoring import AFFINITY_MATCH

FILTER_CODES = (
    "dealbreaker",
    "value_conflict",
    "token_not_accepted",
    "below_min_fee",
    "language",
    "platform",
    "followers",
    "country",
    "no_shared_value",
)


class _Filters:
    def _filters(self, q: _Compiled, cols, merged: bool = False) -> dict[str, np.ndarray]:  # noqa: C901 - one vectorised mask per hard filter, side by side on purpose
        """code -> boolean array, True where that hard filter removes the creator.

        ``merged`` (for search, which only needs the union): a refused token is reported under
        ``below_min_fee`` (its fee is +inf) instead of costing a pass of its own.
        """
        out: dict[str, np.ndarray] = {}
        m = len(self._virtual[cols])

        if q.practices:
            out["dealbreaker"] = self._holds_any(self._refused, q.practice_mask, cols)
            conflict = np.zeros(m, dtype=bool)
            for refusers, practice in q.conflicts:
                refuses = self._holds_any(self._held, refusers, cols)
                refuses &= ~self._holds_any(self._held, practice, cols)
                conflict |= refuses
            out["value_conflict"] = conflict
        if q.named:  # dealbreakers by name (matching.names): rows the compiled brief found
            named = np.zeros(self._n, dtype=bool)
            named[list(q.named)] = True
            named = named[cols]
            out["dealbreaker"] = out["dealbreaker"] | named if "dealbreaker" in out else named
        if q.token_row is None:
            out["token_not_accepted"] = np.ones(m, dtype=bool)
        else:
            hi = self._fee_hi[q.token_row, cols]
            below = hi > q.budget_hi
            ties = np.flatnonzero(hi == q.budget_hi)
            if len(ties):
                lo = self._fee_lo[q.token_row, cols][ties]
                tie_below = lo > q.budget_lo
                huge = np.flatnonzero(lo == _HUGE)
                if len(huge):
                    rows = np.arange(self._n)[cols][ties[huge]]
                    for j, r in zip(huge, rows, strict=True):
                        tie_below[j] = self._fee_huge[(q.token_row, int(r))] > q.budget_lo
                below[ties] = tie_below
            if merged:
                out["below_min_fee"] = below
            else:
                refused = np.isinf(hi)
                out["token_not_accepted"] = refused
                out["below_min_fee"] = below & ~refused
        if q.lang_mask is not None:
            out["language"] = ~self._langs.intersects(q.lang_mask, cols)
        if q.platform_mask is not None:
            if q.brief.require_all_platforms:
                common = self._platforms.count_common(q.platform_mask, cols)
                out["platform"] = common < q.platform_count
            else:
                out["platform"] = ~self._platforms.intersects(q.platform_mask, cols)
        if q.brief.min_followers > 0:
            out["followers"] = self._followers_for(q, cols) < q.brief.min_followers
        if q.country_mask is not None:
            out["country"] = ~self._countries.intersects(q.country_mask, cols)
        if q.brief.require_shared_value and len(q.cause_rows):
            credit = self._credit[:, cols][q.cause_rows]
            shared = (credit > 0).any(axis=0)
            if q.practices:
                shared |= self._holds_any(self._held, q.practice_mask, cols)
            cosine = self._cosine(q, cols)
            if cosine is not None:
                shared |= cosine >= np.float32(AFFINITY_MATCH)
            out["no_shared_value"] = ~shared
        return out

    def _followers_for(self, q: _Compiled, cols) -> np.ndarray:
        if q.brief.platforms:
            if not q.platform_rows:
                return np.zeros(len(self._virtual[cols]), dtype=np.uint32)
            f = self._followers[q.platform_rows[0], cols]
            for p in q.platform_rows[1:]:
                f = np.maximum(f, self._followers[p, cols])
            return f
        return self._followers[:, cols].max(axis=0)

    def explain_filter(self, brief: Brief, creator_id: str) -> list[FilterReason]:
        """Why ``creator_id`` is filtered out for ``brief``; empty when it is not filtered.

        Raises KeyError for an unknown creator.
        """
        row = self._row[creator_id]
        q = self._compile(brief)
        filters = self._filters(q, [row])
        return [
            self._reason(q, row, code)
            for code in FILTER_CODES
            if code in filters and filters[code][0]
        ]

    def _reason(self, q: _Compiled, row: int, code: str) -> FilterReason:
        tax, lang, b = self.taxonomy, q.brief.lang, q.brief
        if code == "dealbreaker":
            refused = {
                s
                for s in q.practices
                if int(self._refused[self._slug_pos[s] // 64, row]) >> (self._slug_pos[s] % 64) & 1
            }
            practices = [s for s in q.practices if s in refused]
            if row in q.named:
                return reason(code, lang, tax, practices=practices, names=q.named[row])
            return reason(code, lang, tax, practices=practices)
        if code == "value_conflict":
            held = self._held_slugs(row)
            pairs = [
                [v, p] for v in held for p in q.practices if p in tax.refusals(v) and p not in held
            ]
            return reason(code, lang, tax, conflicts=pairs)
        if code == "token_not_accepted":
            return reason(code, lang, tax, token=b.token)
        if code == "below_min_fee":
            fee = self._fee_exact(q.token_row, row)
            return reason(code, lang, tax, token=b.token, budget=str(b.budget), min_fee=str(fee))
        if code == "language":
            return reason(
                code, lang, tax, requested=list(b.languages), creator=self._langs.row_names(row)
            )
        if code == "platform":
            return reason(
                code, lang, tax, requested=list(b.platforms), creator=self._platforms.row_names(row)
            )
        if code == "followers":
            f = int(self._followers_for(q, [row])[0])
            return reason(code, lang, tax, followers=f, min_followers=b.min_followers)
        if code == "no_shared_value":
            return reason(code, lang, tax, requested=list(q.causes))
        return reason(
            code, lang, tax, requested=list(b.countries), creator=self._countries.row_names(row)
        )
