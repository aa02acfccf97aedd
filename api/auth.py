"""API keys and the caller's identity.

Keys are random, shown once, stored as SHA-256 digests (they carry 256 bits of entropy, so a
slow hash adds nothing) and compared in constant time. The prefix says the role.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session, select

from api.db import SessionDep
from api.errors import Forbidden, Unauthorized

Role = Literal["brand", "creator", "operator"]
KEY_PREFIX = {"brand": "ck_brand_", "creator": "ck_creator_"}

bearer = HTTPBearer(auto_error=False, description="the api_key returned at registration")


def new_api_key(role: Role, *, derive_from: tuple[str, str] | None = None) -> str:
    """A fresh key; with `derive_from=(secret, seed)` the same seed gives the same key, so an
    idempotent retry of a registration can return the key without it ever being stored."""
    if derive_from is None:
        raw = secrets.token_bytes(32)
    else:
        secret, seed = derive_from
        raw = hmac.new(secret.encode(), f"api-key|{seed}".encode(), hashlib.sha256).digest()
    return KEY_PREFIX[role] + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def registration_key(request: Request, idempotency, role: Role) -> str | None:
    """With an Idempotency-Key, the new account's key is derived from it, so a retry returns
    the same key without the key ever being stored."""
    if idempotency.key is None:
        return None
    seed = f"{idempotency.scope}|{idempotency.key}"
    return new_api_key(role, derive_from=(request.app.state.settings.secret_key, seed))


def hash_api_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


@dataclass(frozen=True)
class Principal:
    role: Role
    id: str
    wallet: str | None = None


def _lookup(session: Session, api_key: str) -> Principal | None:
    from api.brands.models import Brand
    from api.creators.models import Creator

    digest = hash_api_key(api_key)
    model = Brand if api_key.startswith(KEY_PREFIX["brand"]) else None
    model = Creator if api_key.startswith(KEY_PREFIX["creator"]) else model
    if model is None:
        return None
    # Only the columns auth needs: the profile rows carry several JSON columns.
    row = session.exec(
        select(model.id, model.wallet, model.api_key_hash).where(model.api_key_hash == digest)
    ).first()
    if row is None or not hmac.compare_digest(row.api_key_hash, digest):
        return None
    return Principal(role="brand" if model is Brand else "creator", id=row.id, wallet=row.wallet)


def get_principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("send `Authorization: Bearer <api_key>`")
    api_key = credentials.credentials
    operator_key = request.app.state.settings.operator_api_key
    if operator_key and hmac.compare_digest(api_key.encode(), operator_key.encode()):
        return Principal(role="operator", id="operator")
    principal = _lookup(session, api_key)
    if principal is None:
        raise Unauthorized("the API key is not valid")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require(role: Role):
    def dependency(principal: CurrentPrincipal) -> Principal:
        if principal.role != role:
            raise Forbidden(f"this action is for a {role} account, not a {principal.role}")
        return principal

    return dependency


CurrentBrand = Annotated[Principal, Depends(require("brand"))]
CurrentCreator = Annotated[Principal, Depends(require("creator"))]
CurrentOperator = Annotated[Principal, Depends(require("operator"))]
