"""The taxonomy data file and term resolution."""

from __future__ import annotations

import pytest

from matching import Taxonomy, UnknownValueError, load_taxonomy

REQUIRED = [
    "animal-welfare", "veganism", "cruelty-free", "lgbtq-rights", "parenthood", "fatherhood",
    "sport-wellbeing", "sport-for-all", "disability-inclusion", "inclusion", "body-positivity",
    "mental-health", "environment", "climate", "zero-waste", "sustainable-fashion",
    "organic-food", "local-food", "fair-trade", "feminism", "education", "public-health",
    "digital-privacy",
    "animal-testing", "fur", "leather", "fossil-fuels", "fast-fashion", "alcohol", "tobacco",
    "gambling", "weapons", "sugary-drinks", "palm-oil", "speculative-crypto",
]  # fmt: skip


def test_load_is_cached_and_complete(taxonomy: Taxonomy):
    assert load_taxonomy() is taxonomy
    assert len(taxonomy.entries) >= 40
    for slug in REQUIRED:
        assert slug in taxonomy
    for e in taxonomy.entries:
        assert e.kind in ("cause", "practice")
        assert e.labels["fr"]
        assert e.labels["en"]
        assert e.synonyms["fr"], e.slug
        assert e.synonyms["en"], e.slug


def test_parents_and_conflicts(taxonomy: Taxonomy):
    assert taxonomy.get("veganism").parents == ["animal-welfare"]
    assert {"animal-testing", "fur"} <= set(taxonomy.get("animal-welfare").conflicts)
    assert "fossil-fuels" in taxonomy.get("climate").conflicts
    # conflicts are inherited down the parent links
    assert {"animal-testing", "fur", "leather"} <= taxonomy.refusals("veganism")
    assert "animal-welfare" in taxonomy.ancestors("cruelty-free")


@pytest.mark.parametrize(
    ("term", "slug"),
    [
        ("animal-welfare", "animal-welfare"),
        ("Animal welfare", "animal-welfare"),
        ("bien-être animal", "animal-welfare"),
        ("BIEN ETRE ANIMAL", "animal-welfare"),
        ("cause animale", "animal-welfare"),
        ("LGBTQ+ rights", "lgbtq-rights"),
        ("droits LGBTQ+", "lgbtq-rights"),
        ("végane", "veganism"),
        ("vegans", "veganism"),
        ("Paternité", "fatherhood"),
        ("#crueltyfree", "cruelty-free"),
        ("sans test sur les animaux", "cruelty-free"),
        ("fourrures", "fur"),
        ("  sport pour tous ", "sport-for-all"),
    ],
)
def test_resolve_slug_label_synonym_either_language(taxonomy: Taxonomy, term, slug):
    assert taxonomy.resolve(term) == slug


def test_unknown_term_has_suggestions(taxonomy: Taxonomy):
    with pytest.raises(UnknownValueError) as exc:
        taxonomy.resolve("animal welfair")
    assert exc.value.term == "animal welfair"
    assert exc.value.suggestions[0] == "animal-welfare"
    with pytest.raises(UnknownValueError):
        taxonomy.resolve("")


def test_resolve_many_reports_every_unknown_term(taxonomy: Taxonomy):
    assert taxonomy.resolve_many(["vegan", "Végane", "climat"]) == ["veganism", "climate"]
    with pytest.raises(UnknownValueError) as exc:
        taxonomy.resolve_many(["vegan", "feminisme", "qwertyuiop", "tricot du dimanche"])
    assert list(exc.value.unknown) == ["qwertyuiop", "tricot du dimanche"]
    assert "qwertyuiop" in str(exc.value)
    assert "tricot du dimanche" in str(exc.value)


def test_resolve_weights(taxonomy: Taxonomy):
    assert taxonomy.resolve_weights(["vegan", "climat"]) == {"veganism": 1.0, "climate": 1.0}
    assert taxonomy.resolve_weights({"vegan": 0.5, "végane": 0.8, "climat": 0}) == {"veganism": 0.8}


def test_to_dict_is_json_ready(taxonomy: Taxonomy):
    import json

    data = json.loads(json.dumps(taxonomy.to_dict()))
    assert len(data["entries"]) == len(taxonomy.entries)


def test_bad_taxonomy_is_rejected():
    from matching.taxonomy import taxonomy_from_dict

    entry = {
        "slug": "a",
        "kind": "cause",
        "labels": {"fr": "a", "en": "a"},
        "parents": ["missing"],
    }
    with pytest.raises(ValueError, match="unknown parent 'missing'"):
        taxonomy_from_dict({"entries": [entry]})
