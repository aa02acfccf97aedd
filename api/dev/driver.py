"""One way to drive a deal through the API, as a brand's backend and a creator's wallet do.

Ask for the unsigned transaction, send what it requires first (an ERC-20 approval), ask again,
send it. The demo, the command-line dev wallet and the tests all go through here, signing with
development keys; real users sign in their own wallets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from web3 import Web3

from api.collaborations.models import UnsignedTransaction
from api.kit.types import ETH
from contracts import bindings


class DriverError(RuntimeError):
    """The API answered a problem where the driver expected success."""


def send_unsigned(w3: Web3, tx: dict, key: str) -> Any:
    """Sign and send a transaction exactly as the API returned it; returns the receipt."""
    return bindings.send(w3, UnsignedTransaction.model_validate(tx).for_signing(), key)


def token_balance(w3: Web3, token: str, wallet: str) -> int:
    """A wallet's balance in ETH (wei) or in an ERC-20 (its smallest unit)."""
    if token == ETH:
        return int(w3.eth.get_balance(wallet))
    return bindings.Erc20(w3, token).balance_of(wallet)


@dataclass
class DealDriver:
    """`client` is any HTTP client with httpx's `request` (httpx.Client, a TestClient)."""

    client: Any
    w3: Web3

    def call(self, method: str, url: str, headers: dict, **kwargs: Any) -> dict:
        response = self.client.request(method, url, headers=headers, **kwargs)
        if response.status_code >= 400:
            raise DriverError(f"{method} {url}: {response.status_code} {response.text}")
        return response.json()

    def accept(self, offer_id: str, headers: dict, key: str) -> dict:
        """Sign the offer's EIP-712 terms with the creator's key and accept it."""
        typed = self.call("GET", f"/v1/offers/{offer_id}/typed-data", headers)["typed_data"]
        signature = bindings.sign_typed_data(typed, key)
        url = f"/v1/offers/{offer_id}/accept"
        return self.call("POST", url, headers, json={"signature": signature})

    def transaction(self, collaboration_id: str, action: str, headers: dict, **params) -> dict:
        url = f"/v1/collaborations/{collaboration_id}/transactions/{action}"
        return self.call("GET", url, headers, params=params)

    def fund_with_permit(self, collaboration_id: str, headers: dict, key: str) -> Any:
        """Sign the token's permit with the brand's key and fund in one transaction."""
        url = f"/v1/collaborations/{collaboration_id}/permit"
        typed = self.call("GET", url, headers)["typed_data"]
        signature = bindings.sign_typed_data(typed, key)
        body = self.transaction(collaboration_id, "fund", headers, permit_signature=signature)
        return send_unsigned(self.w3, body["transaction"], key)

    def relay_delivery(
        self, collaboration_id: str, headers: dict, key: str, deliverable: str, milestone: int = 0
    ) -> dict:
        """Sign the milestone's delivery with the creator's key; the platform's relayer sends
        it."""
        base = f"/v1/collaborations/{collaboration_id}/relay"
        params = {"deliverable": deliverable, "milestone": milestone}
        body = self.call("GET", f"{base}/deliver", headers, params=params)
        signature = bindings.sign_typed_data(body["typed_data"], key)
        relayed = {
            "action": "deliver",
            "milestone": milestone,
            "deliverable": deliverable,
            "deadline": body["deadline"],
            "signature": signature,
        }
        return self.call("POST", base, headers, json=relayed)

    def act(self, collaboration_id: str, action: str, headers: dict, key: str, **params) -> Any:
        """Send the action's transaction, and first what it requires; returns the receipt."""
        body = self.transaction(collaboration_id, action, headers, **params)
        for required in body["requires"]:
            send_unsigned(self.w3, required, key)
        if body["requires"]:
            body = self.transaction(collaboration_id, action, headers, **params)
        return send_unsigned(self.w3, body["transaction"], key)

    def signed_settlement(
        self, collaboration_id: str, headers: dict, key: str, payee_share_bps: int, milestone=0
    ) -> dict:
        """The body of a party's settlement: its key's signature of the split's `Settlement`."""
        url = f"/v1/collaborations/{collaboration_id}/settlement"
        params = {"payee_share_bps": payee_share_bps, "milestone": milestone}
        typed = self.call("GET", url, headers, params=params)["typed_data"]
        signature = bindings.sign_typed_data(typed, key)
        return {"payee_share_bps": payee_share_bps, "signature": signature, "milestone": milestone}

    def settle(
        self, collaboration_id: str, headers: dict, key: str, payee_share_bps: int, milestone=0
    ) -> dict:
        """Sign a split as one party and post it; the second party's post settles the deal."""
        body = self.signed_settlement(collaboration_id, headers, key, payee_share_bps, milestone)
        url = f"/v1/collaborations/{collaboration_id}/settlement"
        return self.call("POST", url, headers, json=body)
