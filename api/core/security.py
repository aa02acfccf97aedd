"""Security headers on every response, and the secrets a server refuses to start without."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.core.settings import Settings

DEFAULT_SECRET_KEY = Settings.model_fields["secret_key"].default
LOCAL_CHAIN_ID = 31337
MIN_OPERATOR_KEY_LENGTH = 32
MIN_DISTINCT_CHARACTERS = 10

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
# The API serves JSON only: nothing may load, run or frame it. The interactive docs load Swagger
# UI / ReDoc from a CDN with inline scripts, so they get no policy from here.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
DOCS_PATHS = ("/docs", "/redoc")


class SecurityHeaders:
    """Adds the headers to every HTTP response, unless the route set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = scope["path"].startswith(DOCS_PATHS)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
                if not docs:
                    headers.setdefault("Content-Security-Policy", API_CSP)
            await send(message)

        await self.app(scope, receive, with_headers)


def weak_secret(value: str) -> str | None:
    """Why an operator key is too weak to guard the arbiter's actions, or None."""
    if len(value) < MIN_OPERATOR_KEY_LENGTH:
        return f"must be at least {MIN_OPERATOR_KEY_LENGTH} characters"
    if len(set(value)) < MIN_DISTINCT_CHARACTERS:
        return f"must use at least {MIN_DISTINCT_CHARACTERS} different characters"
    return None


def secrets_problem(settings: Settings, chain_id: int | None) -> tuple[str, str] | None:
    """(setting, message) when the server must not start with these secrets.

    `chain_id` is the node's, when CHAIN_RPC_URL is set and the node answers (else the chain
    check refuses the start anyway). The default SECRET_KEY is public, so it is accepted only on
    the local chain: no CHAIN_RPC_URL (we start anvil ourselves) or chain id 31337.
    """
    if settings.operator_api_key is not None and (why := weak_secret(settings.operator_api_key)):
        return "OPERATOR_API_KEY", f"{why}; generate one: python -c 'import secrets; " + (
            "print(secrets.token_urlsafe(32))'"
        )
    local = not settings.chain_rpc_url or chain_id == LOCAL_CHAIN_ID
    if settings.secret_key == DEFAULT_SECRET_KEY and not local:
        return "SECRET_KEY", "the default is public: set your own on any chain but the local one"
    return None


def check_start(settings: Settings) -> None:
    """Refuse to serve with weak secrets, or with a Redis that does not answer (one line)."""
    from api.core.runtime import StartupError, check_chain

    chain_id = None
    if settings.chain_rpc_url:  # an unreachable node is refused here, naming CHAIN_RPC_URL
        chain_id = check_chain(settings).eth.chain_id
    if problem := secrets_problem(settings, chain_id):
        raise StartupError(*problem)
    if settings.redis_url:
        import redis

        try:
            with redis.Redis.from_url(settings.redis_url, socket_timeout=3) as client:
                client.ping()
        except redis.RedisError as exc:
            raise StartupError("REDIS_URL", f"cannot connect: {exc}") from None
