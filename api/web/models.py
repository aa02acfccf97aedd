"""A browser's session: opened by a Sign-In with Ethereum signature, held in an HttpOnly cookie.

Only the SHA-256 digest of the cookie's token is stored (as for API keys), so a copy of the
database opens no session. The session belongs to a wallet; the account it acts as (a brand or
a creator of that wallet) is chosen after sign-in and can be switched.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Field as DBField
from sqlmodel import SQLModel

from api.kit.time import utcnow
from api.kit.types import Address


class WebSession(SQLModel, table=True):
    __tablename__ = "web_session"

    token_hash: str = DBField(primary_key=True, max_length=64)
    wallet: str = DBField(index=True, max_length=42)
    role: str | None = DBField(default=None, max_length=10)
    account_id: str | None = DBField(default=None, max_length=40)
    csrf_token: str = DBField(max_length=64)
    created_at: datetime = DBField(default_factory=utcnow)
    expires_at: datetime = DBField(index=True)


class WebNonceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    wallet: Address


class SignInBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(min_length=1, max_length=4000, description="the EIP-4361 message")
    signature: str = Field(
        pattern=r"^0x[0-9a-fA-F]{130}$", description="the wallet's personal_sign signature"
    )


class AccountChoice(BaseModel):
    role: str
    id: str
    name: str
