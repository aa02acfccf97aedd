"""The contract a deal is signed on (loi 2023-451, AI Act art. 50), through the API."""

from __future__ import annotations

from decimal import Decimal

import pytest
from eth_utils import keccak
from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.deals import make_deal
from tests.factories import (
    ONE_ETH,
    offer_body,
    post_request,
    register_brand,
    register_creator,
    request_body,
)

USAGE = {"paid_ads": True, "duration_days": 90, "territories": ["FR", "BE"]}


def _contract(client, *, brand=None, creator=None, request=None, **offer) -> str:
    brand = brand or register_brand(client, name="Maison Verte")
    creator = creator or register_creator(client)
    request = request or post_request(brand, audience={"countries": ["FR"]})
    response = brand.post(
        f"/v1/requests/{request['id']}/offers", json=offer_body(creator.id, **offer)
    )
    assert response.status_code == 201, response.text
    return response.json()["terms_text"]


def test_french_contract_names_every_article_8_item_and_the_labels(client) -> None:
    brand = register_brand(
        client,
        name="Maison Verte",
        legal_name="Maison Verte SAS",
        postal_address="3 quai des Chartrons, 33000 Bordeaux",
        email="contrats@maisonverte.example",
        tax_country="FR",
    )
    creator = register_creator(
        client,
        display_name="Lou",
        legal_name="Louise Martin",
        postal_address="Via Roma 1, 10121 Torino",
        email="lou@example.org",
        tax_country="it",
        retouched_images=True,
    )
    text = _contract(client, brand=brand, creator=creator, usage_rights=USAGE)
    for item in (
        # identities, postal and e-mail addresses, tax residence of each party
        "Identité / Identity: Maison Verte SAS (Maison Verte on Collab)",
        "Adresse postale / Postal address: 3 quai des Chartrons, 33000 Bordeaux",
        "Adresse e-mail / E-mail address: contrats@maisonverte.example",
        "Pays de résidence fiscale / Country of tax residence: FR",
        f"Identité / Identity: Louise Martin (Lou (@{creator.data['handle']}) on Collab)",
        "Adresse postale / Postal address: Via Roma 1, 10121 Torino",
        "Adresse e-mail / E-mail address: lou@example.org",
        "Pays de résidence fiscale / Country of tax residence: IT",
        # missions, remuneration and benefits in kind
        "- 2 × reel sur / on instagram",
        f"- Montant / Amount: {ONE_ETH // 2} wei (0.5 ETH)",
        "- Avantages en nature / Benefits in kind: aucun / none",
        # rights and obligations, intellectual property and usage rights
        "L'influenceur reste titulaire des droits d'auteur",
        "- Publicité payante / Paid ads: oui / yes",
        "- Durée / Duration: 90 j / days",
        "- Territoires / Territories: FR, BE",
        # French law for a French audience, joint liability
        "le présent contrat est soumis au droit français",
        "this contract is governed by French law",
        "solidairement responsables des dommages causés aux tiers",
        "jointly and severally liable for damage caused to third parties",
        "(loi 2023-451, art. 8 III)",
        # art. 5 labels, the platform's paid-partnership tool
        "- « Publicité » ou « Collaboration commerciale »",
        "- « Images retouchées »",
        "Instagram: « Partenariat rémunéré » / Paid partnership label",
    ):
        assert item in text, item
    assert "« Images virtuelles »" not in text
    assert "2024/1689" not in text
    assert "Royaume-Uni" not in text
    assert "États-Unis" not in text


