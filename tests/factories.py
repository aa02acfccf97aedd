"""Test data through the public API, the way clients create it."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from eth_account import Account
from fastapi.testclient import TestClient

_seq = itertools.count(1)
ONE_ETH = 10**18


def wallet() -> str:
    return Account.create().address


def future(days: float = 10) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def legal_identity(name: str) -> dict:
    """What a written contract names (loi 2023-451 art. 8): the factories' profiles carry it,
    since their default audience is French and their amounts need a written contract."""
    slug = name.lower().replace(" ", "-")
    return {
        "legal_name": f"{name} SAS",
        "postal_address": "12 rue de la Paix, 75002 Paris",
        "email": f"legal@{slug}.example",
        "tax_country": "FR",
    }


def brand_body(**overrides) -> dict:
    name = f"Brand {next(_seq)}"
    body = {
        "name": name,
        "description": "Cosmétiques véganes, jamais testés sur les animaux.",
        "wallet": wallet(),
        "values": ["cruelty-free", "veganism"],
        "practices": [],
        **legal_identity(name),
    }
    return body | overrides


def creator_body(**overrides) -> dict:
    n = next(_seq)
    body = {
        "handle": f"creator_{n}",
        "display_name": f"Creator {n}",
        "bio": "Je défends la cause animale et une cuisine végétale.",
        "is_virtual": False,
        "languages": ["fr", "en"],
        "audience": {
            "instagram": {"followers": 120_000, "engagement_rate": 0.04, "countries": ["FR", "BE"]}
        },
        "values": ["animal-welfare", "veganism"],
        "dealbreakers": ["animal-testing"],
        "min_fees": [{"amount": str(ONE_ETH // 10), "token": "ETH"}],
        "wallet": wallet(),
        "split": {"creator_share_bps": 10_000, "designers": [], "charities": []},
        "screening": {"min_alignment": 0.1},
        **legal_identity(f"Creator {n}"),
    }
    return body | overrides


def request_body(**overrides) -> dict:
    body = {
        "title": "Lancement d'un rouge à lèvres vegan",
        "description": "Nous cherchons des créateurs engagés pour la cause animale : "
        "cosmétiques véganes et cruelty-free, sans test sur les animaux.",
        "budget": {"amount": str(ONE_ETH), "token": "ETH"},
        "deliverables": [{"platform": "instagram", "format": "reel", "count": 2}],
        "deadline": future(30),
        "audience": {"min_followers": 1000, "languages": ["fr"], "platforms": ["instagram"]},
    }
    return body | overrides


def offer_body(creator_id: str, **overrides) -> dict:
    body = {
        "creator_id": creator_id,
        "amount": str(ONE_ETH // 2),
        "deliver_by": future(14),
        "review_period_seconds": 3 * 24 * 3600,
        "terms": "Two reels showing the lipstick, posted before the deadline.",
    }
    return body | overrides


def auth(api_key: str) -> dict:
    return {"Authorization": f"Bearer {api_key}"}


class Actor:
    """A registered brand or creator with its key."""

    def __init__(self, client: TestClient, data: dict) -> None:
        self.client = client
        self.data = data
        self.id = data["id"]
        self.key = data["api_key"]
        self.headers = auth(self.key)

    def get(self, url: str, **kwargs):
        return self.client.get(url, headers=self.headers, **kwargs)

    def post(self, url: str, **kwargs):
        return self.client.post(url, headers=self.headers | kwargs.pop("headers", {}), **kwargs)

    def patch(self, url: str, **kwargs):
        return self.client.patch(url, headers=self.headers, **kwargs)


def register_brand(client: TestClient, **overrides) -> Actor:
    response = client.post("/v1/brands", json=brand_body(**overrides))
    assert response.status_code == 201, response.text
    return Actor(client, response.json())


def register_creator(client: TestClient, **overrides) -> Actor:
    response = client.post("/v1/creators", json=creator_body(**overrides))
    assert response.status_code == 201, response.text
    return Actor(client, response.json())


def post_request(brand: Actor, **overrides) -> dict:
    response = brand.post("/v1/requests", json=request_body(**overrides))
    assert response.status_code == 201, response.text
    return response.json()


def serve_expecting_refusal(env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run `collab serve` with these settings; the tests pass ones it must refuse at start-up,
    so it exits (with its one-line error) instead of serving."""
    return subprocess.run(
        [sys.executable, "-m", "api.cli", "serve"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
