"""Request body size and rate limits: ASGI middleware in front of the app.

- Body: a declared Content-Length above MAX_BODY_BYTES is answered 413 before a byte of the
  body is read; a chunked body is counted as it streams and cut off with a 413 at the limit.
- Rate: sliding window counters (as the `limits` library counts, whose notation the settings
  use: "100/minute;1000/hour") on every /v1 request, per client address and per API key, with
  stricter budgets per address for registration and for sign-in nonces and key rotation. In
  memory by default (one budget per process); with REDIS_URL every worker shares one budget, and
  a request checks and spends all of its budgets in one trip to Redis (one script). A request
  over any budget spends none. Over budget: a 429 problem with `Retry-After`. If Redis fails,
  the request goes through and the failure is logged: an outage of the limiter is not an outage
  of the API.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import time
from dataclasses import dataclass

import redis.asyncio as aioredis
from limits import RateLimitItem, parse_many
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


@dataclass(frozen=True)
class Counter:
    """One sliding window counter: ``limit`` requests per ``window_ms``, under ``key``."""

    key: str
    limit: int
    window_ms: int


@dataclass(frozen=True)
class Refusal:
    """The first counter a request would take over its limit, as it stood."""

    index: int
    current: int  # spent in the current window
    previous: int  # spent in the one before
    elapsed_ms: int  # into the current window


def over(counter: Counter, current: int, previous: int, elapsed_ms: int) -> bool:
    """Would one more request take the counter over its limit? The previous window counts in
    proportion to how much of it the sliding window still covers."""
    window = counter.window_ms
    return previous * (window - elapsed_ms) / window + current + 1 > counter.limit


def retry_after(counter: Counter, refusal: Refusal) -> int:
    """Whole seconds (at least 1) until one more request fits, if no other comes meanwhile."""
    window, limit = counter.window_ms, counter.limit
    current, previous, elapsed = refusal.current, refusal.previous, refusal.elapsed_ms
    if current + 1 <= limit:  # the previous window's share has to fade enough
        wait = window * (1 - (limit - 1 - current) / previous) - elapsed
    else:  # this window is full: in the next one it is the previous window, fading
        wait = window - elapsed + max(0.0, window * (1 - (limit - 1) / current))
    return max(1, math.ceil(wait / 1000))


class MemoryCounters:
    """The counters of one process. Each key holds (window index, current, previous, window)."""

    PRUNE_EVERY = 10_000

    def __init__(self) -> None:
        self._windows: dict[str, tuple[int, int, int, int]] = {}
        self._spent = 0

    async def spend(self, counters: list[Counter], now_ms: int) -> Refusal | None:
        # No await inside: on the event loop, the check and the spending are one step.
        seen = []
        for i, counter in enumerate(counters):
            index, elapsed = divmod(now_ms, counter.window_ms)
            current, previous = self._counts(counter.key, index)
            if over(counter, current, previous, elapsed):
                return Refusal(i, current, previous, elapsed)
            seen.append((counter, index))
        for counter, index in seen:
            current, previous = self._counts(counter.key, index)
            self._windows[counter.key] = (index, current + 1, previous, counter.window_ms)
        self._spent += 1
        if self._spent % self.PRUNE_EVERY == 0:
            self._prune(now_ms)
        return None

    def _counts(self, key: str, index: int) -> tuple[int, int]:
        stored_index, current, previous, _ = self._windows.get(key, (index, 0, 0, 0))
        if stored_index == index:
            return current, previous
        if stored_index == index - 1:
            return 0, current
        return 0, 0

    def _prune(self, now_ms: int) -> None:
        # A key last spent before the previous window counts nothing any more.
        self._windows = {
            key: entry for key, entry in self._windows.items() if entry[0] >= now_ms // entry[3] - 1
        }


# Every counter of a request, checked, then (when none is over) spent: one script, one trip.
# KEYS: each counter's current window, then its previous one. ARGV: the time (ms), then each
# counter's limit and window (ms). Returns {0}, or {i, current, previous, elapsed} for the first
# counter (1-based) over its limit.
SPEND_SCRIPT = """
local now = tonumber(ARGV[1])
local n = #KEYS / 2
for i = 1, n do
  local limit = tonumber(ARGV[2 * i])
  local window = tonumber(ARGV[2 * i + 1])
  local current = tonumber(redis.call('GET', KEYS[2 * i - 1]) or '0')
  local previous = tonumber(redis.call('GET', KEYS[2 * i]) or '0')
  local elapsed = now % window
  if previous * (window - elapsed) / window + current + 1 > limit then
    return {i, current, previous, elapsed}
  end
