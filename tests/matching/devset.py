"""The hand-written dev set (``data/*.json``) and an independent reference for the filters."""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path

from matching import Audience, Brief, CreatorProfile, MatchIndex, Taxonomy, load_taxonomy, tag_text
from matching.closeness import brief_phrases, creator_phrases
from matching.models import normalize_token
from matching.semantic import brief_meaning, creator_meaning

DATA = Path(__file__).parent / "data"


def creator_from_json(raw: dict, tax: Taxonomy) -> CreatorProfile:
    values = raw["values"]
    if values is None:
        # Values from the bio: causes only. A bio naming a practice usually criticises it
        # ("I expose animal testing"), so practices are not taken as the creator's values.
        tags = tag_text(raw["bio"])
        values = {s: w for s, w in tags.items() if tax.get(s).kind == "cause"}
    lang = raw["languages"][0] if raw["languages"] else "en"
    labels = [tax.label(s, lang) for s in tax.resolve_weights(values)]
    return CreatorProfile(
        creator_id=raw["creator_id"],
        display_name=raw["display_name"],
        values=values,
        dealbreakers=raw["dealbreakers"],
        is_virtual=raw["is_virtual"],
        languages=raw["languages"],
        audience={p: Audience(**a) for p, a in raw["audience"].items()},
        min_fee={t: int(v) for t, v in raw["min_fee"].items()},
        completed_deals=raw["completed_deals"],
        meaning=creator_meaning(labels, raw["bio"]),
        phrases=creator_phrases(labels, raw["bio"]),
    )


def brief_from_json(raw: dict) -> Brief:
    values = raw["values"] if raw["values"] is not None else tag_text(raw["text"], raw["lang"])
    return Brief(
        values=values,
        practices=raw["practices"],
        budget=int(raw["budget"]),
        token=raw["token"],
        languages=raw["languages"],
        platforms=raw["platforms"],
        min_followers=raw["min_followers"],
        countries=raw["countries"],
        lang=raw["lang"],
        meaning=brief_meaning(description=raw["text"]),
        phrases=brief_phrases(description=raw["text"]),
    )


@cache
def raw_creators() -> tuple[dict, ...]:
    return tuple(json.loads((DATA / "creators.json").read_text("utf-8"))["creators"])


@cache
def raw_briefs() -> tuple[dict, ...]:
    return tuple(json.loads((DATA / "briefs.json").read_text("utf-8"))["briefs"])


def creators() -> list[CreatorProfile]:
    tax = load_taxonomy()
    return [creator_from_json(r, tax) for r in raw_creators()]


def build_index() -> MatchIndex:
    idx = MatchIndex()
    idx.upsert_many(creators())
    return idx


def reference_reasons(tax: Taxonomy, brief: Brief, c: CreatorProfile) -> set[str]:  # noqa: C901 - the slow, obvious reference: one branch per filter
    """Filter codes computed the slow, obvious way, independently of the index."""
    codes = set()
    values = tax.resolve_weights(brief.values)
    practices = set(tax.resolve_many(brief.practices))
    practices |= {s for s in values if tax.get(s).kind == "practice"}
    held = set(tax.resolve_weights(c.values)) - set(c.loose)  # loose readings hold nothing
    refused = {p for d in tax.resolve_many(c.dealbreakers) for p in tax.covered(d)}
    if practices & refused:
        codes.add("dealbreaker")
    certain = practices - set(tax.resolve_many(brief.practices_denied))  # denied: uncertain
    if any((certain - held) & tax.refusals(v) for v in held):  # held practices: embraced
        codes.add("value_conflict")
    fees = {normalize_token(t): v for t, v in c.min_fee.items()}
    if brief.token not in fees:
        codes.add("token_not_accepted")
    elif brief.budget < fees[brief.token]:
        codes.add("below_min_fee")
    if brief.languages and not set(brief.languages) & set(c.languages):
        codes.add("language")
    present = set(c.audience)
    if brief.platforms:
        ok = (
            set(brief.platforms) <= present
            if brief.require_all_platforms
            else bool(set(brief.platforms) & present)
        )
        if not ok:
            codes.add("platform")
    if brief.min_followers > 0:
        pool = [
            a.followers
            for p, a in c.audience.items()
            if not brief.platforms or p in brief.platforms
        ]
        if max(pool, default=0) < brief.min_followers:
            codes.add("followers")
    if brief.countries and not set(brief.countries) & c.countries:
        codes.add("country")
    return codes


def ndcg_at(ranked: list[str], relevance: dict[str, int], eligible: set[str], k: int = 10) -> float:
    """NDCG@k; the ideal ranking uses only creators that pass the hard filters."""

    def dcg(grades):
        return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(grades[:k]))

    ideal = sorted((g for c, g in relevance.items() if c in eligible), reverse=True)
    best = dcg(ideal)
    if best == 0:
        return 1.0
    return dcg([relevance.get(c, 0) for c in ranked]) / best
