"""Text normalisation shared by the taxonomy and the tagger.

Both sides (taxonomy phrases and free text) go through the same functions, so a rule only has
to be consistent, not linguistically perfect: ``stem("animaux") == stem("animal")`` and
``stem("végétalienne") == stem("vegetalien")`` is all the matcher needs.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

LEXICON = json.loads((Path(__file__).parent / "data" / "lexicon.json").read_text("utf-8"))

# Words that carry no meaning for matching. They are dropped before phrase matching, so
# "tests sur les animaux" and "testé sur animaux" meet on [test, animal].
STOPWORDS_EN = frozenset(LEXICON["stopwords_en"])
STOPWORDS_FR = frozenset(LEXICON["stopwords_fr"])
_ASCII_FR_STOPWORDS = frozenset(
    unicodedata.normalize("NFKD", w).encode("ascii", "ignore").decode() for w in STOPWORDS_FR
)
STOPWORDS = STOPWORDS_EN | _ASCII_FR_STOPWORDS

# Negation cues that can precede what they negate ("not tested on animals", "sans fourrure").
PREFIX_CUES = frozenset(LEXICON["prefix_negation_cues"])
# Cues that follow what they negate ("palm oil free", "fur-free", "meat alternatives").
POSTFIX_CUES = frozenset(LEXICON["postfix_negation_cues"])
CUES = PREFIX_CUES | POSTFIX_CUES
# Words after which "free" or "libre" says free of charge or free to do, not "-free": "museums
# should be free", "for free", "entrée libre", "temps libre".
NOT_SUFFIXED = frozenset(
    {
        "be", "is", "are", "was", "were", "been", "being", "stay", "stays", "remain", "remains",
        "feel", "for", "set", "break", "get", "est", "sont", "etre", "soit", "sera", "reste",
        "restent", "entree", "acces", "temps", "vente",
    }
)  # fmt: skip

# Words that join list items: negation carries over them ("no fur, leather or exotic skins").
COORDINATORS = frozenset(LEXICON["coordinators"])

# Words after which a new clause starts: negation never crosses them.
CLAUSE_WORDS = frozenset(LEXICON["clause_words"])

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
# "0%", "0,0 %", "0.0%": the absence of what it qualifies, before or after it ("0% alcool",
# "bières 0,0%"). Read as the single cue "0" (a prefix and a postfix cue of the lexicon); the
# comma of "0,0" would otherwise close the clause.
_ZERO_PERCENT = re.compile(r"(?<![\d.,])0(?:[.,]0+)?\s*%")
# French "ai" is the verb after "j'" or "n'" ("j'ai", "je n'ai"); elsewhere it is AI (the
# word takes part in terms such as "AI voices").
_AVOIR = re.compile(r"\b([jn])'ai\b")
_TOKEN = re.compile(r"#[\w+]+|[a-z0-9]+(?:\+)?|[.;:!?()\[\]\n|]|,")


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    out = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return out.replace("œ", "oe").replace("æ", "ae").replace("Œ", "OE").replace("ß", "ss")


def fold(text: str) -> str:
    """Lowercase, accent-free, apostrophes unified, English contractions expanded."""
    text = strip_accents(text.translate(_APOSTROPHES)).lower()
    text = re.sub(r"n't\b", " not", text)
    text = re.sub(r"\bfree (?:from|of)\b", "without", text)
    return text


def split_camel(word: str) -> str:
    return _CAMEL.sub(" ", word)


def squash(text: str) -> str:
    """The form used to compare hashtags: ``"Cruelty-free!"`` -> ``"crueltyfree"``."""
    return re.sub(r"[^a-z0-9]", "", fold(text))


_FEMININE = (
    ("iennes", "ien"),
    ("ienne", "ien"),
    ("euses", "eur"),
    ("euse", "eur"),
    ("trices", "teur"),
    ("trice", "teur"),
    ("ives", "if"),
    ("ive", "if"),
    ("elles", "el"),
    ("elle", "el"),
)


# Words the rules below would turn into another everyday word: "soie" (silk) is not "soi"
# (oneself: "confiance en soi"); "smoked" (salmon, ham) is not "smoking" (tobacco).
_KEEP = {"soie": "soie", "soies": "soie", "smoked": "smoked"}


def stem(word: str) -> str:  # noqa: C901 - a table of suffix rules written as code
    """A deliberately small FR/EN stemmer: plural, feminine and -ing/-ed endings."""
    w = word
    if len(w) <= 3 or w.isdigit():
        return w
    if w in _KEEP:
        return _KEEP[w]
    if w.endswith("aux") and len(w) > 4:
        return w[:-3] + "al"
    for suffix, repl in _FEMININE:
        if w.endswith(suffix) and len(w) > len(suffix) + 2:
            return w[: -len(suffix)] + repl
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith(("s", "x")) and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if w.endswith("ing") and len(w) > 5:
        w = w[:-3]
    elif w.endswith("ed") and len(w) > 4:
        w = w[:-2]
    if w.endswith("ee") and len(w) > 4:  # French feminine past participle: "fabriquée"
        w = w[:-1]
    if w.endswith("e") and len(w) > 3:
        w = w[:-1]
    return w


def raw_tokens(text: str) -> list[str]:
    """Folded tokens of ``text``; hashtags keep their ``#`` and their original case split.

    Punctuation that ends a clause is kept as the token ``"."``, a comma as ``","``. Hyphens
    and quotes disappear: "cruelty-free" and "cruelty free" are the same two tokens.
    """
    # camelCase inside hashtags only: "#CrueltyFree" -> "#cruelty free" later needs the case.
    text = re.sub(r"#(\w+)", lambda m: "#" + split_camel(m.group(1)).replace(" ", "_"), text)
    folded = _AVOIR.sub(r"\1 ", _ZERO_PERCENT.sub(" 0 ", fold(text)))
    folded = folded.replace("'", " ").replace("-", " ").replace("/", " ")
    out: list[str] = []
    for tok in _TOKEN.findall(folded):
        if tok[0] == "#" or tok[0].isalnum():
            out.append(tok.rstrip("+"))
        elif tok == ",":
            out.append(",")
        else:
            out.append(".")
    return out


def normalize_phrase(text: str) -> tuple[str, ...]:
    """Stemmed content tokens of a phrase, as used for matching and for term resolution."""
    return tuple(stem(t) for t in raw_tokens(text) if t not in STOPWORDS and t not in ".,")


def written_form(phrase: str) -> str | None:
    """The words of ``phrase`` as written, space-separated, when its small words carry its
    meaning: several words, of which the matcher keeps only one (matching.tagging._Phrase)."""
    words = [t for t in raw_tokens(phrase) if t not in ".," and not t.startswith("#")]
    dropped = [t for t in words if t in STOPWORDS and len(t) > 1]  # not the "s" of "mcdonald's"
    return " ".join(words) if dropped and len(normalize_phrase(phrase)) == 1 else None
