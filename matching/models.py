"""Plain dataclasses exchanged with the rest of the project (no framework types)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from matching.closeness import FINGERPRINT_BYTES, BriefPhrases
from matching.semantic import DIM

ETH = "ETH"


def normalize_token(token: str) -> str:
    """Token key used everywhere: ``"ETH"`` upper case, ERC-20 addresses lower case.

    Lower-casing an address only for comparison keeps a checksummed and a lower-case spelling
    of the same contract equal; the API keeps the checksummed form for display.
    """
    t = token.strip()
    if t.lower().startswith("0x"):
        return t.lower()
    return t.upper()


@dataclass
class Audience:
    followers: int
    engagement_rate: float = 0.0  # 0.035 means 3.5 %
    countries: list[str] = field(default_factory=list)  # ISO 3166-1 alpha-2

    def __post_init__(self) -> None:
        if isinstance(self.followers, bool) or int(self.followers) != self.followers:
            raise ValueError("followers must be an integer")
        self.followers = int(self.followers)
        if self.followers < 0:
            raise ValueError("followers must be >= 0")
        self.engagement_rate = float(self.engagement_rate)
        if not 0.0 <= self.engagement_rate <= 1.0:
            raise ValueError("engagement_rate must be in [0, 1]")
        self.countries = [c.strip().upper() for c in self.countries]


@dataclass
class CreatorProfile:
    """A creator as the matcher sees it.

    ``values`` maps slug (or label or synonym, resolved by the index) to a weight in (0, 1];
    a plain list means weight 1 each. ``min_fee`` is per token: ``{"ETH": 10**17}``; a token
    absent from it is not accepted, and a brief paying in that token filters the creator out.
    """

    creator_id: str
    values: dict[str, float] | list[str] = field(default_factory=dict)
    dealbreakers: list[str] = field(default_factory=list)
    is_virtual: bool = False
    languages: list[str] = field(default_factory=list)  # ISO 639-1
    audience: dict[str, Audience] = field(default_factory=dict)  # platform -> Audience
    min_fee: dict[str, int] = field(default_factory=dict)  # token -> smallest units
    completed_deals: int = 0
    display_name: str = ""
    # What its own words are about (matching.semantic.creator_meaning), or None.
    meaning: np.ndarray | None = None
    # Its phrases' fingerprints (matching.closeness.creator_phrases), or None.
    phrases: np.ndarray | None = None
    # Values read too loosely to be held (matching.interpret.loose): they earn alignment
    # credit, but neither refuse the brand's practices by implication nor embrace one.
    loose: frozenset[str] = frozenset()
    # Dealbreakers no concept covers, as words to find in what a brand states (matching.names):
    # "nestle", "shein", "grande distribution".
    refused_names: frozenset[str] = frozenset()
    # Which state of the creator this is, as its owner counts (the API: the microsecond its row
    # last changed). The index keeps it, so that a caller can tell whether the index holds the
    # creator as the caller sees it now (MatchIndex.score_indexed).
    version: int = 0

    def __post_init__(self) -> None:
        self.creator_id = str(self.creator_id)
        self.version = int(self.version)
        self.loose = frozenset(self.loose)
        self.refused_names = frozenset(self.refused_names)
        self.meaning = _meaning(self.meaning)
        self.phrases = _fingerprints(self.phrases)
        if isinstance(self.values, list | tuple | set | frozenset):
            self.values = {v: 1.0 for v in self.values}
        else:
            self.values = dict(self.values)
        self.dealbreakers = list(self.dealbreakers)
        self.languages = [lang.strip().lower() for lang in self.languages]
        audience = {}
        for platform, aud in dict(self.audience).items():
            if isinstance(aud, dict):
                aud = Audience(**aud)
            audience[platform.strip().lower()] = aud
        self.audience = audience
        fees = {}
        for token, amount in dict(self.min_fee).items():
            fees[normalize_token(token)] = _amount(amount, "min_fee")
        self.min_fee = fees
        if int(self.completed_deals) < 0:
            raise ValueError("completed_deals must be >= 0")
        self.completed_deals = int(self.completed_deals)

    @property
    def countries(self) -> set[str]:
        return {c for aud in self.audience.values() for c in aud.countries}


@dataclass
class Brief:
    """A brand's collaboration request as the matcher sees it.

    ``platforms``: the creator must be present on at least one of them (all of them when
    ``require_all_platforms``); ``min_followers`` applies to the creator's largest audience on
    the requested platforms (on any platform when none is requested). ``countries``: at least
    one must be among the creator's audience countries. Empty lists mean "any".
    Practice slugs found in ``values`` count as practices of the brand.
    """

    values: dict[str, float] | list[str] = field(default_factory=dict)
    practices: list[str] = field(default_factory=list)
    # Practices the brand's own words deny ("bières 0,0% alcool", "faux fur"). One it also
    # has (a "brasserie artisanale" that only brews 0.0% beer) is uncertain: an explicit
    # dealbreaker on it still screens the creator out, an implicit refusal does not.
    practices_denied: list[str] = field(default_factory=list)
    budget: int = 0
    token: str = ETH
    languages: list[str] = field(default_factory=list)
    platforms: list[str] = field(default_factory=list)
    min_followers: int = 0
    countries: list[str] = field(default_factory=list)
    lang: str = "en"
    require_all_platforms: bool = False
    # Matching (not screening one offer): a creator with no credit on any of the brief's causes
    # is filtered out, inside the index and before the top k (a brief naming no cause keeps
    # everyone). Screening leaves it off: the creator's own alignment bar judges an offer.
    require_shared_value: bool = False
    # The runs of words the brand states, in its name and its practices that deny nothing
    # (matching.names.stated_names): a creator refusing one of them by name is filtered out.
    stated_names: frozenset[str] = frozenset()
    # What the brief and its brand say, as a vector (matching.semantic.brief_meaning), or None.
    meaning: np.ndarray | None = None
    # Its phrases' fingerprints and weights (matching.closeness.brief_phrases), or None.
    phrases: BriefPhrases | None = None

    def __post_init__(self) -> None:
        self.meaning = _meaning(self.meaning)
        if isinstance(self.values, list | tuple | set | frozenset):
            self.values = {v: 1.0 for v in self.values}
        else:
            self.values = dict(self.values)
        self.practices = list(self.practices)
        self.practices_denied = list(self.practices_denied)
        self.stated_names = frozenset(self.stated_names)
        self.budget = _amount(self.budget, "budget")
        self.token = normalize_token(self.token)
        self.languages = [x.strip().lower() for x in self.languages]
        self.platforms = [x.strip().lower() for x in self.platforms]
        self.countries = [x.strip().upper() for x in self.countries]
        self.min_followers = int(self.min_followers)
        if self.min_followers < 0:
            raise ValueError("min_followers must be >= 0")
        self.lang = (self.lang or "en").lower()
        if self.lang not in ("fr", "en"):
            raise ValueError("lang must be 'fr' or 'en'")


@dataclass
class FilterReason:
    """Why a hard filter removed a creator. ``code`` is stable; ``message`` is for people."""

    code: str
    message: str
    detail: dict = field(default_factory=dict)


@dataclass
class Match:
    creator_id: str
    score: float
    components: dict[str, float]
    explanation: str
    is_virtual: bool


def _meaning(vector) -> np.ndarray | None:
    if vector is None:
        return None
    vector = np.asarray(vector, dtype=np.int8).reshape(-1)
    if vector.shape != (DIM,):
        raise ValueError(f"a meaning vector has {DIM} int8 coordinates")
    return vector


def _fingerprints(bits) -> np.ndarray | None:
    if bits is None:
        return None
    bits = np.asarray(bits, dtype=np.uint8)
    if bits.ndim != 2 or bits.shape[1] != FINGERPRINT_BYTES or not len(bits):
        raise ValueError(f"phrase fingerprints are rows of {FINGERPRINT_BYTES} bytes")
    return bits


def _amount(value, name: str) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{name} must be an integer amount")
    if isinstance(value, str):
        value = value.strip()
        if not value.isdigit():
            raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
        return int(value)
    if isinstance(value, float):
        raise ValueError(f"{name} must be an integer amount in smallest units, not a float")
    value = int(value)
    if value < 0:
        raise ValueError(f"{name} must be >= 0")
    return value
