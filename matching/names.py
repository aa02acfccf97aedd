"""Names a creator refuses and names a brand states: literal matching where no concept fits.

A dealbreaker the reader does not understand is often a name: a company ("Nestlé", "Amazon
(jamais)"), a few of them ("Shein, Temu & co") or a short term of its own ("grande
distribution"). No taxonomy holds them, and text similarity only ranks. Such a dealbreaker
keeps its words here, and a brand whose own name or whose stated practices hold those words is
filtered out for that creator, as a practice the creator refuses would be. A practice phrase
with a negation cue ("sans passer par Amazon", "Shein not accepted") states none of its
names: of a brand, a denial names what it does not do.

Some names stand for others (``data/companies.json``): a brand stating one a group owns states
the group too ("croquettes Royal Canin" names Mars, "Nespresso" Nestlé), and a word for several
companies refuses each of them ("GAFAM"). A dealbreaker that lists known companies in
parentheses ("le lobby du lait infantile (Nestlé & co)") refuses them by name as well, whether
or not the reader understood the rest.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from pathlib import Path

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


COMPANIES = Path(__file__).parent / "data" / "companies.json"


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(fold(text)) if w not in _FILLERS]


def _name(text: str) -> str:
    return " ".join(_words(text))


class _Companies:
    """``owner``: a brand's name -> the names of the group that owns it; ``members``: a word
    for several companies -> their names, and a group's name -> its other names ("Mars Inc."
    is Mars, "Bernard Arnault" LVMH); ``known``: every name of either."""

    def __init__(self, raw: dict) -> None:
        self.owner: dict[str, tuple[str, ...]] = {}
        self.members: dict[str, tuple[str, ...]] = {}
        common = {_name(n) for n in raw["common_words"]}
        for group in raw["owners"]:
            names = tuple(_name(n) for n in group["names"])
            for brand in group["brands"]:
                self.owner[_name(brand)] = names
            # a group's other names, but not one that is also a common word ("Mars Inc." is
            # not every "Mars": "crewed missions to Mars by 2040")
            for name in names:
                self.members[name] = tuple(n for n in names if n != name and n not in common)
        for word, names in raw["groups"].items():
            self.members[_name(word)] = tuple(_name(n) for n in names)
        self.known = self.owner.keys() | self.members.keys()  # every group's names are keys


@functools.cache
def _companies() -> _Companies:
    return _Companies(json.loads(COMPANIES.read_text("utf-8")))


def _with_members(names: Iterable[str]) -> tuple[str, ...]:
    members = _companies().members
    return tuple(dict.fromkeys(n for name in names for n in (name, *members.get(name, ()))))


def _listed(text: str) -> list[str]:
    """The items of a list of up to MAX_WORDS words each."""
    return [
        " ".join(words)
        for item in _LIST.split(text)
        if 1 <= len(words := _words(item)) <= MAX_WORDS
    ]


def refused_names(text: str) -> tuple[str, ...]:
    """The names a dealbreaker phrase stands for (one the reader did not understand), folded:
    each item of a list of up to MAX_WORDS words, parentheses left out ("Nestlé (or anything
    they own)" is Nestlé) unless they list known companies ("Mars (Whiskas, Sheba)"); a word
    for several companies stands for each ("GAFAM")."""
    folded = fold(text)
    return _with_members([*_listed(_PARENTHESES.sub(" ", folded)), *_in_parentheses(folded)])


def _in_parentheses(folded: str) -> list[str]:
    known = _companies().known
    return [
        name
        for inside in _PARENTHESES.findall(folded)
        for name in _listed(inside[1:-1])
        if name in known
    ]


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
    owner = _companies().owner
    return frozenset(runs.union(*(owner[run] for run in runs & owner.keys())))


def names_refused(dealbreakers: Iterable[tuple[str, bool]]) -> frozenset[str]:
    """The names of a creator's dealbreakers, given as (text, understood): those of the
    dealbreakers the reader did not understand (an understood one is matched by its concepts),
    and the known companies any of them lists in parentheses."""
    return frozenset(
        name
        for text, understood in dealbreakers
        for name in (
            refused_names(text) if not understood else _with_members(_in_parentheses(fold(text)))
        )
    )
