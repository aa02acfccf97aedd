"""The app's view of the chain: one web3 connection with timeouts, and typed failures."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Annotated

import requests
from fastapi import Depends, Request
from web3 import Web3
from web3.exceptions import Web3Exception

from api.core.settings import Settings

HEALTH_TTL_SECONDS = 1.0
# Anything that means "the node did not answer" rather than "the node said no".
NODE_DOWN_ERRORS = (requests.exceptions.RequestException, ConnectionError, TimeoutError, OSError)


class ChainError(Exception):
    """A failure of the chain itself, not of the request: one handler (see `install_handler`)
    answers it as a 503 problem."""


class NodeUnavailable(ChainError):
    """The node did not answer (refused, timed out), as opposed to answering no."""


@dataclass
class ChainClient:
    rpc_url: str
    timeout: float = 5.0
    escrow_address: str | None = None
    splitter_factory_address: str | None = None
    stablecoin_address: str | None = None
    w3: Web3 = field(init=False, repr=False)
    _health_cache: tuple[float, dict] | None = field(default=None, init=False, repr=False)
    _health_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        self.w3 = Web3(Web3.HTTPProvider(self.rpc_url, request_kwargs={"timeout": self.timeout}))

    @classmethod
    def from_settings(cls, settings: Settings) -> ChainClient:
        if not settings.chain_rpc_url:
            raise ValueError("CHAIN_RPC_URL is not set")
        return cls(
            rpc_url=settings.chain_rpc_url,
            timeout=settings.chain_timeout_seconds,
            escrow_address=settings.escrow_address,
            splitter_factory_address=settings.splitter_factory_address,
            stablecoin_address=settings.stablecoin_address,
        )

    def ask(self, fn, *args, **kwargs):
        """Run `fn(*args, **kwargs)`, a request to the node; a transport failure raises
        NodeUnavailable."""
        try:
            return fn(*args, **kwargs)
        except NODE_DOWN_ERRORS as exc:
            raise NodeUnavailable(f"the chain node did not answer: {type(exc).__name__}") from exc

    @property
    def chain_id(self) -> int:
        return self.ask(lambda: self.w3.eth.chain_id)

    def latest_block(self) -> int:
        return self.ask(lambda: self.w3.eth.block_number)

    def has_code(self, address: str) -> bool:
        return len(self.ask(self.w3.eth.get_code, Web3.to_checksum_address(address))) > 0

    def contracts(self) -> dict[str, str | None]:
        return {
            "escrow": self.escrow_address,
            "splitter_factory": self.splitter_factory_address,
            "stablecoin": self.stablecoin_address,
        }

    def health(self) -> dict:
        """Cached for a second: load balancers poll /health, and each check is 5 node calls.
        One thread asks the node while the others wait for its answer: under load, every check
        that found the cache stale used to ask the node too."""
        if (info := self._fresh_health()) is not None:
            return info
        with self._health_lock:
            if (info := self._fresh_health()) is not None:
                return info  # another thread asked while this one waited
            info = self._health()
            self._health_cache = (time.monotonic(), info)
            return info

    def _fresh_health(self) -> dict | None:
        cached = self._health_cache
        if cached and time.monotonic() - cached[0] < HEALTH_TTL_SECONDS:
            return cached[1]
        return None

    def _health(self) -> dict:
        try:
            info: dict = {
                "ok": True,
                "chain_id": self.chain_id,
                "latest_block": self.latest_block(),
            }
            info["contracts"] = {
                name: {"address": address, "deployed": self.has_code(address)}
                for name, address in self.contracts().items()
                if address
            }
            return info
        except (ChainError, Web3Exception) as exc:
            return {"ok": False, "error": str(exc)}


async def get_chain(request: Request) -> ChainClient | None:
    """The app's chain client; None when no chain is configured (routes that need one answer
    503 through `require_chain`)."""
    return request.app.state.chain


ChainDep = Annotated[ChainClient | None, Depends(get_chain)]


def install_handler(app) -> None:
    """The one place chain errors become problems: 503, the request changed nothing."""
    from api.core.errors import ChainUnavailable, problem_response

    @app.exception_handler(ChainError)
    async def _chain_error(request: Request, exc: ChainError):
        problem = ChainUnavailable(str(exc))
        return problem_response(problem.status, problem.body(request.url.path))
