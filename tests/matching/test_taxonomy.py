"""The taxonomy data file, its checks and term resolution."""

from __future__ import annotations

import re

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
    assert len(taxonomy.entries) >= 200
    for slug in REQUIRED:
        assert slug in taxonomy
    for e in taxonomy.entries:
        assert e.kind in ("cause", "practice")
        assert e.labels["fr"]
        assert e.labels["en"]
        assert e.synonyms["fr"], e.slug
        assert e.synonyms["en"], e.slug


def test_parents_and_conflicts(taxonomy: Taxonomy):
    assert taxonomy.get("veganism").parents == ["animal-welfare", "plant-based"]
    assert {"animal-testing", "fur"} <= set(taxonomy.get("animal-welfare").conflicts)
    assert "fossil-fuels" in taxonomy.get("climate").conflicts
    # conflicts are inherited down the parent links
    assert {"animal-testing", "fur", "leather"} <= taxonomy.refusals("veganism")
    assert "animal-welfare" in taxonomy.ancestors("cruelty-free")
    # eating plant-based refuses dairy and eggs, not honey or wool: that is veganism
    assert {"dairy", "eggs", "meat"} <= taxonomy.refusals("plant-based")
    assert not {"honey", "wool", "silk"} & taxonomy.refusals("plant-based")
    assert {"honey", "wool", "silk"} <= taxonomy.refusals("veganism")


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


def test_every_concept_is_described_in_both_languages(taxonomy: Taxonomy):
    for e in taxonomy.entries:
        assert sorted(e.descriptions) == ["en", "fr"], e.slug
        assert all(len(text.split()) >= 4 for text in e.descriptions.values()), e.slug
    assert taxonomy.to_dict()["entries"][0]["descriptions"] == taxonomy.entries[0].descriptions


# Everyday domains people name, with the side each one sits on: a dealbreaker only ever meets
# practices, so "child labour" must be a practice and fighting it a cause.
KINDS = {
    "cause": [
        "football", "running", "sport-for-all", "womens-sport", "gaming", "esports", "web3",
        "alcohol-free", "respectful-farming", "sustainable-fashion", "circular-economy",
        "digital-privacy", "cybersecurity", "financial-literacy", "body-positivity",
        "mental-health", "disability-inclusion", "education", "lgbtq-rights", "feminism",
        "local-food", "organic-food", "climate", "ocean-protection", "travel", "parenthood",
        "fair-trade", "fight-child-labour", "cruelty-free",
    ],
    "practice": [
        "gambling", "crypto", "nft", "alcohol", "meat", "dairy", "eggs", "honey", "wool", "silk",
        "leather", "fur", "palm-oil", "fossil-fuels", "aviation", "data-sharing",
        "targeted-advertising", "fast-fashion", "tobacco", "weapons", "cosmetic-surgery",
        "diet-culture", "child-labour", "animal-testing", "factory-farming", "single-use-plastic",
    ],
}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_everyday_domains_sit_on_their_side(taxonomy: Taxonomy, kind):
    assert [s for s in KINDS[kind] if s not in taxonomy or taxonomy.get(s).kind != kind] == []


def test_causes_and_practices_stay_apart(taxonomy: Taxonomy):
    assert len(taxonomy.causes) + len(taxonomy.practices) == len(taxonomy)
    assert len(taxonomy.practices) >= 60
    for e in taxonomy.entries:
        if e.kind == "practice":
            assert e.parents == [], e.slug
            assert e.conflicts == [], e.slug
            assert e.negation is None or taxonomy.get(e.negation).kind == "cause", e.slug
        else:
            assert all(taxonomy.get(p).kind == "cause" for p in e.parents), e.slug
            assert e.negation is None, e.slug


def test_every_conflict_pairs_a_cause_with_a_practice(taxonomy: Taxonomy):
    pairs = [(e.slug, c) for e in taxonomy.entries for c in e.conflicts]
    assert len(pairs) >= 60
    for cause, practice in pairs:
        assert (taxonomy.get(cause).kind, taxonomy.get(practice).kind) == ("cause", "practice")
    assert {"hunting", "animal-entertainment"} <= taxonomy.refusals("veganism")
    assert {"dairy", "eggs", "honey", "wool", "silk"} <= taxonomy.refusals("veganism")
    assert {"child-labour", "labour-exploitation"} <= taxonomy.refusals("fair-trade")
    assert {"diet-culture", "cosmetic-surgery"} <= taxonomy.refusals("body-positivity")
    assert "factory-farming" in taxonomy.refusals("respectful-farming")
    # a topic people enjoy opposes nothing: a gamer is not screened out of loot boxes
    assert "loot-boxes" not in taxonomy.refusals("esports")


def test_a_refusal_of_a_practice_refuses_what_it_covers(taxonomy: Taxonomy):
    assert {"meat", "dairy", "wool", "silk", "leather", "fur"} <= taxonomy.covered(
        "animal-products"
    )
    assert "mulesing" in taxonomy.covered("animal-products")  # through wool
    assert taxonomy.covered("crypto") == {"crypto", "nft", "speculative-crypto"}
    assert taxonomy.covered("nft") == {"nft"}
    # paying to open loot boxes is gambling: a betting refusal refuses them too
    assert "loot-boxes" in taxonomy.covered("gambling")
    assert taxonomy.covered("loot-boxes") == {"loot-boxes"}


