"""Web sessions: open one with a Sign-In with Ethereum signature, choose the account it acts as,
check its CSRF token, close it. Everything a page then does goes through the domain services,
with the session's account as the caller, exactly as an API key would."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import delete
from sqlmodel import Session, select

from api.brands.models import Brand
from api.core.auth import WEB_COOKIE, Principal
from api.core.errors import Forbidden, NotFound
from api.creators.models import Creator
from api.keys import service as keys
from api.keys.models import NonceIssued, NonceRequest
from api.kit.time import utcnow
from api.web.models import AccountChoice, WebSession

STATEMENT = "Sign in to Collab."
COOKIE = WEB_COOKIE
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
PRUNE_BATCH = 200


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def secure_cookie(public_url: str) -> bool:
    """Secure (HTTPS only) everywhere but on this machine, where the local app is plain HTTP."""
    return urlsplit(public_url).hostname not in LOCAL_HOSTS


def issue_nonce(
    *, session: Session, public_url: str, chain_id: int, ttl_seconds: int, wallet: str
) -> NonceIssued:
    """The EIP-4361 message for this wallet to sign in with (single-use nonce, expiring)."""
    return keys.issue_nonce(
        session=session,
        public_url=public_url,
        chain_id=chain_id,
        ttl_seconds=ttl_seconds,
        data=NonceRequest(wallet=wallet),
        statement=STATEMENT,
    )


def accounts_of(*, session: Session, wallet: str) -> list[AccountChoice]:
    brands = session.exec(select(Brand.id, Brand.name).where(Brand.wallet == wallet)).all()
    creators = session.exec(
        select(Creator.id, Creator.display_name).where(Creator.wallet == wallet)
    ).all()
    return [AccountChoice(role="brand", id=row.id, name=row.name) for row in brands] + [
        AccountChoice(role="creator", id=row.id, name=row.display_name) for row in creators
    ]


def prune_sessions(session: Session, *, limit: int | None = None) -> int:
    expired = select(WebSession.token_hash).where(WebSession.expires_at <= utcnow())
    if limit is not None:
        expired = expired.limit(limit)
    statement = delete(WebSession).where(WebSession.token_hash.in_(expired))
    return session.exec(statement).rowcount or 0


def sign_in(
    *,
    session: Session,
    message: str,
    signature: str,
    public_url: str,
    chain_id: int,
    ttl_seconds: int,
) -> tuple[str, WebSession]:
    """A new session for the wallet that signed (the cookie's token, and the row). With one
    account on that wallet the session acts as it; with several, the person chooses; with
    none, the person can register one."""
    parsed = keys.verify_sign_in(
        session=session,
        message=message,
        signature=signature,
        public_url=public_url,
        chain_id=chain_id,
        statement=STATEMENT,
    )
    accounts = accounts_of(session=session, wallet=parsed.address)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = WebSession(
        token_hash=_digest(token),
        wallet=parsed.address,
        role=accounts[0].role if len(accounts) == 1 else None,
        account_id=accounts[0].id if len(accounts) == 1 else None,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + timedelta(seconds=ttl_seconds),
    )
    session.add(row)
    prune_sessions(session, limit=PRUNE_BATCH)
    session.flush()
    return token, row


def find_session(*, session: Session, token: str | None) -> WebSession | None:
    if not token or len(token) > 100:
        return None
    row = session.get(WebSession, _digest(token))
    if row is None or row.expires_at <= utcnow():
        return None
    return row


def principal_of(*, session: Session, web_session: WebSession) -> Principal | None:
    """The account the session acts as, while that account still has the session's wallet
    (an erased account, or one whose wallet changed, no longer answers to it)."""
    if web_session.role is None or web_session.account_id is None:
        return None
    model = Brand if web_session.role == "brand" else Creator
    wallet = session.exec(select(model.wallet).where(model.id == web_session.account_id)).first()
    if wallet != web_session.wallet:
        return None
    return Principal(role=web_session.role, id=web_session.account_id, wallet=wallet)


def check_csrf(web_session: WebSession, method: str, token: str | None) -> None:
    """A write made with the session cookie must carry the session's CSRF token (a form field
    or the X-CSRF-Token header): another site can make the browser send the cookie, never the
    token."""
    if method in SAFE_METHODS:
        return
    if not token or not hmac.compare_digest(token.encode(), web_session.csrf_token.encode()):
        raise Forbidden(
            "this write uses the session cookie without its CSRF token: reload the page "
            f"and retry (the app sends it in the {CSRF_HEADER} header or the csrf_token field)",
            reason="csrf",
        )


def choose_account(*, session: Session, web_session: WebSession, account_id: str) -> WebSession:
    """Act as another account of the same wallet."""
    chosen = next(
        (a for a in accounts_of(session=session, wallet=web_session.wallet) if a.id == account_id),
        None,
    )
    if chosen is None:
        raise NotFound(f"the wallet {web_session.wallet} has no account {account_id!r}")
    web_session.role, web_session.account_id = chosen.role, chosen.id
    session.add(web_session)
    session.flush()
    return web_session


def sign_out(*, session: Session, web_session: WebSession) -> None:
    session.exec(delete(WebSession).where(WebSession.token_hash == web_session.token_hash))
