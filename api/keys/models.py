"""Key issue and rotation: the one-time key in responses, and Sign-In with Ethereum nonces."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Field as DBField
from sqlmodel import SQLModel

from api.kit.time import utcnow
from api.kit.types import Address

ROTATE_HOWTO = (
    "to get a new key (the old one stops working at once), sign in with the account's wallet: "
    "POST /v1/keys/nonce, sign the EIP-4361 message it returns, then POST /v1/keys/rotate"
)
KEY_SHOWN_ONCE = "shown once: store it now, it cannot be read again; if it is lost, " + ROTATE_HOWTO
KEY_NOT_REPLAYED = (
    "this is a replay of an earlier response: the API key was shown once, in the first response, "
    "and is never shown again; " + ROTATE_HOWTO
)
ACCOUNT_URN = "urn:collab:account:"


class IssuedKey(BaseModel):
    """The part of a response that carries a new API key."""

    api_key: str | None = Field(
        description="the new API key, shown once; null when the response is a replay"
    )
    api_key_note: str = Field(description="how the key is shown, and how to get a new one")


def without_key(body: dict) -> dict:
    """What is stored for an idempotent replay: the key never is."""
    return {**body, "api_key": None, "api_key_note": KEY_NOT_REPLAYED}


class SiweNonce(SQLModel, table=True):
    """A nonce handed out for one Sign-In with Ethereum message: deleted when used."""

    __tablename__ = "siwe_nonce"

    nonce: str = DBField(primary_key=True, max_length=64)
    created_at: datetime = DBField(default_factory=utcnow)
    expires_at: datetime = DBField(index=True)


class NonceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    wallet: Address | None = Field(
        default=None, description="when given, the answer holds the message ready to sign"
    )
    account_id: str | None = Field(
        default=None,
        max_length=40,
        description="the account to rotate, when the wallet holds several (a brand and a "
        "creator, say); it goes into the message's Resources as urn:collab:account:<id>",
    )


class NonceIssued(BaseModel):
    nonce: str
    domain: str = Field(description="the EIP-4361 domain the message must name")
    uri: str = Field(description="the EIP-4361 URI the message must name")
    chain_id: int
    issued_at: datetime
    expires_at: datetime = Field(description="the nonce, and so the message, expire then")
    statement: str
    message: str | None = Field(
        description="the EIP-4361 message to sign with the wallet (personal_sign), when a "
        "wallet was given"
    )


class RotateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(min_length=1, max_length=4000, description="the EIP-4361 message")
    signature: str = Field(
        pattern=r"^0x[0-9a-fA-F]{130}$", description="the wallet's personal_sign signature"
    )


class KeyRotated(IssuedKey):
    id: str
    role: Literal["brand", "creator"]
