"""Matching as brands and creators meet it, through the served API."""

from __future__ import annotations

from tests.e2e.flow import BRAND, french_brief, luna_id, ok
from tests.factories import auth, brand_body, creator_body, future


def test_cruelty_free_brand_french_brief_ranks_the_animal_welfare_virtual_creator_first(http):
    # A trap: talks about animals, but wears fur and has no animal-welfare values.
    ok(
        http.post(
            "/v1/creators",
            json=creator_body(
                bio="Mode, fourrure et maroquinerie de luxe ; j'adore les animaux de compagnie.",
                values=["sustainable fashion"],
                dealbreakers=[],
            ),
        ),
        201,
    )
    brief = french_brief(http)
    assert brief["lang"] == "fr"
    matches = ok(http.get(f"/v1/requests/{brief['id']}/matches", headers=BRAND))["items"]
    first = matches[0]
    assert first["creator"]["id"] == luna_id(http)
    assert first["is_virtual"] is True
    assert "bien-être animal" in first["explanation"] or "véganisme" in first["explanation"]


def test_creator_refusing_animal_testing_never_appears_for_a_brand_that_tests(http):
    tester = ok(
        http.post(
            "/v1/brands",
            json=brand_body(
                description="Cosmetics tested on animals where the law requires it.",
                values=["clean beauty"],
                practices=["animal testing"],
            ),
        ),
        201,
    )
    refuser = ok(
        http.post(
            "/v1/creators",
            json=creator_body(
                values=["clean beauty", "animal welfare"], dealbreakers=["animal testing"]
            ),
        ),
        201,
    )
    headers = auth(tester["api_key"])
    brief = ok(
        http.post(
            "/v1/requests",
            headers=headers,
            json={
                "title": "Clean beauty serum launch",
                "description": "We want clean beauty creators who love animals and skincare.",
                "budget": {"amount": str(10**18), "token": "ETH"},
                "deliverables": [{"platform": "instagram", "format": "post", "count": 1}],
                "deadline": future(30),
            },
        ),
        201,
    )
    for diversify in ("false", "true"):
        matches = ok(
            http.get(
                f"/v1/requests/{brief['id']}/matches",
                headers=headers,
                params={"limit": 100, "diversify": diversify},
            )
        )["items"]
        ids = {m["creator"]["id"] for m in matches}
        assert refuser["id"] not in ids
        assert luna_id(http) not in ids  # animal welfare implies refusing animal testing
    offer = ok(
        http.post(
            f"/v1/requests/{brief['id']}/offers",
            headers=headers,
            json={"creator_id": refuser["id"], "amount": str(10**18), "deliver_by": future(10)},
        ),
        201,
    )
    assert offer["status"] == "screened_out"
    inbox = ok(http.get("/v1/offers", headers=auth(refuser["api_key"])))["items"]
    assert inbox == []
