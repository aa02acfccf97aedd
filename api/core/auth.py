"""API keys and the caller's identity.

Keys are random (never derived from anything a client sends), shown once, stored as SHA-256
digests (they carry 256 bits of entropy, so a slow hash adds nothing) and compared in constant
time. The prefix says the role. A lost key is replaced, and the old one revoked, by a signature
of the account's wallet (`api/keys`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session, select

from api.core.db import SessionDep
from api.core.errors import Forbidden, Unauthorized

Role = Literal["brand", "creator", "operator"]
KEY_PREFIX = {"brand": "ck_brand_", "creator": "ck_creator_"}

# The web app's session cookie (api.web): the other way to say who one is.
WEB_COOKIE = "collab_session"

bearer = HTTPBearer(auto_error=False, description="the api_key returned at registration")


def new_api_key(role: Role) -> str:
    """A fresh random key (256 bits). It is never derived from anything a client sends."""
    return KEY_PREFIX[role] + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


def hash_api_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


@dataclass(frozen=True)
class Principal:
    role: Role
    id: str
    wallet: str | None = None

    @property
    def ref(self) -> str:
        """`brand:<id>`, `creator:<id>` or `operator:operator`: who, in one stored string."""
        return f"{self.role}:{self.id}"


def _lookup(session: Session, api_key: str, digest: str) -> Principal | None:
    from api.brands.models import Brand
    from api.creators.models import Creator

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


def _known(request: Request, api_key: str, digest: str) -> Principal | None:
    """The principal of ``api_key`` (whose digest is ``digest``) without asking the database:
    the operator's key, or a key this process looked up moments ago (None: ask the database)."""
    operator_key = request.app.state.settings.operator_api_key
    if operator_key and hmac.compare_digest(api_key.encode(), operator_key.encode()):
        return Principal(role="operator", id="operator")
    return request.app.state.principals.get(digest)


def _ask_database(
    request: Request, session: Session, api_key: str, digest: str
) -> Principal | None:
    """The principal of a key :func:`_known` does not know, from the database (then known)."""
    cache = request.app.state.principals
    # Read before the query: this is the session's first, so it sees what committed by then,
    # and a change committed since makes `put` drop the answer.
    generation = cache.generation
    principal = _lookup(session, api_key, digest)
    if principal is not None:
        cache.put(digest, principal, generation)
    return principal


async def get_optional_principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal | None:
    """Who sent the request, or None (no key, or a key that is not valid): resolved once per
    request, shared by auth and the idempotency scope. Without a key, the web app's session
    cookie (its writes carry the session's CSRF token).

    Async, so that a key known to this process is resolved on the event loop; only a database
    lookup goes to a worker thread."""
    if credentials is None:  # HTTPBearer already ignores the case of the scheme
        if not request.cookies.get(WEB_COOKIE):
            return None
        return await run_in_threadpool(_from_web_session, request, session)
    api_key = credentials.credentials
    digest = hash_api_key(api_key)
    if (principal := _known(request, api_key, digest)) is not None:
        return principal
    return await run_in_threadpool(_ask_database, request, session, api_key, digest)


def _from_web_session(request: Request, session: Session) -> Principal | None:
    from api.web import service as web

    web_session = web.find_session(session=session, token=request.cookies.get(web.COOKIE))
    if web_session is None:
        return None
    web.check_csrf(web_session, request.method, request.headers.get(web.CSRF_HEADER))
    return web.principal_of(session=session, web_session=web_session)


async def get_principal(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    principal: Annotated[Principal | None, Depends(get_optional_principal)],
) -> Principal:
    if principal is not None:
        return principal
    if credentials is None:
        raise Unauthorized("send `Authorization: Bearer <api_key>` (or sign in on the web app)")
    raise Unauthorized("the API key is not valid")


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
OptionalPrincipal = Annotated[Principal | None, Depends(get_optional_principal)]


def require(role: Role):
    async def dependency(principal: CurrentPrincipal) -> Principal:
        if principal.role != role:
            raise Forbidden(f"this action is for a {role} account, not a {principal.role}")
        return principal

    dependency.required_role = role  # read by the OpenAPI to declare the 403
    return dependency


CurrentBrand = Annotated[Principal, Depends(require("brand"))]
CurrentCreator = Annotated[Principal, Depends(require("creator"))]
CurrentOperator = Annotated[Principal, Depends(require("operator"))]
