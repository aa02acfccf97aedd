"""Matching quality on the tuning set and on the acceptance set, side by side.

    python bench/matching_quality.py

The tuning sets (tests/matching/data/{briefs,creators}.json, dev2/ to dev13/) are what the
engine was tuned on; the acceptance set (tests/matching/data/acceptance/) was written apart, by
someone who never saw the taxonomy, lexicon or tagger, and is only for measuring. Acceptance
phrases go through the same reading as the API's: every value, dealbreaker, practice and target
phrase is interpreted (`matching.interpret`), never rejected.

Prints NDCG@10 per language, forbidden creators in any top 10 (a must-exclude creator ranked),
and how many phrases were not understood. Quality, not speed: no timing here.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.requests.service import brief_targets  # noqa: E402
from api.values.service import (  # noqa: E402
    brand_targets,
    phrase_language,
    profile_language,
    refused_practices,
    stored,
)
from matching import Audience, Brief, CreatorProfile, MatchIndex, load_taxonomy  # noqa: E402
from matching.closeness import brief_phrases, creator_phrases  # noqa: E402
from matching.interpret import aimed_at_minors, interpret, loose  # noqa: E402
from matching.names import names_refused, stated_names  # noqa: E402
from matching.semantic import brief_meaning, creator_meaning  # noqa: E402
from tests.matching import devset  # noqa: E402

ACCEPTANCE = ROOT / "tests" / "matching" / "data" / "acceptance"
DEV2 = ROOT / "tests" / "matching" / "data" / "dev2"
DEV3 = ROOT / "tests" / "matching" / "data" / "dev3"
DEV4 = ROOT / "tests" / "matching" / "data" / "dev4"
DEV5 = ROOT / "tests" / "matching" / "data" / "dev5"
DEV6 = ROOT / "tests" / "matching" / "data" / "dev6"
DEV7 = ROOT / "tests" / "matching" / "data" / "dev7"
DEV8 = ROOT / "tests" / "matching" / "data" / "dev8"
DEV9 = ROOT / "tests" / "matching" / "data" / "dev9"
DEV10 = ROOT / "tests" / "matching" / "data" / "dev10"
DEV11 = ROOT / "tests" / "matching" / "data" / "dev11"
DEV12 = ROOT / "tests" / "matching" / "data" / "dev12"
DEV13 = ROOT / "tests" / "matching" / "data" / "dev13"
WEI = 10**18
K = 10


def _wei(eth: str) -> int:
    whole, _, frac = eth.partition(".")
    return int(whole or 0) * WEI + int((frac + "0" * 18)[:18] or 0)


class Reader:
    """Phrases as the API reads them, with a count of those not understood."""

    def __init__(self) -> None:
        self.phrases = 0
        self.not_understood: list[str] = []
        self.readings: list = []  # every reading, in order
        self.tax = load_taxonomy()

    def _read(self, text: str, role: str, lang: str):
        self.phrases += 1
        # as the API: French when the phrase reads French, else the profile's language
        reading = interpret(text, role=role, lang=phrase_language(text, default=lang))
        if not reading.understood:
            self.not_understood.append(f"{role}: {text}")
        self.readings.append(reading)
        return reading

    def causes(self, phrases: list[str], lang: str) -> dict[str, float]:
        out: dict[str, float] = {}
        for text in phrases:
            reading = self._read(text, "value", lang)
            for slug, confidence in () if reading.negated else reading.concepts:
                out[slug] = max(out.get(slug, 0.0), float(confidence))
        return out

    def practices(self, phrases: list[str], lang: str, role: str = "practice") -> list[str]:
        return self.stated(phrases, lang, role)[0]

    def stated(
        self, phrases: list[str], lang: str, role: str = "practice"
    ) -> tuple[list[str], list[str]]:
        """Practices the phrases assert, and those they deny ("bières 0,0% alcool")."""
        out: tuple[list[str], list[str]] = ([], [])
        for text in phrases:
            reading = self._read(text, role, lang)
            found = out[1] if reading.negated else out[0]
            # as the API (held_practices): a brand's practice read too loosely is not held
            unsure = loose(dict(reading.concepts)) if role == "practice" else frozenset()
            found += [
                s
                for s in reading.slugs
                if self.tax.get(s).kind == "practice" and s not in found and s not in unsure
            ]
        return out


def _creator(raw: dict, reader: Reader) -> CreatorProfile:
    lang = profile_language(raw["languages"])
    first = len(reader.readings)
    values = reader.causes(raw["values"], lang)
    read = len(reader.readings)
    dealbreakers = reader.practices(raw["dealbreakers"], lang, "dealbreaker")
    # as api.match_index.creator_profile: a dealbreaker narrower than what the values embrace
    dealbreakers, by_concept = refused_practices(
        [stored(r) for r in reader.readings[first:read]],
        [stored(r) for r in reader.readings[read:]],
        dealbreakers,
    )
    return CreatorProfile(
        creator_id=raw["creator_id"],
        display_name=raw["display_name"],
        values=values,
        loose=loose(values),
        dealbreakers=dealbreakers,
        refused_names=names_refused(by_concept),
        is_virtual=raw["is_virtual"],
        languages=raw["languages"],
        audience={
            p: Audience(a["followers"], a["engagement_rate"], a["countries"])
            for p, a in raw["platforms"].items()
        },
        min_fee={"ETH": _wei(raw["min_fee_eth"])},
        meaning=creator_meaning(raw["values"], raw.get("bio", "")),
        phrases=creator_phrases(raw["values"], raw.get("bio", "")),
    )


def _brief(raw: dict, reader: Reader) -> Brief:
    lang = raw["lang"]
    words = {
        "title": raw["title"],
        "description": raw["description"],
        "values": raw["target_values"] or [],
        "brand_description": raw.get("brand_description", ""),
        "brand_values": raw["brand_values"],
    }
    text = f"{raw['title']}. {raw['description']}"
    values, _ = brief_targets(  # as api.requests.service.create_request
        reader.causes(raw["target_values"] or [], lang),
        text=text,
        lang=lang,
        brand_values=lambda: brand_targets(reader.causes(raw["brand_values"], lang)),
    )
    first = len(reader.readings)
    practices, denied = reader.stated(raw["brand_practices"], lang)
    # as api.requests.service._brief: targeted ads from a brand that serves teens
    stated = [r.text for r in reader.readings[first:] if not r.negated]
    own_words = [raw.get("brand_description", ""), raw["title"], raw["description"], *stated]
    return Brief(
        values=values,
        practices=practices + aimed_at_minors(practices, own_words, denied),
        practices_denied=denied,
        stated_names=stated_names(raw["brand_practices"], raw.get("brand_name", "")),
        budget=_wei(raw["budget_eth"]),
        token="ETH",
        lang=lang,
        require_shared_value=True,
        meaning=brief_meaning(**words),
        phrases=brief_phrases(**words),
    )


def free_text(folder: Path) -> dict:
    """A set written in people's words (acceptance, or the other tuning sets)."""
    reader = Reader()
    creators = json.loads((folder / "creators.json").read_text("utf-8"))["creators"]
    briefs = json.loads((folder / "briefs.json").read_text("utf-8"))["briefs"]
    index = MatchIndex()
    index.upsert_many(_creator(raw, reader) for raw in creators)
    ids = {raw["creator_id"] for raw in creators}
    scores: dict[str, list[float]] = {"fr": [], "en": []}
    forbidden: list[str] = []
    for raw in briefs:
        ranked = [m.creator_id for m in index.search(_brief(raw, reader), limit=K)]
        excluded = set(raw["must_exclude"])
        forbidden += [f"{raw['brief_id']}:{c}" for c in ranked if c in excluded]
        eligible = ids - excluded
        scores[raw["lang"]].append(devset.ndcg_at(ranked, raw["relevance"], eligible, K))
    return {
        "ndcg": {lang: statistics.mean(v) for lang, v in scores.items()},
        "forbidden": forbidden,
        "phrases": reader.phrases,
        "not_understood": reader.not_understood,
        "briefs": len(briefs),
        "creators": len(creators),
    }


