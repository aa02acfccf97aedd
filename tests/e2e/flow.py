"""What a brand's backend and a creator's wallet do, over HTTP, against the served API."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from eth_account import Account
from web3 import Web3

from contracts import bindings
from contracts.localchain import DEV_PRIVATE_KEYS
from tests.api.deals import send, sign_typed_data
from tests.e2e.conftest import BRAND, LUNA

BRAND_KEY, CREATOR_KEY, ARBITER_KEY = DEV_PRIVATE_KEYS[1], DEV_PRIVATE_KEYS[2], DEV_PRIVATE_KEYS[0]
DESIGNERS = [
    Account.from_key(DEV_PRIVATE_KEYS[3]).address,
    Account.from_key(DEV_PRIVATE_KEYS[4]).address,
]
CHARITY = Account.from_key(DEV_PRIVATE_KEYS[5]).address


def bearer(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"}


def ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, (response.request.url, response.text)
    return response.json()


def when(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def french_brief(http: httpx.Client, headers=BRAND, *, token: str = "ETH", amount: int = 10**17):
    return ok(
        http.post(
            "/v1/requests",
            headers=headers,
            json={
                "title": "Rouge à lèvres vegan",
                "description": "Nous lançons un rouge à lèvres vegan et cruelty-free, sans test "
                "sur les animaux, et cherchons des créateurs engagés pour la cause animale.",
                "budget": {"amount": str(amount), "token": token},
                "deliverables": [{"platform": "instagram", "format": "reel", "count": 2}],
                "deadline": when(40),
                "audience": {"languages": ["fr"], "platforms": ["instagram"]},
            },
        ),
        201,
    )


def luna_id(http: httpx.Client) -> str:
    return ok(http.get("/v1/me", headers=LUNA))["id"]


@dataclass
class Flow:
    http: httpx.Client
    w3: Web3
    collaboration_id: str = ""

    @property
    def url(self) -> str:
        return f"/v1/collaborations/{self.collaboration_id}"

    def offer_and_accept(
        self, *, token: str = "ETH", amount: int, deliver_days: float = 20, review: int = 86400
    ) -> dict:
        brief = french_brief(self.http, token=token, amount=amount)
        offer = ok(
            self.http.post(
                f"/v1/requests/{brief['id']}/offers",
                headers=BRAND,
                json={
                    "creator_id": luna_id(self.http),
                    "amount": str(amount),
                    "token": token,
                    "deliver_by": when(deliver_days),
                    "review_period_seconds": review,
                    "terms": "Deux reels.",
                },
            ),
            201,
        )
        assert offer["status"] == "sent", offer
        typed = ok(self.http.get(f"/v1/offers/{offer['id']}/typed-data", headers=LUNA))
        signature = sign_typed_data(typed["typed_data"], CREATOR_KEY)
        accepted = ok(
            self.http.post(
                f"/v1/offers/{offer['id']}/accept", headers=LUNA, json={"signature": signature}
            ),
            201,
        )
        self.collaboration_id = accepted["collaboration"]["id"]
        return accepted["collaboration"]

    def transaction(self, headers: dict, action: str, **params) -> dict:
        return ok(
            self.http.get(f"{self.url}/transactions/{action}", headers=headers, params=params)
        )

    def act(self, headers: dict, action: str, key: str, **params):
        body = self.transaction(headers, action, **params)
        for required in body["requires"]:
            send(self.w3, required, key)
        if body["requires"]:
            body = self.transaction(headers, action, **params)
        return send(self.w3, body["transaction"], key)

    def state(self) -> dict:
        return ok(self.http.get(self.url, headers=BRAND))

    def wait(self, status: str, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.state()
            if state["status"] == status:
                return state
            time.sleep(0.2)
        raise AssertionError(f"still {self.state()['status']}, expected {status}")


def balance(w3: Web3, token: str, wallet: str) -> int:
    if token == "ETH":
        return w3.eth.get_balance(wallet)
    return bindings.Erc20(w3, token).balance_of(wallet)


def gas_paid(receipt) -> int:
    return int(receipt["gasUsed"]) * int(receipt["effectiveGasPrice"])
