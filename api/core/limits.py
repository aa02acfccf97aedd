"""Request body size and rate limits: ASGI middleware in front of the app.

- Body: a declared Content-Length above MAX_BODY_BYTES is answered 413 before a byte of the
  body is read; a chunked body is counted as it streams and cut off with a 413 at the limit.
- Rate: the `limits` library (sliding window counters) on every /v1 request, per client
  address and per API key, with stricter budgets per address for registration and for sign-in
  nonces and key rotation. In memory by default (one budget per process); with REDIS_URL every
  worker shares one budget. Over budget: a 429 problem with `Retry-After`. If Redis fails, the
  request goes through and the failure is logged: an outage of the limiter is not an outage of
  the API.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.core.errors import PayloadTooLarge, RateLimited, problem_response
from api.core.settings import Settings

log = logging.getLogger(__name__)

REGISTRATION = frozenset({"/v1/brands", "/v1/creators", "/register/brand", "/register/creator"})
KEY_ROTATION_PREFIX = "/v1/keys/"
# The web app's sign-in nonces spend the same budget as key rotation: both hand out SIWE nonces
# (stored rows); signing in itself needs one of them.
WEB_SIGN_IN = frozenset({"/web/nonce"})
LIMITED_PREFIXES = ("/v1/", "/web/", "/register/")


class BodyTooLarge(HTTPException):
    """Raised while the body streams in: FastAPI lets HTTP exceptions through body parsing."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


class BodyLimit:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if started:
                raise
            await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        problem = PayloadTooLarge(f"the request body is larger than {self.max_bytes} bytes")
        response = problem_response(problem.status, problem.body(scope.get("path")))
        response.headers["Connection"] = "close"  # the rest of the body is never read
        await response(scope, receive, send)


@dataclass(frozen=True)
class Budget:
    name: str
    items: list[RateLimitItem]


class RateLimits:
    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.per_address = Budget("address", parse_many(settings.rate_limit_per_address))
        self.per_key = Budget("key", parse_many(settings.rate_limit_per_key))
        self.registration = Budget("registration", parse_many(settings.rate_limit_registration))
        self.key_rotation = Budget("key-rotation", parse_many(settings.rate_limit_key_rotation))
        self._limiter: SlidingWindowCounterRateLimiter | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._last_error_log = 0.0

    def limiter(self) -> SlidingWindowCounterRateLimiter:
        # Async storages hold locks and connections of the event loop they were made in.
        loop = asyncio.get_running_loop()
        if self._limiter is None or self._loop is not loop:
            if self.settings.redis_url:
                storage = storage_from_string(
                    "async+" + self.settings.redis_url,
                    implementation="redispy",
                    key_prefix=self.settings.rate_limit_prefix,
                )
            else:
                storage = storage_from_string("async+memory://")
            self._limiter, self._loop = SlidingWindowCounterRateLimiter(storage), loop
        return self._limiter

    def budgets(self, scope: Scope) -> list[tuple[Budget, str]]:
        path: str = scope["path"]
        client = scope.get("client")
        address = client[0] if client else "unknown"
        budgets = [(self.per_address, address)]
        authorization = _header(scope, b"authorization")
        if authorization:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                # Never the key itself in the store: a digest names the budget.
                digest = hashlib.sha256(token.strip().encode()).hexdigest()[:32]
                budgets.append((self.per_key, digest))
        if scope["method"] == "POST" and path.rstrip("/") in REGISTRATION:
            budgets.append((self.registration, address))
        if path.startswith(KEY_ROTATION_PREFIX) or path in WEB_SIGN_IN:
            budgets.append((self.key_rotation, address))
        return budgets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(LIMITED_PREFIXES):
            await self.app(scope, receive, send)
            return
        try:
            refused = await self._spend(scope)
        # Any failure of the store (Redis down, a timeout, a reset) must not take the API down.
        except Exception as exc:  # noqa: BLE001 - the limiter's store failed: serve, and say so
            self._log_store_error(exc)
            refused = None
        if refused is None:
            await self.app(scope, receive, send)
            return
        budget, item, retry_after = refused
        problem = RateLimited(
            f"too many requests ({budget.name} budget: {item}); retry in {retry_after} s",
            budget=budget.name,
            retry_after=retry_after,
        )
        response = problem_response(
            problem.status, problem.body(scope["path"]), {"Retry-After": str(retry_after)}
        )
        await response(scope, receive, send)

    async def _spend(self, scope: Scope) -> tuple[Budget, RateLimitItem, int] | None:
        limiter = self.limiter()
        for budget, who in self.budgets(scope):
            for item in budget.items:
                if not await limiter.hit(item, budget.name, who):
                    stats = await limiter.get_window_stats(item, budget.name, who)
                    return budget, item, max(1, math.ceil(stats.reset_time - time.time()))
        return None

    def _log_store_error(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._last_error_log > 60:
            self._last_error_log = now
            log.warning("rate limits not applied, their store failed: %s", type(exc).__name__)


def declare_limits(schema: dict, problem: dict) -> None:
    """Add to the OpenAPI the 413 and 429 answers this middleware gives: 429 on every /v1
    operation, 413 on those that take a body."""
    for path, path_item in schema.get("paths", {}).items():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            if "requestBody" in operation:
                responses["413"] = {"description": "Request body too large", "content": problem}
            if path.startswith("/v1/"):
                responses["429"] = {
                    "description": "Too many requests: retry after `Retry-After` seconds",
                    "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}},
                    "content": problem,
                }
