"""What `GET /v1/me/export` and `DELETE /v1/me` answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

KEPT_ON_ERASURE = [
    "collaborations: ids, amounts, tokens, deal ids, terms hashes, escrow and wallet addresses, "
    "payee wallets and shares, statuses, transaction hashes and dates (accounting, and what the "
    "chain holds anyway)",
    "payouts and chain events: read from the public chain",
    "contract texts with the erased party's names, addresses and e-mail replaced by [erased]; "
    "the terms hash (stored and on chain) still proves a copy a party downloaded at signing",
    "offers' amounts, dates and statuses (the other party's history), until the retention rule "
    "purges those that never became a deal",
    "the account's id, role, is_virtual flag, completed deal count and dates",
]


class AccountRef(BaseModel):
    role: Literal["brand", "creator"]
    id: str


class KeyMetadata(BaseModel):
    prefix: str = Field(description="the role prefix every key of this account starts with")
    stored_as: str = Field(description="how the key is kept (never the key itself)")
    last_changed_at: datetime = Field(description="when the profile, or its key, last changed")


class AccountExport(BaseModel):
    """Everything Collab holds about the caller, machine-readable."""

    account: AccountRef
    exported_at: datetime
    profile: dict[str, Any] = Field(description="the profile, phrases with their interpretations")
    api_key: KeyMetadata
    tables: dict[str, list[dict[str, Any]]] = Field(
        description="every stored row that refers to the account, by table: its profile row, "
        "requests, offers and their versions, collaborations, payouts and chain events of its "
        "deals or wallet, idempotency records (key digests left out)"
    )


class ErasureReport(BaseModel):
    account: AccountRef
    erased_at: datetime
    already_erased: bool = Field(description="true when an earlier DELETE erased the account")
    anonymised: dict[str, int] = Field(
        default_factory=dict, description="rows whose personal data was erased, by table"
    )
    deleted: dict[str, int] = Field(default_factory=dict, description="rows deleted, by table")
    cancelled_offers: int = 0
    kept: list[str] = Field(default_factory=lambda: list(KEPT_ON_ERASURE))