def test_virtual_creator_contracts_through_its_operator_with_ai_labels(client) -> None:
    creator = register_creator(
        client,
        display_name="Vera",
        is_virtual=True,
        operator="Studio Lumen",
        legal_name="Studio Lumen SAS",
        postal_address="8 rue Oberkampf, 75011 Paris",
        email="ops@lumen.example",
        tax_country="FR",
    )
    text = _contract(client, creator=creator)
    for item in (
        "la partie au contrat est son opérateur, la personne responsable (Studio Lumen)",
        "the contracting party is its operator, the legal person responsible (Studio Lumen)",
        "Identité / Identity: Studio Lumen SAS",
        "Adresse postale / Postal address: 8 rue Oberkampf, 75011 Paris",
        "- « Publicité » ou « Collaboration commerciale »",
        "- « Images virtuelles »",
        '("Virtual images")',
        "Règlement (UE) 2024/1689 sur l'intelligence artificielle, art. 50",
        "neither strips nor alters the machine-readable marks",
        # no usage rights offered: the brand gets none beyond the publication
        "none beyond the influencer's own publication",
    ):
        assert item in text, item
    assert "« Images retouchées »" not in text


def test_uk_and_us_audiences_get_their_labels_and_no_french_rules(client) -> None:
    brand = register_brand(client, legal_name=None, postal_address=None, email=None)
    creator = register_creator(
        client, audience={"youtube": {"followers": 5000, "countries": ["GB", "US"]}}
    )
    request = post_request(
        brand,
        audience={"countries": ["GB", "US"]},
        deliverables=[{"platform": "youtube", "format": "video", "count": 1}],
    )
    # No French audience: no written contract is required, whatever the identities.
    text = _contract(client, brand=brand, creator=creator, request=request)
    assert 'United Kingdom (ASA CAP Code, CMA): "Ad" (or "#ad") first' in text
    assert 'United States (FTC, 16 CFR Part 255): "#ad" (or "Sponsored"), clear and near' in text
    assert "YouTube: « Contient une promotion rémunérée » / Includes paid promotion" in text
    assert "The targeted audience is not in France" in text
    assert "Publicité »" not in text
    assert "Identité / Identity: non communiqué / not provided (" in text


@pytest.mark.parametrize(
    ("category", "rule"),
    [
        ("nicotine-products", "nicotine products"),
        ("non-domestic-animals", "products and services involving non-domestic animals"),
    ],
)
def test_prohibited_category_is_refused_for_france_and_allowed_elsewhere(
    client, category, rule
) -> None:
    brand = register_brand(client)
    refused = brand.post(
        "/v1/requests",
        json={**request_body(), "categories": [category], "audience": {"countries": ["FR"]}},
    )
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["type"] == "urn:collab:problem:prohibited-category"
    assert problem["detail"] == (
        f"Art. 4 loi 2023-451: {rule} may not be promoted to a French audience"
    )
    assert problem["rules"][0]["id"] == category

    german = register_creator(
        client, audience={"instagram": {"followers": 9000, "countries": ["DE"]}}
    )
    allowed = post_request(brand, categories=[category], audience={"countries": ["DE"]})
    assert allowed["categories"] == [category]
    text = _contract(client, brand=brand, creator=german, request=allowed)
    assert "Ces catégories ne peuvent pas être promues auprès d'un public en France" in text


def test_prohibited_category_is_refused_at_offer_time_from_the_creators_audience(client) -> None:
    """A request naming no country is posted; the offer then targets the creator's audience."""
    brand = register_brand(client)
    request = post_request(brand, categories=["nicotine-products"], audience={})
    french = register_creator(client)  # audience FR and BE
    response = brand.post(f"/v1/requests/{request['id']}/offers", json=offer_body(french.id))
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == (
        "Art. 4 loi 2023-451: nicotine products may not be promoted to a French audience"
    )
    assert brand.get("/v1/offers").json()["items"] == []  # refused offers change nothing
    german = register_creator(
        client, audience={"instagram": {"followers": 9000, "countries": ["DE"]}}
    )
    response = brand.post(f"/v1/requests/{request['id']}/offers", json=offer_body(german.id))
    assert response.status_code == 201, response.text


