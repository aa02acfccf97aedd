"""One score formula over the components, the exact top k, and the ranked matches."""

from __future__ import annotations

import numpy as np

from matching.closeness import closeness_many
from matching.diversity import diversify_matches
from matching.explain import match_sentence
from matching.index.briefs import _Compiled
from matching.index.columns import CREDIT_UNIT
from matching.index.filters import FILTER_CODES
from matching.models import Brief, CreatorProfile, FilterReason, Match
from matching.scoring import (
    AFFINITY_FLOOR,
    AFFINITY_FULL,
    AFFINITY_SHARE,
    AUDIENCE_COUNTRIES,
    AUDIENCE_PLATFORMS,
    AUDIENCE_QUALITY,
    EMBRACE_CREDIT,
    PHRASE_WEIGHT,
    RERANK_DEPTH,
    WEIGHTS,
    budget_fit_from_ratio,
)


class _Ranking:
    def _audience(self, q: _Compiled, cols) -> np.ndarray | None:
        """Audience fit for the creators at ``cols``; None when the brief sets no platform and
        no country (then it is brief-independent and already inside ``_base``)."""
        if not q.brief.platforms and q.country_mask is None:
            return None
        m = len(self._virtual[cols])
        if q.brief.platforms:
            if q.platform_rows:
                quality = self._quality[q.platform_rows[0], cols]
                for p in q.platform_rows[1:]:
                    quality = np.maximum(quality, self._quality[p, cols])
                quality = quality.astype(np.float32)
                quality *= np.float32(1 / 255)
            else:
                quality = np.zeros(m, dtype=np.float32)
            presence = self._platforms.count_common(q.platform_mask, cols).astype(np.float32)
            presence *= np.float32(AUDIENCE_PLATFORMS / q.platform_count)
        else:
            quality = self._best_quality[cols].astype(np.float32)
            quality *= np.float32(1 / 255)
            presence = np.float32(AUDIENCE_PLATFORMS)
        quality *= np.float32(AUDIENCE_QUALITY)
        quality += presence
        if q.country_mask is not None:
            countries = self._countries.count_common(q.country_mask, cols).astype(np.float32)
            countries *= np.float32(AUDIENCE_COUNTRIES / q.country_count)
            quality += countries
        else:
            quality += np.float32(AUDIENCE_COUNTRIES)
        return np.minimum(quality, np.float32(1.0), out=quality)

    def _budget(self, q: _Compiled, cols) -> np.ndarray | None:
        """Budget fit at ``cols`` (None: 1 for everyone, i.e. no usable budget or token)."""
        if q.token_row is None or q.brief.budget <= 0:
            return None
        ratio = self._fee_hi[q.token_row, cols] * (1.0 / q.budget_hi)
        np.minimum(ratio, 1.0, out=ratio)
        return budget_fit_from_ratio(ratio).astype(np.float32)

    def _concepts(self, q: _Compiled, cols) -> np.ndarray:
        """Shared concepts at ``cols``: the brief's cause weights (summing to 1) times each
        creator's credit on those causes (stored in 1/255), capped at 1. Reads only the brief's
        own cause rows, one pass each."""
        align = np.zeros(len(self._virtual[cols]), dtype=np.float32)
        for r, w in zip(q.cause_rows, q.cause_weights, strict=True):
            align += self._credit[r, cols] * np.float32(w * CREDIT_UNIT)
        if q.practices:
            embraced = self._holds_any(self._held, q.practice_mask, cols)
            align += embraced.astype(np.float32) * np.float32(EMBRACE_CREDIT)
        return np.minimum(align, np.float32(1.0), out=align)

    def _affinity_read(self, q: _Compiled, cols) -> np.ndarray | None:
        """Affinity at ``cols`` as the score reads it, in [0, 1] (None: the brief has no text)."""
        cosine = self._cosine(q, cols)
        if cosine is None:
            return None
        cosine -= np.float32(AFFINITY_FLOOR)
        cosine *= np.float32(1 / (AFFINITY_FULL - AFFINITY_FLOOR))
        return np.clip(cosine, 0.0, 1.0, out=cosine)

    def _alignment(self, q: _Compiled, cols, affinity: np.ndarray | None) -> np.ndarray:
        """Concepts and ``affinity`` (:meth:`_affinity_read` at ``cols``: never changed, and
        returned as is when the brief names no concept) blended (see :mod:`matching.scoring`)."""
        if affinity is None:
            return self._concepts(q, cols)
        if not len(q.cause_rows):
            if q.practices:  # only the practices the creator embraces are concepts here
                affinity += self._concepts(q, cols) * np.float32(1 - AFFINITY_SHARE)
                np.minimum(affinity, np.float32(1.0), out=affinity)
            return affinity
        align = self._concepts(q, cols)
        align *= np.float32(1 - AFFINITY_SHARE)
        align += affinity * np.float32(AFFINITY_SHARE)
        return align

    def _score(self, q: _Compiled, cols) -> np.ndarray:
        """THE score formula, for every creator or a few: the weighted sum of alignment,
        audience, budget and track record, clipped to [0, 1]. When the brief sets no platform
        and no country, audience and track record do not depend on it and their weighted sum
        was written per creator in ``_base`` (by the same weights)."""
        w = WEIGHTS
        score = self._alignment(q, cols, self._affinity_read(q, cols))
        score *= np.float32(w.alignment)
        audience = self._audience(q, cols)
        if audience is None:
            score += self._base[cols]
        else:
            audience *= np.float32(w.audience)
            score += audience
            score += self._track[cols] * np.float32(w.track_record)
        budget = self._budget(q, cols)
        if budget is None:
            score += np.float32(w.budget)
        else:
            budget *= np.float32(w.budget)
            score += budget
        score += self._language(q, cols) * np.float32(w.language)
        return np.clip(score, 0.0, 1.0, out=score)

    def _language(self, q: _Compiled, cols) -> np.ndarray:
        """1 where the creator speaks a language the brief prefers, else 0 (float32)."""
        return self._langs.intersects(q.own_lang_mask, cols).astype(np.float32)

    def _closeness(self, q: _Compiled, rows: np.ndarray) -> np.ndarray:
        """Phrase closeness of the brief with the creators at ``rows`` (float32, 0 without
        phrases on either side)."""
        brief = q.brief.phrases
        if brief is None:
            return np.zeros(len(rows), dtype=np.float32)
        ids, phrases = self._ids, self._phrases
        return closeness_many(brief, [phrases.get(ids[r]) for r in rows.tolist()])

    @staticmethod
    def _final(score: np.ndarray, near: np.ndarray) -> np.ndarray:
        """The score of a brief that has phrases: the column score and the phrase closeness,
        weighted 1 and PHRASE_WEIGHT (both in [0, 1], so is the result)."""
        return (score + np.float32(PHRASE_WEIGHT) * near) * np.float32(1 / (1 + PHRASE_WEIGHT))

    def _components(self, q: _Compiled, rows: np.ndarray) -> dict[str, np.ndarray]:
        """The parts of the score (float32 in [0, 1]) for a few creators, to show them."""
        audience = self._audience(q, rows)
        if audience is None:
            quality = self._best_quality[rows].astype(np.float32) * np.float32(1 / 255)
            audience = quality * np.float32(AUDIENCE_QUALITY) + np.float32(
                AUDIENCE_COUNTRIES + AUDIENCE_PLATFORMS
            )
        budget = self._budget(q, rows)
        affinity = self._affinity_read(q, rows)
        return {
            "alignment": self._alignment(q, rows, affinity),
            "affinity": np.zeros(len(rows), dtype=np.float32) if affinity is None else affinity,
            "audience": audience,
            "budget": np.ones(len(rows), dtype=np.float32) if budget is None else budget,
            "track_record": self._track[rows],
            "language": self._language(q, rows),
            "phrases": self._closeness(q, rows),
        }

    @staticmethod
    def _top(score: np.ndarray, k: int) -> np.ndarray:
        """Indices of the ``k`` largest scores (unordered), exact.

        A strided sample gives a threshold expected to keep about 4k candidates; when at least k
        scores reach it the top k are all among them, so ``argpartition`` runs on those few.
        Otherwise it runs on everything.
        """
        n = len(score)
        if k >= n:
            return np.arange(n)
        if n > 20_000:
            step = n // 2048
            sample = score[::step]
            above = min(len(sample) - 1, max(1, (4 * k * len(sample)) // n + 1))
            threshold = np.partition(sample, len(sample) - above)[len(sample) - above]
            cand = np.flatnonzero(score >= threshold)
            if k <= len(cand) <= n // 4:
                sub = score[cand]
                if len(cand) == k:
                    return cand
                return cand[np.argpartition(-sub, k - 1)[:k]]
        return np.argpartition(-score, k - 1)[:k]

    # -- queries ----------------------------------------------------------------------------
    def search(self, brief: Brief, limit: int = 20, diversify: bool = False) -> list[Match]:
        """Top ``limit`` creators passing every hard filter, best first.

        ``diversify`` re-ranks a candidate pool for variety of audience tier and human/virtual
        (see :func:`matching.diversity.diversify_matches` for the relevance it may give up).
        """
        if limit <= 0 or self._n == 0:
            return []
        q = self._compile(brief)
        n = self._n
        blocked = np.zeros(n, dtype=bool)
        for f in self._filters(q, slice(0, n), merged=True).values():
            np.logical_or(blocked, f, out=blocked)
        passing = n - int(np.count_nonzero(blocked))
        if passing == 0:
            return []
        # Phrase closeness reranks the best RERANK_DEPTH by the column score (see _final).
        rerank = q.brief.phrases is not None
        pool = min(max(limit * 5 if diversify else limit, RERANK_DEPTH if rerank else 0), passing)
        if passing <= n // 8:
            # few survivors: score only them (gathers are cheaper than full passes)
            rows = np.flatnonzero(~blocked)
            score = self._score(q, rows)
            local = self._top(score, pool)
            top, top_scores = rows[local], score[local]
        else:
            score = self._score(q, slice(0, n))
            score -= np.float32(2.0) * blocked  # filtered scores drop below zero
            top = self._top(score, pool)
            top_scores = score[top]
            keep = top_scores >= 0.0
            top, top_scores = top[keep], top_scores[keep]
        if rerank:
            top_scores = self._final(top_scores, self._closeness(q, top))
        ids = self._ids
        order = sorted(range(len(top)), key=lambda i: (-float(top_scores[i]), ids[top[i]]))
        rows_sorted = top[order]
        matches = self._matches(q, rows_sorted, top_scores[order])
        if diversify:
            tiers = {
                m.creator_id: int(self._tier[r]) for m, r in zip(matches, rows_sorted, strict=True)
            }
            return diversify_matches(matches, limit, tiers=tiers)
        return matches[:limit]

    def _matches(self, q: _Compiled, rows: np.ndarray, scores: np.ndarray) -> list[Match]:
        comp = self._components(q, rows)
        names = list(comp)
        columns = [np.round(comp[name].astype(np.float64), 6).tolist() for name in names]
        held = self._held[:, rows].tolist()
        # the brief's cause rows at these creators only (not every creator's, then a few)
        credit = self._credit[np.ix_(q.cause_rows, rows)].tolist() if len(q.cause_rows) else []
        partial = [False] * len(rows)
        if q.country_mask is not None:
            common = self._countries.count_common(q.country_mask, rows).tolist()
            partial = [c < q.country_count for c in common]
        # the brief's causes, then the brand's practices a creator embraces (shared, never related)
        wanted = q.causes + [p for p in q.practices if p not in q.causes]
        bits = [self._slug_pos[s] for s in wanted]
        out = []
        for i, row in enumerate(rows.tolist()):
            components = {name: col[i] for name, col in zip(names, columns, strict=True)}
            shared, related = [], []
            for j, (slug, b) in enumerate(zip(wanted, bits, strict=True)):
                if held[b // 64][i] >> (b % 64) & 1:
                    shared.append(slug)
                elif j < len(q.causes) and credit[j][i] > 0:
                    related.append(slug)
            sentence = match_sentence(
                taxonomy=self.taxonomy,
                lang=q.brief.lang,
                shared=shared,
                related=related,
                components=components,
                partial_countries=partial[i],
            )
            out.append(
                Match(
                    creator_id=self._ids[row],
                    score=round(float(scores[i]), 6),
                    components=components,
                    explanation=sentence,
                    is_virtual=bool(self._virtual[row]),
                )
            )
        return out

    def score_one(self, brief: Brief, creator: CreatorProfile) -> Match | list[FilterReason]:
        """Screen one offer: the filter reasons if any hard filter applies, else the Match.

        Uses a one-creator index with the same taxonomy, so it agrees with ``search``. A
        creator this index holds as the caller sees it is scored in place by
        :meth:`score_indexed`, with no index of its own.
        """
        single = type(self)(self.taxonomy, capacity=16)
        single.upsert(creator)
        return single._score_row(brief, 0)

    def score_indexed(
        self, brief: Brief, creator_id: str, version: int
    ) -> Match | list[FilterReason] | None:
        """:meth:`score_one` for a creator this index holds at ``version``
        (CreatorProfile.version), read where it is; None when it holds another version of the
        creator, or none."""
        row = self._row.get(creator_id)
        if row is None or int(self._version[row]) != version:
            return None
        return self._score_row(brief, row)

    def _score_row(self, brief: Brief, row: int) -> Match | list[FilterReason]:
        """The filter reasons of the creator at ``row`` if any hard filter applies, else its
        Match: the filters, the score and the phrase closeness ``search`` applies to it."""
        q = self._compile(brief)
        rows = np.array([row], dtype=np.int64)
        filters = self._filters(q, rows)
        reasons = [self._reason(q, row, c) for c in FILTER_CODES if c in filters and filters[c][0]]
        if reasons:
            return reasons
        score = self._score(q, rows)
        if q.brief.phrases is not None:
            score = self._final(score, self._closeness(q, rows))
        return self._matches(q, rows, score)[0]
