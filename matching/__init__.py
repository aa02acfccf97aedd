"""Value-based matching of brands' briefs to creators: taxonomy, tagging, filters, ranking.

Pure library: numpy and the standard library only.
"""

from matching.diversity import diversify_matches, exposure_gini
from matching.index import MatchIndex
from matching.models import Audience, Brief, CreatorProfile, FilterReason, Match
from matching.scoring import WEIGHTS, ScoreWeights
from matching.tagging import detect_language, tag_text
from matching.taxonomy import Taxonomy, UnknownValueError, ValueEntry, load_taxonomy

__all__ = [
    "Audience",
    "Brief",
    "CreatorProfile",
    "FilterReason",
    "Match",
    "MatchIndex",
    "ScoreWeights",
    "Taxonomy",
    "UnknownValueError",
    "ValueEntry",
    "WEIGHTS",
    "detect_language",
    "diversify_matches",
    "exposure_gini",
    "load_taxonomy",
    "tag_text",
]
