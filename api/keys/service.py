"""Rotation of an API key by a signature of the account's wallet (EIP-4361, Sign-In with Ethereum).

The server hands out a nonce (stored, single use, expiring); the wallet signs an EIP-4361 message
naming our domain and URI, our chain id and that nonce; the `siwe` library parses the message and
recovers the signer. The account whose wallet signed gets a new key and the old one is revoked in
the same transaction. When one wallet holds several accounts (a brand and a creator, or two
brands), the message names the one to rotate in its Resources (`urn:collab:account:<id>`).
Only externally owned accounts sign in: contract wallets (EIP-1271) are not checked.
"""

from __future__ import annotations

import secrets
import string
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from siwe import siwe
from sqlalchemy import delete
from sqlmodel import Session, select

from api.brands.models import Brand
from api.core.auth import hash_api_key, new_api_key
from api.core.errors import Conflict, InvalidInput, SignInRejected
from api.core.principals import forget_principal
from api.creators.models import Creator
from api.keys.models import (
    ACCOUNT_URN,
    KEY_SHOWN_ONCE,
    KeyRotated,
    NonceIssued,
    NonceRequest,
    SiweNonce,
)
from api.kit.time import utcnow

STATEMENT = "Rotate my Collab API key: the current key stops working."
NONCE_ALPHABET = string.ascii_letters + string.digits
NONCE_LENGTH = 32  # EIP-4361 wants at least 8 alphanumerics; 32 carry 190 bits
CLOCK_SKEW = timedelta(minutes=5)
PRUNE_BATCH = 200


def site(public_url: str) -> tuple[str, str]:
    """The EIP-4361 domain and URI a message must name: the API's public address, from the
    settings, never from the request's Host header (that one the caller chooses)."""
    parts = urlsplit(public_url)
    return parts.netloc, f"{parts.scheme}://{parts.netloc}"


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def prune_nonces(session: Session, *, limit: int | None = None) -> int:
    """Delete expired nonces (at most `limit`); returns how many went."""
    expired = select(SiweNonce.nonce).where(SiweNonce.expires_at <= utcnow())
    if limit is not None:
        expired = expired.limit(limit)
    return session.exec(delete(SiweNonce).where(SiweNonce.nonce.in_(expired))).rowcount or 0


def issue_nonce(
    *,
    session: Session,
    public_url: str,
    chain_id: int,
    ttl_seconds: int,
    data: NonceRequest,
    statement: str = STATEMENT,
) -> NonceIssued:
    now = utcnow().replace(microsecond=0)
    nonce = SiweNonce(
        nonce="".join(secrets.choice(NONCE_ALPHABET) for _ in range(NONCE_LENGTH)),
        created_at=now,
        expires_at=now + timedelta(seconds=ttl_seconds),
    )
    session.add(nonce)
    prune_nonces(session, limit=PRUNE_BATCH)
    session.flush()
    domain, uri = site(public_url)
    message = None
    if data.wallet is not None:
        message = siwe.SiweMessage(
            domain=domain,
            address=data.wallet,
            statement=statement,
            uri=uri,
            version="1",
            chain_id=chain_id,
            nonce=nonce.nonce,
            issued_at=_iso(now),
            expiration_time=_iso(nonce.expires_at),
            resources=[ACCOUNT_URN + data.account_id] if data.account_id else None,
        ).prepare_message()
    return NonceIssued(
        nonce=nonce.nonce,
        domain=domain,
        uri=uri,
        chain_id=chain_id,
        issued_at=now,
        expires_at=nonce.expires_at,
        statement=statement,
        message=message,
    )


def _parse(message: str) -> siwe.SiweMessage:
    try:
        return siwe.SiweMessage.from_message(message)
    except Exception as exc:  # noqa: BLE001 - the ABNF parser and pydantic raise many kinds
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InvalidInput(f"message: not an EIP-4361 message ({reason[:200]})") from None


