"""`/v1/keys`: a new API key for whoever proves, by a wallet signature, that it is theirs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from api.chain.client import ChainClient, ChainDep
from api.core.db import SessionDep, UnitOfWorkRoute
from api.core.errors import ChainUnavailable
from api.core.openapi import errors
from api.core.settings import Settings, SettingsDep
from api.keys import service
from api.keys.models import KeyRotated, NonceIssued, NonceRequest, RotateBody

router = APIRouter(prefix="/v1/keys", tags=["keys"], route_class=UnitOfWorkRoute)
NO_STORE = {"Cache-Control": "no-store"}


def public_url(settings: Settings) -> str:
    return settings.public_url or f"http://{settings.host}:{settings.port}"


def chain_id(settings: Settings, chain: ChainClient | None) -> int:
    if settings.chain_id is not None:
        return settings.chain_id
    if chain is None:
        raise ChainUnavailable("no chain is configured: sign-in needs its chain id")
    return chain.chain_id


@router.post("/nonce", responses=errors(503), status_code=201, response_model=NonceIssued)
def issue_nonce(
    settings: SettingsDep,
    chain: ChainDep,
    session: SessionDep,
    body: Annotated[NonceRequest | None, Body()] = None,
) -> NonceIssued:
    """A single-use nonce for an EIP-4361 (Sign-In with Ethereum) message, and the domain, URI
    and chain id the message must name. With `wallet`, the message itself, ready to sign."""
    return service.issue_nonce(
        session=session,
        public_url=public_url(settings),
        chain_id=chain_id(settings, chain),
        ttl_seconds=settings.siwe_nonce_ttl_seconds,
        data=body or NonceRequest(),
    )


@router.post("/rotate", responses=errors(401, 409, 503), response_model=KeyRotated)
def rotate_key(
    body: RotateBody, settings: SettingsDep, chain: ChainDep, session: SessionDep
) -> JSONResponse:
    """A new API key for the account whose wallet signed the message; the old key is revoked
    at once. The message names the account (Resources: urn:collab:account:<id>) when the wallet
    holds several. A nonce works once: a retry needs a new nonce, so Idempotency-Key does not
    apply here."""
    rotated = service.rotate_key(
        session=session,
        message=body.message,
        signature=body.signature,
        public_url=public_url(settings),
        chain_id=chain_id(settings, chain),
    )
    return JSONResponse(rotated.model_dump(mode="json"), headers=NO_STORE)
