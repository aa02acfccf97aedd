"""Tagging free text: labelled phrases, negation, hashtags, language detection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from matching import detect_language, load_taxonomy, tag_text

PHRASES = json.loads((Path(__file__).parent / "data" / "phrases.json").read_text("utf-8"))[
    "phrases"
]


def test_precision_and_recall_on_labelled_phrases():
    assert len(PHRASES) >= 100
    assert sum(detect_language(p["text"]) == "fr" for p in PHRASES) >= 40
    tp = fp = fn = 0
    errors = []
    for p in PHRASES:
        got, expected = set(tag_text(p["text"])), set(p["expected"])
        tp += len(got & expected)
        fp += len(got - expected)
        fn += len(expected - got)
        if got != expected:
            errors.append((p["text"], sorted(got), sorted(expected)))
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    print(f"tagging precision {precision:.3f} recall {recall:.3f} (tp={tp} fp={fp} fn={fn})")
    assert precision >= 0.9, errors
    assert recall >= 0.9, errors


@pytest.mark.parametrize(
    "text",
    [
        "not tested on animals",
        "Never tested on animals!",
        "ne teste pas sur les animaux",
        "Nos produits ne sont pas testés sur les animaux",
        "sans test sur les animaux",
        "sans tests sur les animaux",
        "non testé sur les animaux",
        "We are against animal testing",
        "Contre les tests sur les animaux",
        "animal testing free",
    ],
)
def test_negated_animal_testing_is_cruelty_free_never_animal_testing(text):
    tags = tag_text(text)
    assert "cruelty-free" in tags
    assert "animal-testing" not in tags


def test_plain_animal_testing_is_tagged():
    assert "animal-testing" in tag_text("This lab does animal testing for cosmetics")


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("VEGAN", "veganism"),
        ("végane", "veganism"),
        ("vegane", "veganism"),
        ("Végétaliennes", "veganism"),
        ("animaux abandonnés", "animal-rescue"),
        ("PAPAS", "fatherhood"),
        ("sportive", "sport-wellbeing"),
        ("féministes", "feminism"),
        ("énergies renouvelables", "renewable-energy"),
        ("energie renouvelable", "renewable-energy"),
    ],
)
def test_case_accents_plural_and_gender(text, slug):
    assert slug in tag_text(text)


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("#vegan", "veganism"),
        ("#crueltyfree", "cruelty-free"),
        ("#CrueltyFree", "cruelty-free"),
        ("#NotTestedOnAnimals", "cruelty-free"),
        ("#zerowastelife", "zero-waste"),
        ("#BodyPositive", "body-positivity"),
        ("#sportpourtous", "sport-for-all"),
        ("#LGBTQ", "lgbtq-rights"),
    ],
)
def test_hashtags(text, slug):
    assert slug in tag_text(text)


@pytest.mark.parametrize(
    ("text", "slug", "alone", "word"),
    [
        ("machines à sous", "gambling", "Kiosques équipés de machines à café", "machines"),
        ("well-being", "sport-wellbeing", "a well known brand, as well", "well"),
        ("plus-size", "body-positivity", "one size fits all", "size"),
        ("fait main", "local-production", "la main verte", "main"),
        ("meme coins", "speculative-crypto", "coin collecting", "coin"),
        ("to the moon", "speculative-crypto", "full moon rituals", "moon"),
        ("savoir-faire", "craftsmanship", "le savoir et la culture", "savoir"),
    ],
)
def test_a_phrase_whose_small_words_carry_it_is_not_its_one_word(text, slug, alone, word):
    """Once its small words are dropped, such a phrase is one word: it is read only when the
    text holds it as written."""
    lang = detect_language(alone)
    assert slug in tag_text(text, lang)
    assert slug not in tag_text(alone, lang)
    assert load_taxonomy().lookup(text) == slug
    assert load_taxonomy().lookup(word) is None  # the strict lookup reads it as written too


def test_hashtag_that_only_starts_like_a_value_is_not_tagged():
    assert tag_text("#furniture #arms") == {}


def test_multi_word_phrases_beat_their_words():
    assert tag_text("bien-être animal") == {"animal-welfare": 1.0}
    assert tag_text("sport pour tous") == {"sport-for-all": 1.0}
    assert tag_text("sacs en cuir végétal") == {"veganism": 1.0}


def test_negation_scope():
    assert tag_text("We never use fur") == {"animal-welfare": 1.0}
    assert set(tag_text("Without animal testing, fur or leather")) == {
        "cruelty-free",
        "animal-welfare",
        "veganism",
    }
    # a clause boundary or a comma ends the negation
    assert "leather" in tag_text("No fur, but leather is fine")
    assert "climate" in tag_text("Sans plastique, nous défendons le climat")
    # a negated cause is dropped, not turned into its opposite
    assert tag_text("not vegan") == {}


@pytest.mark.parametrize(
    "text",
    [
        "Nos bières 0,0% sont brassées comme des vraies",
        "gin 0.0 %",
        "0% alcool",
        "bières 0,0% alcool",
    ],
)
def test_zero_percent_negates_what_it_qualifies_before_or_after(text):
    assert tag_text(text, "fr" if "alcool" in text or "bières" in text else "en") == {
        "sobriety": 1.0
    }


def test_a_cause_that_is_the_absence_of_a_product_negates_it_right_after():
    assert tag_text("Alcohol-free spirits for mindful drinkers") == {"sobriety": 1.0}
    assert tag_text("spiritueux sans alcool") == {"sobriety": 1.0}
    # not across a coordinator: organic cotton and polyester are two things
    assert "synthetic-fibres" in tag_text("organic cotton and polyester blend")


def test_a_product_next_to_the_negation_of_its_substance_is_its_negated_form():
    assert tag_text("cocktails sans alcool") == {"sobriety": 1.0}
    # a comma separates two items: the wine is still wine
    assert "alcohol" in tag_text("wine, no alcohol-free options")


def test_problem_phrases_tag_the_cause_even_when_fought():
    assert tag_text("Lutte contre l'homophobie") == {"lgbtq-rights": 1.0}
    assert tag_text("against racism") == {"anti-racism": 1.0}


def test_single_words_only_match_in_their_language():
    assert tag_text("Au fur et à mesure de la semaine, nous cuisinons") == {}
    assert tag_text("link in bio") == {}
    assert "organic-food" in tag_text("Des produits bio pour toute la famille")


def test_weights_are_in_unit_interval_and_favour_repeated_values():
    tags = tag_text("Vegan recipes, vegan skincare, vegan everything. Also some yoga.")
    assert all(0 < w <= 1 for w in tags.values())
    assert tags["veganism"] == 1.0
    assert tags["sport-wellbeing"] < 1.0


def test_empty_and_neutral_text():
    assert tag_text("") == {}
    assert tag_text("   ") == {}
    assert tag_text("Hello world, nice weather today") == {}


def test_explicit_language_and_bad_language():
    assert tag_text("bio", lang="fr") == {"organic-food": 1.0}
    assert tag_text("bio", lang="en") == {}
    with pytest.raises(ValueError, match="lang must be 'fr' or 'en'"):
        tag_text("bio", lang="de")


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Nous sommes une marque de cosmétiques pour toute la famille", "fr"),
        ("Une cuisine végétale et gourmande", "fr"),
        ("We are a skincare brand for the whole family", "en"),
        ("Our products are made with love", "en"),
        ("Écologie", "fr"),
        ("", "en"),
    ],
)
def test_detect_language(text, lang):
    assert detect_language(text) == lang
