"""Idempotency-Key support for creating POSTs.

The key row is inserted in the same transaction as whatever the request creates, so a crash
leaves neither, and a retry with the same key and body replays the stored response.

- Scope: a key belongs to the method, the path and the caller: `brand:<id>`, `creator:<id>` or
  `operator` once the API key is resolved (so `bearer` and `Bearer`, or two keys of one account
  after a rotation, share it), `anon` without one. Anonymous callers (registration) share one
  scope per route: that is safe because a stored response never holds a secret (the API key of
  a registration is redacted), and a replay needs the exact body, which the caller already has.
- Body: compared as parsed JSON in canonical form (key order and whitespace do not matter).
- Lifetime: 24 hours. An expired record counts as absent (the key is new again); expired rows
  are pruned in small batches after each new record, and in bulk by `collab db prune`.
- Concurrency: when a twin with the same key commits first, the loser rolls back and replays
  the twin's response (or answers 409 if that cannot be read yet), never a 500.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import JSON, Column, UniqueConstraint, delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, select

from api.core.auth import OptionalPrincipal, Principal
from api.core.db import SessionDep
from api.core.errors import Conflict, IdempotencyConflict, InvalidInput
from api.kit.time import utcnow

RECORD_TTL = timedelta(hours=24)
PRUNE_BATCH = 200


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=200)
    key: str = Field(max_length=200)
    request_sha256: str = Field(max_length=64)
    status_code: int
    response_body: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime = Field(index=True)


def canonical_sha256(body: bytes) -> str:
    """The digest of a JSON body in canonical form; a body that is not JSON, by its bytes."""
    try:
        canonical = json.dumps(
            json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    except (ValueError, RecursionError):
        canonical = b"raw:" + body
    return hashlib.sha256(canonical).hexdigest()


def prune_expired(session: Session, *, limit: int | None = None) -> int:
    """Delete expired records (at most `limit`); returns how many went."""
    expired = select(IdempotencyRecord.id).where(IdempotencyRecord.expires_at <= utcnow())
    if limit is not None:
        expired = expired.limit(limit)
    result = session.exec(delete(IdempotencyRecord).where(IdempotencyRecord.id.in_(expired)))
    return result.rowcount or 0


class Idempotency:
    def __init__(self, *, session: Session, scope: str, key: str | None, body: bytes) -> None:
        self.session = session
        self.scope = scope
        self.key = key
        self.request_sha256 = canonical_sha256(body)

    def _live(self) -> IdempotencyRecord | None:
        record = self.session.exec(
            select(IdempotencyRecord).where(
                IdempotencyRecord.scope == self.scope, IdempotencyRecord.key == self.key
            )
        ).first()
        if record is not None and _aware(record.expires_at) <= utcnow():
            self.session.delete(record)  # expired: the key is new again
            self.session.flush()
            return None
        return record

    def _replay(self, record: IdempotencyRecord, headers: dict | None) -> JSONResponse:
        if record.request_sha256 != self.request_sha256:
            raise IdempotencyConflict(
                f"Idempotency-Key {self.key!r} was already used with a different request body"
            )
        return JSONResponse(
            record.response_body,
            status_code=record.status_code,
            headers={**(headers or {}), "Idempotency-Replayed": "true"},
        )

    def run(
        self,
        create: Callable[[], BaseModel],
        *,
        status_code: int = 201,
        redact: Callable[[dict], dict] | None = None,
        headers: dict[str, str] | None = None,
    ) -> JSONResponse:
        """Create once per key. `redact` turns the response into what is stored and replayed,
        so secrets (a new API key) are sent once and never stored."""
        if self.key is None:
            result = create()
            body = result.model_dump(mode="json")
            return JSONResponse(body, status_code=status_code, headers=headers)
        if (record := self._live()) is not None:
            return self._replay(record, headers)
        try:
            body = create().model_dump(mode="json")
            now = utcnow()
            record = IdempotencyRecord(
                scope=self.scope,
                key=self.key,
                request_sha256=self.request_sha256,
                status_code=status_code,
                response_body=redact(body) if redact else body,
                created_at=now,
                expires_at=now + RECORD_TTL,
            )
            self.session.add(record)
            # Flush inside a savepoint: a concurrent twin that committed first wins.
            with self.session.begin_nested():
                self.session.flush([record])
        except (IntegrityError, Conflict) as exc:
            # Perhaps the twin with our key committed first (its record, or a row it made, beat
            # ours): roll back our rows and replay the twin's answer.
            self.session.rollback()
            if (record := self._live()) is not None:
                return self._replay(record, headers)
            if isinstance(exc, Conflict):
                raise
            raise IdempotencyConflict(
                f"a request with Idempotency-Key {self.key!r} was processed concurrently; retry"
            ) from None
        prune_expired(self.session, limit=PRUNE_BATCH)
        return JSONResponse(body, status_code=status_code, headers=headers)


def _aware(moment: datetime) -> datetime:
    # SQLite hands datetimes back without their zone; they were stored in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def _request_body(request: Request) -> bytes:
    return await request.body()


def _scope_of(request: Request, principal: Principal | None) -> str:
    who = "anon" if principal is None else principal.ref
    return f"{request.method} {request.url.path} {who}"


async def get_idempotency(
    request: Request,
    session: SessionDep,
    body: Annotated[bytes, Depends(_request_body)],
    principal: OptionalPrincipal,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="retrying with the same key and body within 24 hours replays the first "
            "response",
        ),
    ] = None,
) -> Idempotency:
    if idempotency_key is not None and not (1 <= len(idempotency_key) <= 200):
        raise InvalidInput("Idempotency-Key must be 1 to 200 characters")
    return Idempotency(
        session=session, scope=_scope_of(request, principal), key=idempotency_key, body=body
    )


IdempotencyDep = Annotated[Idempotency, Depends(get_idempotency)]