end
for i = 1, n do
  redis.call('INCR', KEYS[2 * i - 1])
  redis.call('PEXPIRE', KEYS[2 * i - 1], 2 * tonumber(ARGV[2 * i + 1]))
end
return {0}
"""


class RedisCounters:
    """The counters every worker shares, in Redis, under ``prefix``."""

    TIMEOUT_SECONDS = 1.0

    def __init__(self, url: str, prefix: str) -> None:
        self.client = aioredis.Redis.from_url(
            url, socket_timeout=self.TIMEOUT_SECONDS, socket_connect_timeout=self.TIMEOUT_SECONDS
        )
        self.script = self.client.register_script(SPEND_SCRIPT)
        self.prefix = prefix

    async def spend(self, counters: list[Counter], now_ms: int) -> Refusal | None:
        keys, args = [], [now_ms]
        for counter in counters:
            index = now_ms // counter.window_ms
            keys += [
                f"{self.prefix}:{counter.key}:{index}",
                f"{self.prefix}:{counter.key}:{index - 1}",
            ]
            args += [counter.limit, counter.window_ms]
        answer = await self.script(keys=keys, args=args)
        if int(answer[0]) == 0:
            return None
        index, current, previous, elapsed = (int(x) for x in answer)
        return Refusal(index - 1, current, previous, elapsed)


class RateLimits:
    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.per_address = Budget("address", parse_many(settings.rate_limit_per_address))
        self.per_key = Budget("key", parse_many(settings.rate_limit_per_key))
        self.registration = Budget("registration", parse_many(settings.rate_limit_registration))
        self.key_rotation = Budget("key-rotation", parse_many(settings.rate_limit_key_rotation))
        self._counters: MemoryCounters | RedisCounters | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._last_error_log = 0.0

    def counters(self) -> MemoryCounters | RedisCounters:
        # An async Redis client holds connections of the event loop it was made in.
        loop = asyncio.get_running_loop()
        if self._counters is None or self._loop is not loop:
            if self.settings.redis_url:
                self._counters = RedisCounters(
                    self.settings.redis_url, self.settings.rate_limit_prefix
                )
            else:
                self._counters = MemoryCounters()
            self._loop = loop
        return self._counters

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
        budget, item, retry_after_seconds = refused
        problem = RateLimited(
            f"too many requests ({budget.name} budget: {item}); retry in {retry_after_seconds} s",
            budget=budget.name,
            retry_after=retry_after_seconds,
        )
        response = problem_response(
            problem.status, problem.body(scope["path"]), {"Retry-After": str(retry_after_seconds)}
        )
        await response(scope, receive, send)

    async def _spend(self, scope: Scope) -> tuple[Budget, RateLimitItem, int] | None:
        named = [
            (budget, item, Counter(_key(budget, item, who), item.amount, item.get_expiry() * 1000))
            for budget, who in self.budgets(scope)
            for item in budget.items
        ]
        counters = [counter for *_, counter in named]
        refusal = await self.counters().spend(counters, int(time.time() * 1000))
        if refusal is None:
            return None
        budget, item, counter = named[refusal.index]
        return budget, item, retry_after(counter, refusal)

    def _log_store_error(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._last_error_log > 60:
            self._last_error_log = now
            log.warning("rate limits not applied, their store failed: %s", type(exc).__name__)


def _key(budget: Budget, item: RateLimitItem, who: str) -> str:
    return f"{budget.name}/{who}/{item.amount}/{item.get_expiry()}"


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
