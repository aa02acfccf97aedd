"""Helpers for deal flows through the API and a real chain, signing as wallets do."""

from __future__ import annotations

from dataclasses import dataclass, field

from eth_account import Account
from web3 import Web3

from api.dev.driver import DealDriver
from api.dev.driver import send_unsigned as send
from contracts.bindings import sign_typed_data
from tests.contracts.env import advance
from tests.factories import (
    Actor,
    future,
    offer_body,
    post_request,
    register_brand,
    register_creator,
)

FEE_BPS = 100


@dataclass
class Wallets:
    """anvil keys: 0 deployer (owner, arbiter), 1 brand, 2 creator, 8 a stranger."""

    deployer: str
    brand: str
    creator: str
    stranger: str
    designers: list[str] = field(
        default_factory=lambda: [Account.create().address for _ in range(2)]
    )
    charity: str = field(default_factory=lambda: Account.create().address)

    @classmethod
    def from_keys(cls, keys) -> Wallets:
        return cls(deployer=keys[0], brand=keys[1], creator=keys[2], stranger=keys[8])


def address(key: str) -> str:
    return Account.from_key(key).address


def index(client) -> int:
    """Run the indexer to the chain head, as the background task would."""
    from api.chain.indexer import Indexer

    state = client.app.state
    return Indexer(
        engine=state.engine,
        chain=state.chain,
        confirmations=state.settings.confirmations,
        start_block=state.settings.indexer_start_block,
        match_index=state.match_index,
    ).catch_up()


@dataclass
class Deal:
    client: object
    w3: Web3
    wallets: Wallets
    brand: Actor
    creator: Actor
    offer: dict
    collaboration: dict | None = None

    @property
    def collaboration_url(self) -> str:
        return f"/v1/collaborations/{self.collaboration['id']}"

    @property
    def driver(self) -> DealDriver:
        return DealDriver(self.client, self.w3)

    def typed_data(self) -> dict:
        response = self.creator.get(f"/v1/offers/{self.offer['id']}/typed-data")
        assert response.status_code == 200, response.text
        return response.json()["typed_data"]

    def accept(self) -> dict:
        accepted = self.driver.accept(self.offer["id"], self.creator.headers, self.wallets.creator)
        self.collaboration = accepted["collaboration"]
        return accepted

    def transaction(self, actor: Actor, action: str, **params) -> dict:
        return self.driver.transaction(self.collaboration["id"], action, actor.headers, **params)

    def act(self, actor: Actor, action: str, key: str, **params) -> dict:
        receipt = self.driver.act(self.collaboration["id"], action, actor.headers, key, **params)
        index(self.client)
        return dict(receipt)

    def state(self) -> dict:
        response = self.brand.get(self.collaboration_url)
        assert response.status_code == 200
        return response.json()

    def fund(self) -> None:
        self.act(self.brand, "fund", self.wallets.brand)

    def deliver(self) -> None:
        self.act(
            self.creator, "deliver", self.wallets.creator, deliverable="https://instagram.com/p/abc"
        )


def make_deal(
    client, w3: Web3, wallets: Wallets, *, token: str = "ETH", amount: int, **offer
) -> Deal:
    designers = [
        {"name": "Ana (design)", "wallet": wallets.designers[0], "share_bps": 1500},
        {"name": "Ben (3D)", "wallet": wallets.designers[1], "share_bps": 1000},
    ]
    charities = [
        {
            "name": "Refuge des Animaux",
            "wallet": wallets.charity,
            "share_bps": 777,
            "accept_unverified": True,
        }
    ]
    brand = register_brand(client, wallet=address(wallets.brand))
    creator = register_creator(
        client,
        wallet=address(wallets.creator),
        is_virtual=True,
        operator="Studio Lumen SAS",
        split={"creator_share_bps": 10_000 - 3277, "designers": designers, "charities": charities},
        min_fees=[{"amount": "1", "token": token}],
    )
    request = post_request(client_brand := brand, budget={"amount": str(amount), "token": token})
    response = client_brand.post(
        f"/v1/requests/{request['id']}/offers",
        json=offer_body(creator.id, amount=str(amount), token=token, **offer),
    )
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "sent", response.json()
    return Deal(client, w3, wallets, brand, creator, response.json())


def expected_split(amount: int, shares: list[int], fee_bps: int = FEE_BPS) -> tuple[int, list[int]]:
    fee = amount * fee_bps // 10_000
    rest = amount - fee
    amounts = [rest * share // 10_000 for share in shares]
    amounts[0] = rest - sum(amounts[1:])
    return fee, amounts


__all__ = ["advance", "future", "send", "sign_typed_data"]