def _check(
    parsed: siwe.SiweMessage, *, signature: str, public_url: str, chain_id: int, statement: str
) -> None:
    domain, uri = site(public_url)
    # A message signed for one purpose (rotating a key, opening a web session) never serves
    # the other.
    if parsed.statement != statement:
        raise SignInRejected(f"the message's statement must be {statement!r}", "statement")
    if parsed.domain != domain:
        raise SignInRejected(f"the message is for {parsed.domain!r}, not {domain!r}", "domain")
    target = urlsplit(parsed.uri)
    if f"{target.scheme}://{target.netloc}" != uri:
        raise SignInRejected(f"the message's URI must be on {uri}", "uri")
    if parsed.chain_id != chain_id:
        raise SignInRejected(f"the message is for chain {parsed.chain_id}, not {chain_id}", "chain")
    if parsed.expiration_time is None:
        raise InvalidInput("message: an Expiration Time is required")
    now = utcnow()
    if parsed.issued_at._datetime > now + CLOCK_SKEW:
        raise SignInRejected("the message is issued in the future", "not-yet-valid")
    try:
        parsed.verify(signature, domain=domain, timestamp=now)
    except siwe.ExpiredMessage:
        raise SignInRejected("the message has expired", "expired") from None
    except siwe.NotYetValidMessage:
        raise SignInRejected("the message is not valid yet", "not-yet-valid") from None
    except siwe.VerificationError:
        raise SignInRejected(
            f"the signature is not from {parsed.address}, the message's address", "signature"
        ) from None


def _consume_nonce(session: Session, nonce: str) -> None:
    # One statement: of two requests racing with one nonce, exactly one deletes the row.
    used = session.exec(
        delete(SiweNonce).where(SiweNonce.nonce == nonce, SiweNonce.expires_at > utcnow())
    )
    if used.rowcount != 1:
        raise SignInRejected("the nonce is unknown, used or expired: ask for a new one", "nonce")


def _account(session: Session, parsed: siwe.SiweMessage) -> Brand | Creator:
    wanted = [r[len(ACCOUNT_URN) :] for r in parsed.resources or [] if r.startswith(ACCOUNT_URN)]
    if len(wanted) > 1:
        raise InvalidInput("message: name at most one account in Resources")
    accounts: list[Brand | Creator] = []
    for model in (Brand, Creator):
        statement = select(model).where(model.wallet == parsed.address)
        if wanted:
            statement = statement.where(model.id == wanted[0])
        accounts.extend(session.exec(statement).all())
    if not accounts:
        named = f"account {wanted[0]!r}" if wanted else "account"
        raise SignInRejected(f"no {named} has the wallet {parsed.address}", "account")
    if len(accounts) > 1:
        raise Conflict(
            f"the wallet {parsed.address} holds several accounts: name one in the message's "
            f"Resources as {ACCOUNT_URN}<id>",
            accounts=sorted(account.id for account in accounts),
        )
    return accounts[0]


def verify_sign_in(
    *,
    session: Session,
    message: str,
    signature: str,
    public_url: str,
    chain_id: int,
    statement: str,
) -> siwe.SiweMessage:
    """The parsed EIP-4361 message, once its domain, URI, chain, statement, times and signature
    are checked and its nonce is used up (single use, even between racing requests)."""
    parsed = _parse(message)
    _check(
        parsed, signature=signature, public_url=public_url, chain_id=chain_id, statement=statement
    )
    _consume_nonce(session, parsed.nonce)
    return parsed


def rotate_key(
    *, session: Session, message: str, signature: str, public_url: str, chain_id: int
) -> KeyRotated:
    parsed = verify_sign_in(
        session=session,
        message=message,
        signature=signature,
        public_url=public_url,
        chain_id=chain_id,
        statement=STATEMENT,
    )
    account = _account(session, parsed)
    role = "brand" if isinstance(account, Brand) else "creator"
    api_key = new_api_key(role)
    account.api_key_hash = hash_api_key(api_key)  # the old key stops working with this commit
    account.updated_at = utcnow()
    session.add(account)
    session.flush()
    forget_principal(session, account.id)
    return KeyRotated(id=account.id, role=role, api_key=api_key, api_key_note=KEY_SHOWN_ONCE)