def _claims(taxonomy: Taxonomy) -> dict[str, set[str]]:
    from matching.text import fold, normalize_phrase, squash

    claims: dict[str, set[str]] = {}
    for e in taxonomy.entries:
        terms = [e.slug, *e.labels.values()]
        for lang in ("fr", "en"):
            terms += e.synonyms[lang] + e.problems[lang]
        for t in terms:
            for key in (fold(t).replace("-", " "), " ".join(normalize_phrase(t)), squash(t)):
                claims.setdefault(" ".join(key.split()), set()).add(e.slug)
        for h in e.hashtags:
            claims.setdefault(squash(h), set()).add(e.slug)
    claims.pop("", None)
    return claims


def test_no_term_belongs_to_two_concepts(taxonomy: Taxonomy):
    shared = {k: v for k, v in _claims(taxonomy).items() if len(v) > 1}
    assert shared == {}
    blocked = {" ".join(t.split()) for ps in taxonomy.blockers.values() for t in ps}
    assert blocked & set(_claims(taxonomy)) == set()


@pytest.mark.parametrize(
    ("term", "slug"),
    [
        ("produits laitiers", "dairy"),
        ("football", "football"),
        ("foot", "football"),
        ("airlines", "aviation"),
        ("compagnies aériennes", "aviation"),
        ("cybersecurity", "cybersecurity"),
        ("crypto", "crypto"),
        ("NFT", "nft"),
        ("jeux vidéo", "gaming"),
        ("gaming", "gaming"),
        ("esport", "esports"),
        ("paris sportifs", "gambling"),
        ("finances perso", "financial-literacy"),
        ("wool", "wool"),
        ("silk", "silk"),
        ("élevage respectueux", "respectful-farming"),
        ("travail des enfants", "child-labour"),
        ("child labour", "child-labour"),
        ("diet culture", "diet-culture"),
        ("chirurgie esthétique", "cosmetic-surgery"),
        ("publicité ciblée", "targeted-advertising"),
        ("handisport", "sport-for-all"),
        ("#womeninsport", "womens-sport"),
        ("mocktails", "alcohol-free"),
        ("fast food", "junk-food"),
    ],
)
def test_everyday_words_resolve_to_their_concept(taxonomy: Taxonomy, term, slug):
    assert taxonomy.resolve(term) == slug


def test_opposites_are_tagged_apart():
    from matching import tag_text

    assert tag_text("Contre le travail des enfants") == {"fight-child-labour": 1.0}
    assert tag_text("travail des enfants", lang="fr") == {"child-labour": 1.0}
    assert tag_text("Saying no to diet culture") == {"body-positivity": 1.0}
    outdoor_hens = "élevage respectueux, poules élevées en plein air"
    assert tag_text(outdoor_hens) == {"respectful-farming": 1.0}
    assert tag_text("No wool, no silk") == {"veganism": 1.0}


def _entry(slug: str, kind: str = "cause", **extra) -> dict:
    return {"slug": slug, "kind": kind, "labels": {"fr": slug, "en": slug}} | extra


@pytest.mark.parametrize(
    ("entries", "blockers", "message"),
    [
        (
            [_entry("a", descriptions={"fr": "Une phrase."})],
            None,
            "descriptions need exactly fr and en",
        ),
        (
            [_entry("a", descriptions={"fr": "Une phrase.", "en": "  "})],
            None,
            "empty en description",
        ),
        (
            [_entry("p", "practice", conflicts=["q"]), _entry("q", "practice")],
            None,
            "a practice has no parents or conflicts",
        ),
        (
            [_entry("c"), _entry("p", "practice", parents=["c"])],
            None,
            "a practice has no parents or conflicts",
        ),
        (
            [_entry("p", "practice", negation="q"), _entry("q", "practice")],
            None,
            "only a practice negates, into a cause",
        ),
        (
            [_entry("c", negation="d"), _entry("d")],
            None,
            "only a practice negates, into a cause",
        ),
        (
            [
                _entry("a", synonyms={"en": ["running"]}),
                _entry("b", synonyms={"fr": ["Running"]}),
            ],
            None,
            "'Running' of b is also 'running' of a",
        ),
        (
            [_entry("a", synonyms={"en": ["refuges"]}), _entry("b", synonyms={"en": ["refuge"]})],
            None,
            "'refuge' of b is also 'refuges' of a",
        ),
        (
            [_entry("a", hashtags=["pride"]), _entry("b", problems={"en": ["pride"]})],
            None,
            "'pride' of b is also 'pride' of a",
        ),
        (
            [_entry("a", synonyms={"en": ["free range"]})],
            {"en": ["free range"]},
            "blocker 'free range' is a term of a",
        ),
        (
            [_entry("c", covers=["p"]), _entry("p", "practice")],
            None,
            "covers 'p': a practice covers other practices",
        ),
        (
            [_entry("p", "practice", covers=["c"]), _entry("c")],
            None,
            "covers 'c', which is not a practice",
        ),
    ],
)
def test_loader_refuses_ambiguous_or_mixed_entries(entries, blockers, message):
    from matching.taxonomy import taxonomy_from_dict

    with pytest.raises(ValueError, match=re.escape(message)):
        taxonomy_from_dict({"entries": entries, "blockers": blockers})