def test_unknown_category_is_invalid_input(client) -> None:
    brand = register_brand(client)
    response = brand.post("/v1/requests", json={**request_body(), "categories": ["vapes"]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "categories.0"


def test_missing_identity_fields_are_a_422_naming_them(client) -> None:
    brand = register_brand(client, legal_name=None, postal_address=None)
    creator = register_creator(client, is_virtual=True, operator="Studio Lumen", email=None)
    request = post_request(brand)
    response = brand.post(f"/v1/requests/{request['id']}/offers", json=offer_body(creator.id))
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"] == "urn:collab:problem:contract-identity-missing"
    assert "the brand must fill in legal_name, postal_address" in problem["detail"]
    assert "the creator's operator must fill in email" in problem["detail"]
    assert [e["field"] for e in problem["errors"]] == [
        "brand.legal_name",
        "brand.postal_address",
        "creator.email",
    ]
    # Once the profiles are complete, the same offer goes through.
    assert (
        brand.patch(
            "/v1/brands/me", json={"legal_name": "B SA", "postal_address": "1 rue A, 75001 Paris"}
        ).status_code
        == 200
    )
    assert creator.patch("/v1/creators/me", json={"email": "a@b.example"}).status_code == 200
    response = brand.post(f"/v1/requests/{request['id']}/offers", json=offer_body(creator.id))
    assert response.status_code == 201, response.text


def test_below_the_yearly_threshold_no_written_contract_is_required(settings) -> None:
    """At 2,000 EUR/ETH: 0.4 ETH is 800 EUR (below 1,000, no identities needed), 0.5 ETH is
    1,000 EUR (the threshold itself: identities needed)."""
    priced = settings.model_copy(update={"eur_per_eth": Decimal(2000)})
    with TestClient(create_app(priced)) as client:
        brand = register_brand(client, legal_name=None)
        request = post_request(brand)
        for amount, status in ((ONE_ETH * 2 // 5, 201), (ONE_ETH // 2, 422)):
            creator = register_creator(client, tax_country=None)
            response = brand.post(
                f"/v1/requests/{request['id']}/offers",
                json=offer_body(creator.id, amount=str(amount)),
            )
            assert response.status_code == status, response.text
        assert [e["field"] for e in response.json()["errors"]] == [
            "brand.legal_name",
            "creator.tax_country",
        ]
        creator = register_creator(client)
        brand.patch("/v1/brands/me", json={"legal_name": "Brand SA"})
        offer = brand.post(f"/v1/requests/{request['id']}/offers", json=offer_body(creator.id))
        assert (
            "Euro equivalent at the offer: 1000.00 EUR (2000 EUR/ETH)" in offer.json()["terms_text"]
        )


def test_legal_identity_is_validated_and_can_be_cleared(client) -> None:
    for field, bad in (("email", "not-an-email"), ("tax_country", "XX"), ("legal_name", " ")):
        response = client.post(
            "/v1/brands",
            json={"name": "B", "wallet": "0x" + "12" * 20, field: bad},
        )
        assert response.status_code == 422, (field, response.text)
        assert response.json()["errors"][0]["field"] == field
    creator = register_creator(client, retouched_images=True)
    me = creator.get("/v1/me").json()
    assert me["tax_country"] == "FR"
    assert me["retouched_images"] is True
    updated = creator.patch("/v1/creators/me", json={"email": None, "retouched_images": False})
    assert updated.status_code == 200
    assert updated.json()["email"] is None
    assert updated.json()["retouched_images"] is False
    assert updated.json()["legal_name"] == me["legal_name"]


def test_the_signed_terms_hash_is_the_hash_of_the_contract_served(
    deal_client, chain, wallets, operator
) -> None:
    _, w3, _ = chain
    deal = make_deal(deal_client, w3, wallets, amount=ONE_ETH, usage_rights=USAGE)
    terms_hash = deal.typed_data()["message"]["termsHash"]
    deal.accept()
    url = f"{deal.collaboration_url}/contract"
    for party in (deal.brand, deal.creator):
        response = party.get(url)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "text/markdown; charset=utf-8"
        assert "0x" + keccak(response.content).hex() == terms_hash
        assert response.headers["terms-hash"] == terms_hash
        assert response.text == deal.offer["terms_text"]
    assert deal.state()["terms_hash"] == terms_hash
    assert operator.get(url).status_code == 403  # the arbiter sees the deal, not the contract
    stranger = register_brand(deal_client)
    assert stranger.get(url).status_code == 404
