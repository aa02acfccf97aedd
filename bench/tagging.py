"""How well phrases are read, on phrases the reader never saw.

    python bench/tagging.py

``tests/matching/data/unseen_phrases.json`` was written and labelled apart, by someone who had
only the concept list (slugs, labels, descriptions), never the lexicon, the aliases or the
reader: 400 phrases, FR and EN, as values, dealbreakers and practices, each with the concepts a
careful reader finds in it (none for about one in ten) and whether it states their absence.
Measure only: tuning the reader on it would make it one more tuning set.

Prints micro precision and recall of the concepts read (per language and role), how often the
polarity (negated or not) is right when a concept is shared, and how the phrases that mean no
concept fare ("not understood" is the right answer there).
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from matching.interpret import interpret  # noqa: E402

PHRASES = ROOT / "tests" / "matching" / "data" / "unseen_phrases.json"


def measure(phrases: list[dict]) -> dict[str, dict[str, float]]:
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for item in phrases:
        reading = interpret(item["text"], lang=item["lang"], role=item["role"])
        gold, read = set(item["concepts"]), set(reading.slugs)
        for group in ("all", item["lang"], item["role"]):
            c = counts[group]
            c["phrases"] += 1
            c["hit"] += len(gold & read)
            c["read"] += len(read)
            c["gold"] += len(gold)
            if gold & read:
                c["shared"] += 1
                c["polarity"] += reading.negated == item["negated"]
            if not gold:
                c["none"] += 1
                c["none_ok"] += not read
            c["exact"] += gold == read and (not gold or reading.negated == item["negated"])
    return {
        group: {
            "phrases": c["phrases"],
            "precision": c["hit"] / max(1, c["read"]),
            "recall": c["hit"] / max(1, c["gold"]),
            "polarity": c["polarity"] / max(1, c["shared"]),
            "none_ok": c["none_ok"] / max(1, c["none"]),
            "exact": c["exact"] / max(1, c["phrases"]),
        }
        for group, c in counts.items()
    }


def main() -> int:
    phrases = json.loads(PHRASES.read_text("utf-8"))["phrases"]
    table = measure(phrases)
    print(
        f"{'phrases':<12}{'n':>5}{'precision':>11}{'recall':>8}{'polarity':>10}"
        f"{'no-concept ok':>15}{'exact':>7}"
    )
    for group in ("all", "fr", "en", "value", "dealbreaker", "practice"):
        r = table[group]
        print(
            f"{group:<12}{r['phrases']:>5}{r['precision']:>11.3f}{r['recall']:>8.3f}"
            f"{r['polarity']:>10.3f}{r['none_ok']:>15.3f}{r['exact']:>7.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
