"""RFC 9457 problem details: typed domain errors and the handlers that render them."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:collab:problem:"


class ProblemError(Exception):
    """A domain error that knows its HTTP status and stable problem type."""

    status: int = 400
    type: str = "bad-request"
    title: str = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body = {
            "type": TYPE_PREFIX + self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        body.update(self.extra)
        return body


class BadRequest(ProblemError):
    pass


class InvalidInput(ProblemError):
    status, type, title = 422, "validation-error", "Invalid input"


class Unauthorized(ProblemError):
    status, type, title = 401, "unauthorized", "Missing or invalid API key"


class Forbidden(ProblemError):
    status, type, title = 403, "forbidden", "Not allowed"


class NotFound(ProblemError):
    status, type, title = 404, "not-found", "Not found"


class AccountErased(NotFound):
    """A 404 (what every route already declares), with a type of its own: the account was
    erased at its holder's request (`DELETE /v1/me`)."""

    type, title = "account-erased", "Account erased"


class Conflict(ProblemError):
    status, type, title = 409, "conflict", "Conflict with the current state"


class IdempotencyConflict(ProblemError):
    status, type, title = 409, "idempotency-key-reused", "Idempotency-Key reused with another body"


class SignInRejected(ProblemError):
    status, type, title = 401, "sign-in-rejected", "Sign-In with Ethereum rejected"

    def __init__(self, detail: str, reason: str) -> None:
        super().__init__(detail, reason=reason)


class PayloadTooLarge(ProblemError):
    status, type, title = 413, "payload-too-large", "Request body too large"


class RateLimited(ProblemError):
    status, type, title = 429, "rate-limited", "Too many requests"


class ChainUnavailable(ProblemError):
    status, type, title = 503, "chain-unavailable", "The blockchain node is unreachable"


def problem_response(
    status: int, body: dict[str, Any], headers: dict | None = None
) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for error in exc.errors():
        loc = [str(part) for part in error.get("loc", ()) if part != "body"]
        errors.append({"field": ".".join(loc) or "body", "message": error.get("msg", "invalid")})
    return errors


def describe(exc: DBAPIError) -> str:
    """A database error without any value: its class, SQLSTATE and the names it involves."""
    orig = exc.orig
    parts = [type(orig).__name__]
    if sqlstate := getattr(orig, "sqlstate", None):
        parts.append(f"SQLSTATE {sqlstate}")
    diag = getattr(orig, "diag", None)
    for name in ("table_name", "column_name", "constraint_name"):
        if diag is not None and (value := getattr(diag, name, None)):
            parts.append(f"{name.removesuffix('_name')} {value}")
    if diag is None:  # SQLite names the constraint, never a value
        parts.append(str(orig).splitlines()[0][:200] if str(orig) else "")
    return ", ".join(part for part in parts if part)


def clash(exc: IntegrityError) -> str:
    """What a constraint violation clashed on, by name only: never the values (a handle, a key
    digest, a signature), which PostgreSQL would quote in its DETAIL line."""
    orig = exc.orig
    diag = getattr(orig, "diag", None)
    if diag is not None:  # PostgreSQL names the constraint
        return getattr(diag, "constraint_name", None) or "a uniqueness or integrity rule"
    # SQLite: "UNIQUE constraint failed: creator.handle": table and column names, no values
    message = str(orig).splitlines()[0] if str(orig) else ""
    _, _, names = message.partition(": ")
    return names[:200] or "a uniqueness or integrity rule"


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return problem_response(exc.status, exc.body(request.url.path), headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(exc)
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        problem = InvalidInput(detail or "invalid request", errors=errors)
        return problem_response(problem.status, problem.body(request.url.path))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # FastAPI's answer to a body it cannot even decode (not UTF-8, say): invalid input
            # like any other, so the same 422 problem as a body that is not valid JSON.
            problem = InvalidInput(
                f"the request body cannot be read: {exc.detail}",
                errors=[{"field": "body", "message": "not a readable JSON document"}],
            )
            return problem_response(problem.status, problem.body(request.url.path))
        slug = {404: "not-found", 405: "method-not-allowed", 413: PayloadTooLarge.type}.get(
            exc.status_code, "http-error"
        )
        body = {
            "type": TYPE_PREFIX + slug,
            "title": str(exc.detail) if exc.detail else "HTTP error",
            "status": exc.status_code,
            "detail": str(exc.detail),
            "instance": request.url.path,
        }
        return problem_response(exc.status_code, body, getattr(exc, "headers", None))

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        # A concurrent request made the same row first (a handle, an open offer, a
        # collaboration): the unit of work was rolled back by the session dependency, so this
        # is a conflict with the current state, not a server failure.
        log.info("conflict on %s %s: %s", request.method, request.url.path, describe(exc))
        problem = Conflict(
            f"this clashes with a row just created by another request ({clash(exc)}); "
            "read the current state and retry if still needed"
        )
        return problem_response(problem.status, problem.body(request.url.path))

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> JSONResponse:
        # Handled here, not re-raised to the server's log: a PostgreSQL message carries the
        # offending values (a key digest, a signature) in its DETAIL line.
        log.error("database error on %s %s: %s", request.method, request.url.path, describe(exc))
        return await _internal(request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, _exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return await _internal(request)

    async def _internal(request: Request) -> JSONResponse:
        body = {
            "type": TYPE_PREFIX + "internal-error",
            "title": "Internal error",
            "status": 500,
            "detail": "an unexpected error occurred; nothing was changed",
            "instance": request.url.path,
        }
        return problem_response(500, body)