def tuning() -> dict:
    index = devset.build_index()
    scores: dict[str, list[float]] = {"fr": [], "en": []}
    forbidden: list[str] = []
    every = {raw["creator_id"] for raw in devset.raw_creators()}
    for raw in devset.raw_briefs():
        brief = devset.brief_from_json(raw)
        ranked = [m.creator_id for m in index.search(brief, limit=K)]
        excluded = set(raw.get("must_exclude", []))
        forbidden += [f"{raw['brief_id']}:{c}" for c in ranked if c in excluded]
        scores[raw["lang"]].append(devset.ndcg_at(ranked, raw["relevance"], every - excluded, K))
    return {
        "ndcg": {lang: statistics.mean(v) for lang, v in scores.items() if v},
        "forbidden": forbidden,
        "briefs": len(devset.raw_briefs()),
        "creators": len(devset.raw_creators()),
    }


def main() -> int:
    rows = [("tuning", tuning())]
    for name, folder in (
        ("tuning 2", DEV2),
        ("tuning 3", DEV3),
        ("tuning 4", DEV4),
        ("tuning 5", DEV5),
        ("tuning 6", DEV6),
        ("tuning 7", DEV7),
        ("tuning 8", DEV8),
        ("tuning 9", DEV9),
        ("tuning 10", DEV10),
        ("tuning 11", DEV11),
        ("tuning 12", DEV12),
        ("tuning 13", DEV13),
    ):
        if (folder / "briefs.json").exists():
            rows.append((name, free_text(folder)))
    rows.append(("acceptance", free_text(ACCEPTANCE)))
    print(
        f"{'set':<12}{'briefs':>7}{'creators':>9}{'NDCG@10 fr':>12}{'en':>7}{'all':>7}"
        f"{'forbidden':>11}"
    )
    for name, r in rows:
        ndcg = r["ndcg"]
        overall = statistics.mean(ndcg.values())
        print(
            f"{name:<12}{r['briefs']:>7}{r['creators']:>9}{ndcg.get('fr', 0):>12.3f}"
            f"{ndcg.get('en', 0):>7.3f}{overall:>7.3f}{len(r['forbidden']):>11}"
        )
    accepted = rows[-1][1]
    missed = accepted["not_understood"]
    print(
        f"\nacceptance phrases: {accepted['phrases']} read, 0 rejected, "
        f"{len(missed)} not understood ({len(missed) / max(1, accepted['phrases']):.0%})"
    )
    if accepted["forbidden"]:
        print("forbidden in a top 10:", ", ".join(accepted["forbidden"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
