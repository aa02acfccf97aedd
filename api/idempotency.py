"""Idempotency-Key support for creating POSTs.

The key row is inserted in the same transaction as whatever the request creates, so a crash
leaves neither, and a retry with the same key and body replays the stored response.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import JSON, Column, UniqueConstraint
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, select

from api.db import SessionDep
from api.errors import IdempotencyConflict, InvalidInput


def utcnow() -> datetime:
    return datetime.now(UTC)


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


class Idempotency:
    def __init__(self, *, session: Session, scope: str, key: str | None, body: bytes) -> None:
        self.session = session
        self.scope = scope
        self.key = key
        self.request_sha256 = hashlib.sha256(body).hexdigest()

    def _stored(self) -> IdempotencyRecord | None:
        return self.session.exec(
            select(IdempotencyRecord).where(
                IdempotencyRecord.scope == self.scope, IdempotencyRecord.key == self.key
            )
        ).first()

    def _replay(
        self, record: IdempotencyRecord, restore: Callable[[dict], dict] | None
    ) -> JSONResponse:
        if record.request_sha256 != self.request_sha256:
            raise IdempotencyConflict(
                f"Idempotency-Key {self.key!r} was already used with a different request body"
            )
        body = restore(record.response_body) if restore else record.response_body
        return JSONResponse(
            body, status_code=record.status_code, headers={"Idempotency-Replayed": "true"}
        )

    def run(
        self,
        create: Callable[[], BaseModel],
        *,
        status_code: int = 201,
        redact: Callable[[dict], dict] | None = None,
        restore: Callable[[dict], dict] | None = None,
    ) -> JSONResponse:
        """Create once per key; `redact`/`restore` keep secrets out of the stored response."""
        if self.key is None:
            result = create()
            return JSONResponse(result.model_dump(mode="json"), status_code=status_code)
        if (record := self._stored()) is not None:
            return self._replay(record, restore)
        result = create()
        body = result.model_dump(mode="json")
        record = IdempotencyRecord(
            scope=self.scope,
            key=self.key,
            request_sha256=self.request_sha256,
            status_code=status_code,
            response_body=redact(body) if redact else body,
        )
        self.session.add(record)
        try:
            # Flush inside a savepoint: a concurrent twin that committed first wins, and we
            # roll back our own rows with the outer transaction.
            with self.session.begin_nested():
                self.session.flush([record])
        except IntegrityError:
            self.session.rollback()
            raise IdempotencyConflict(
                f"a request with Idempotency-Key {self.key!r} was processed concurrently; retry"
            ) from None
        return JSONResponse(body, status_code=status_code)


async def _request_body(request: Request) -> bytes:
    return await request.body()


def get_idempotency(
    request: Request,
    session: SessionDep,
    body: Annotated[bytes, Depends(_request_body)],
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="retrying with the same key and body replays the first response",
        ),
    ] = None,
) -> Idempotency:
    if idempotency_key is not None and not (1 <= len(idempotency_key) <= 200):
        raise InvalidInput("Idempotency-Key must be 1 to 200 characters")
    authorization = request.headers.get("authorization", "")
    principal = hashlib.sha256(authorization.encode()).hexdigest()[:32] if authorization else "anon"
    scope = f"{request.method} {request.url.path} {principal}"
    return Idempotency(session=session, scope=scope, key=idempotency_key, body=body)


IdempotencyDep = Annotated[Idempotency, Depends(get_idempotency)]
