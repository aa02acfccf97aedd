"""Names a creator refuses and names a brand states: literal matching where no concept fits.

A dealbreaker the reader does not understand is often a name: a company ("Nestlé", "Amazon
(jamais)"), a few of them ("Shein, Temu & co") or a short term of its own ("grande
distribution"). No taxonomy holds them, and text similarity only ranks. Such a dealbreaker
keeps its words here, and a brand whose own name or whose stated practices hold those words is
filtered out for that creator, as a practice the creator refuses would be. A practice phrase
with a negation cue ("sans passer par Amazon", "Shein not accepted") states none of its
names: of a brand, a denial names what it does not do.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from matching.text import fold

# A name is a few words; a longer phrase the reader did not understand is a sentence.
MAX_WORDS = 3
_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
_PARENTHESES = re.compile(r"\([^)]*\)|\[[^\]]*\]")
# What separates the names of a list: "Shein, Temu & co", "Total ou Shell", "Meta/Google".
_LIST = re.compile(r"[,;/&+]|\b(?:et|and|ou|or)\b")
# Words that only fill a name out: articles on both sides ("les NFT", "la grande
# distribution"), and the tail of a list ("& co", "etc").
_FILLERS = frozenset(
    {"le", "la", "les", "l", "un", "une", "des", "du", "de", "d", "the", "a", "an", "of"}
    | {"co", "cie", "etc"}
)


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(fold(text)) if w not in _FILLERS]


def refused_names(text: str) -> tuple[str, ...]:
    """The names a dealbreaker phrase stands for (one the reader did not understand), folded:
    each item of a list of up to MAX_WORDS words, parentheses left out ("Nestlé (or anything
    they own)" is Nestlé)."""
    outside = _PARENTHESES.sub(" ", fold(text))
    names = []
    for item in _LIST.split(outside):
        words = _words(item)
        if 1 <= len(words) <= MAX_WORDS:
            names.append(" ".join(words))
    return tuple(dict.fromkeys(names))


def stated_names(phrases: Iterable[str], brand_name: str = "") -> frozenset[str]:
    """Every run of up to MAX_WORDS words the brand states: in its name, and in each practice
    phrase without a negation cue."""
    return _stated(tuple(phrases), brand_name)


# Every offer's screening reads its brand's practices again: they seldom change, and finding
# the cues of four phrases costs about 0.3 ms.
@functools.lru_cache(maxsize=4096)
def _stated(phrases: tuple[str, ...], brand_name: str) -> frozenset[str]:
    from matching.interpret import polarity

    texts = [brand_name, *(p for p in phrases if not polarity(p).negated)]
    runs: set[str] = set()
    for text in texts:
        words = _words(text)
        for n in range(1, MAX_WORDS + 1):
            runs.update(" ".join(words[i : i + n]) for i in range(len(words) - n + 1))
    return frozenset(runs)


def names_refused(dealbreakers: Iterable[tuple[str, bool]]) -> frozenset[str]:
    """The names of a creator's dealbreakers, given as (text, understood): those of the
    dealbreakers the reader did not understand (an understood one is matched by its concepts)."""
    return frozenset(
        name for text, understood in dealbreakers if not understood for name in refused_names(text)
    )
