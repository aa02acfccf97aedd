"""The web app's pages on both databases: language from Accept-Language or the switch, problems
shown as pages with the API's title and detail, nobody reading another account's offer, the
page's content security policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from eth_account import Account
from markupsafe import escape

from api.web.i18n import MESSAGES
from tests.api.test_web_sessions import _csrf, _signed_in
from tests.factories import (
    offer_body,
    post_request,
    register_brand,
    register_creator,
)

TAGLINE_EN, TAGLINE_FR = MESSAGES["tagline"]


def test_the_language_follows_accept_language_then_the_switch(client):
    french = client.get("/", headers={"Accept-Language": "de;q=0.9, fr-CA;q=0.8, en;q=0.1"})
    assert TAGLINE_FR in french.text
    assert '<html lang="fr">' in french.text
    assert TAGLINE_EN in client.get("/", headers={"Accept-Language": "en-GB"}).text
    switched = client.get("/web/lang/en?next=/offers", follow_redirects=False)
    assert switched.headers["location"] == "/offers"
    assert TAGLINE_EN in client.get("/", headers={"Accept-Language": "fr"}).text


def test_the_language_switch_stays_on_the_site(client):
    for target in ("//evil.example/", "https://evil.example/", "evil"):
        answer = client.get(f"/web/lang/fr?next={target}", follow_redirects=False)
        assert answer.headers["location"] == "/"


def test_pages_load_only_their_own_code(client):
    page = client.get("/")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "'unsafe-inline'" not in policy
    assert "frame-ancestors 'none'" in policy


@pytest.fixture
def creator_keys():
    return Account.create().key.hex(), Account.create().key.hex()


def test_a_creator_never_reads_another_creators_offer(client, creator_keys):
    mine, theirs = creator_keys
    brand = register_brand(client)
    register_creator(client, wallet=Account.from_key(mine).address)
    other = register_creator(client, wallet=Account.from_key(theirs).address)
    brief = post_request(brand)
    offer = brand.post(f"/v1/requests/{brief['id']}/offers", json=offer_body(other.id))
    assert offer.status_code == 201, offer.text
    assert _signed_in(client, mine).status_code == 200
    page = client.get(f"/offers/{offer.json()['id']}")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Not found" in page.text
    assert offer.json()["terms_text"][:40] not in page.text
    assert client.get(f"/v1/offers/{offer.json()['id']}").status_code == 404


def test_a_refused_form_shows_the_problem_and_changes_nothing(client):
    key = Account.create().key.hex()
    register_brand(client, wallet=Account.from_key(key).address)
    assert _signed_in(client, key).status_code == 200
    form = {
        "csrf_token": _csrf(client),
        "title": "Vegan lipstick",
        "description": "A vegan lipstick, never tested on animals.",
        "budget": "0.5000000000000000001",
        "deadline": (datetime.now(UTC) + timedelta(days=40)).date().isoformat(),
        "platform": "instagram",
        "format": "reel",
    }
    refused = client.post("/requests", data=form)
    assert refused.status_code == 422
    assert "Invalid input" in refused.text
    assert "budget" in refused.text
    assert "at most 18 decimals" in refused.text
    assert client.get("/v1/requests").json()["items"] == []
    form["budget"] = "0.5"
    made = client.post("/requests", data=form, follow_redirects=False)
    assert made.status_code == 303
    assert made.headers["location"].startswith("/requests/req_")
    [posted] = client.get("/v1/requests").json()["items"]
    assert posted["budget"] == {"amount": str(5 * 10**17), "token": "ETH"}


def test_a_brand_asks_why_a_creator_is_not_matched_by_handle(client):
    key = Account.create().key.hex()
    brand = register_brand(client, wallet=Account.from_key(key).address)
    german = register_creator(client, languages=["de"])
    brief = post_request(brand, audience={"languages": ["fr"], "platforms": ["instagram"]})
    assert _signed_in(client, key).status_code == 200
    handle = german.data["handle"].upper()  # handles are found whatever their case
    page = client.get(f"/requests/{brief['id']}", params={"why": "@" + handle})
    assert page.status_code == 200, page.text
    reasons = brand.get(f"/v1/requests/{brief['id']}/matches/{german.id}").json()["reasons"]
    assert reasons
    why = page.text.split('id="why-not"', 1)[1]
    assert "no match" in why
    for reason in reasons:
        assert str(escape(reason["message"])) in why
    unknown = client.get(f"/requests/{brief['id']}", params={"why": "nobody_here"})
    assert unknown.status_code == 404
    assert "Not found" in unknown.text
