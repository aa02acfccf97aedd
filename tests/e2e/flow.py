"""What a brand's backend and a creator's wallet do, over HTTP, against the served API."""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx
from eth_account import Account
from web3 import Web3

from api.dev.demo import lipstick_brief
from api.dev.driver import DealDriver
from contracts.localchain import DEV_PRIVATE_KEYS
from tests.e2e.conftest import BRAND, LUNA
from tests.factories import future

BRAND_KEY, CREATOR_KEY, ARBITER_KEY = DEV_PRIVATE_KEYS[1], DEV_PRIVATE_KEYS[2], DEV_PRIVATE_KEYS[0]
DESIGNERS = [
    Account.from_key(DEV_PRIVATE_KEYS[3]).address,
    Account.from_key(DEV_PRIVATE_KEYS[4]).address,
]
CHARITY = Account.from_key(DEV_PRIVATE_KEYS[5]).address


def ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, (response.request.url, response.text)
    return response.json()


def french_brief(http: httpx.Client, headers=BRAND, *, token: str = "ETH", amount: int = 10**17):
    return ok(
        http.post(
            "/v1/requests",
            headers=headers,
            json=lipstick_brief(amount=amount, token=token, deadline_days=40),
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
        self,
        *,
        token: str = "ETH",
        amount: int,
        deliver_days: float = 20,
        review: int = 86400,
        milestones: list[dict] | None = None,
    ) -> dict:
        """An offer to Luna (of these milestones, else one due in `deliver_days`), accepted."""
        brief = french_brief(self.http, token=token, amount=amount)
        schedule = (
            {"milestones": milestones} if milestones else {"deliver_by": future(deliver_days)}
        )
        offer = ok(
            self.http.post(
                f"/v1/requests/{brief['id']}/offers",
                headers=BRAND,
                json={
                    "creator_id": luna_id(self.http),
                    "amount": str(amount),
                    "token": token,
                    **schedule,
                    "review_period_seconds": review,
                    "terms": "Deux reels.",
                },
            ),
            201,
        )
        assert offer["status"] == "sent", offer
        accepted = DealDriver(self.http, self.w3).accept(offer["id"], LUNA, CREATOR_KEY)
        self.collaboration_id = accepted["collaboration"]["id"]
        return accepted["collaboration"]

    @property
    def driver(self) -> DealDriver:
        return DealDriver(self.http, self.w3)

    def transaction(self, headers: dict, action: str, **params) -> dict:
        return self.driver.transaction(self.collaboration_id, action, headers, **params)

    def act(self, headers: dict, action: str, key: str, **params):
        return self.driver.act(self.collaboration_id, action, headers, key, **params)

    def state(self) -> dict:
        return ok(self.http.get(self.url, headers=BRAND))

    def wait(self, status: str, timeout: float = 30.0, milestone: int | None = None) -> dict:
        """The collaboration once it (or its `milestone`) has `status`, as the indexer sets it."""

        def current(state: dict) -> str:
            return (
                state["status"] if milestone is None else state["milestones"][milestone]["status"]
            )

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.state()
            if current(state) == status:
                return state
            time.sleep(0.2)
        raise AssertionError(f"still {current(self.state())}, expected {status}")


def gas_paid(receipt) -> int:
    return int(receipt["gasUsed"]) * int(receipt["effectiveGasPrice"])
