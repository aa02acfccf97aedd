"""`POST /v1/values/interpret`: any phrase previewed, never rejected for its meaning."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


def _interpret(client: TestClient, **body):
    return client.post("/v1/values/interpret", json=body)


def test_a_negated_practice_is_read_with_its_polarity_and_labels_in_its_language(client):
    response = _interpret(client, text="sans huile de palme", role="practice")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "text": "sans huile de palme",
        "lang": "fr",
        "role": "practice",
        "concepts": [
            {"slug": "palm-oil", "label": "huile de palme", "confidence": 0.95},
        ],
        "negated": True,
        "understood": True,
        "reason": "named in the lexicon; negated by 'sans'",
    }


def test_a_value_defaults_to_causes_and_an_unknown_phrase_is_kept_not_understood(client):
    body = _interpret(client, text="vegan").json()
    assert body["role"] == "value"
    assert body["concepts"] == [{"slug": "veganism", "label": "veganism", "confidence": 1.0}]
    unknown = _interpret(client, text="the weather is nice today", lang="en").json()
    assert unknown["understood"] is False
    assert unknown["concepts"] == []
    assert unknown["text"] == "the weather is nice today"


def test_the_issue_dealbreaker_keeps_its_negation(client):
    text = "pas de distribution dans les pays qui imposent des tests sur les animaux"
    body = _interpret(client, text=text, role="practice").json()
    assert [c["slug"] for c in body["concepts"]] == ["animal-testing"]
    assert body["negated"] is True


def test_no_key_is_needed(client):
    assert _interpret(client, text="faux fur", role="practice").status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": "no\x00fur"}, "text"),
        ({"text": "x" * 501}, "text"),
        ({"text": ""}, "text"),
        ({"text": "   "}, "text"),
        ({"text": "vegan", "lang": "de"}, "lang"),
        ({"text": "vegan", "role": "wish"}, "role"),
        ({"text": "vegan", "extra": 1}, "extra"),
        ({}, "text"),
    ],
)
def test_bad_input_is_a_422_problem(client, body, field):
    response = _interpret(client, **body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in response.text


def test_a_text_of_500_characters_is_accepted(client):
    response = _interpret(client, text="no palm oil " + "x" * 488, role="practice")
    assert response.status_code == 200, response.text


def test_the_route_declares_only_422_and_the_automatic_limits(client):
    schema = client.get("/openapi.json").json()
    responses = schema["paths"]["/v1/values/interpret"]["post"]["responses"]
    assert {code for code in responses if code[0] in "45"} == {"413", "422", "429"}
