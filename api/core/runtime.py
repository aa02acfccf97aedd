"""Start-up checks and the local stack behind `collab serve` (and so `make run`).

Every check names the setting at fault in one line; `collab serve` prints it and exits.
"""

from __future__ import annotations

import contextlib
import json
import logging
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from web3 import Web3

from api.core.settings import ROOT, Settings, env_name

log = logging.getLogger("collab")


class StartupError(Exception):
    def __init__(self, setting: str, message: str) -> None:
        super().__init__(f"{setting}: {message}")
        self.setting = setting


def load_settings(**overrides) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        setting = str(error["loc"][0]).upper() if error["loc"] else "settings"
        raise StartupError(setting, error["msg"]) from None


def check_workers(settings: Settings) -> None:
    """Several API processes need PostgreSQL: SQLite has one writer for the whole file, and the
    leader locks that keep one indexer and one webhook worker across processes are PostgreSQL's."""
    if settings.web_workers > 1 and settings.is_sqlite:
        raise StartupError(
            "WEB_WORKERS", f"{settings.web_workers} workers need DATABASE_URL on PostgreSQL"
        )
    if settings.web_workers > 1 and settings.rate_limits_enabled and not settings.redis_url:
        log.warning(
            "no REDIS_URL: each of the %d workers counts rate limits on its own",
            settings.web_workers,
        )


def settings_environment(loaded: Settings, ready: Settings) -> dict[str, str]:
    """The environment variables that turn ``loaded`` into ``ready`` (settings the start-up
    decided), for processes that read their settings from the environment."""
    changed = {}
    for name in type(ready).model_fields:
        value = getattr(ready, name)
        if value == getattr(loaded, name) or value is None:
            continue
        if isinstance(value, list):
            value = ",".join(str(item) for item in value)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        changed[env_name(name)] = str(value)
    return changed


def check_database(settings: Settings) -> None:
    from api.core.db import make_engine

    try:
        engine = make_engine(settings.database_url)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except (SQLAlchemyError, OSError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise StartupError("DATABASE_URL", f"cannot connect: {message}") from None


def migrate(settings: Settings) -> None:
    from api.core.migrate import upgrade

    try:
        upgrade(settings.database_url)
    except Exception as exc:  # noqa: BLE001 - whatever stops a migration stops the start
        raise StartupError("DATABASE_URL", f"migration failed: {exc}") from None


def check_chain(settings: Settings) -> Web3:
    from contracts.localchain import is_rpc_up

    url = settings.chain_rpc_url
    if not url or not is_rpc_up(url, timeout=settings.chain_timeout_seconds):
        raise StartupError("CHAIN_RPC_URL", f"no JSON-RPC node answers at {url}")
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": settings.chain_timeout_seconds}))
    chain_id = w3.eth.chain_id
    if settings.chain_id is not None and settings.chain_id != chain_id:
        raise StartupError(
            "CHAIN_ID", f"expected {settings.chain_id} but the node at CHAIN_RPC_URL is {chain_id}"
        )
    for name in ("escrow_address", "splitter_factory_address", "stablecoin_address"):
        address = getattr(settings, name)
        if address and not w3.eth.get_code(address):
            raise StartupError(name.upper(), f"no contract at {address} on chain {chain_id}")
    return w3


def artifacts_present() -> bool:
    return (ROOT / "contracts" / "artifacts" / "CollabEscrow.json").exists()


def deploy_if_needed(settings: Settings, w3: Web3, state_dir: Path | None = None) -> Settings:
    """Deploy the contracts on a local chain when no address was configured."""
    if settings.escrow_address or not artifacts_present():
        return settings
    from contracts.localchain import DEV_PRIVATE_KEYS, LOCAL_CHAIN_ID

    if w3.eth.chain_id != LOCAL_CHAIN_ID and not settings.deployer_private_key:
        raise StartupError(
            "ESCROW_ADDRESS", "required on a public chain (or set DEPLOYER_PRIVATE_KEY to deploy)"
        )
    from contracts.bindings import deploy_local

    # A restarted local chain reloads its state, so the contracts deployed last time are reused.
    record = (state_dir or ROOT / "var") / f"deployment-{w3.eth.chain_id}.json"
    if record.exists():
        saved = json.loads(record.read_text())
        if all(w3.eth.get_code(saved[name]) for name in DEPLOYED):
            log.info("reusing CollabEscrow at %s", saved["escrow_address"])
            return _with_deployment(settings, saved)
    key = settings.deployer_private_key or DEV_PRIVATE_KEYS[0]
    deployment = deploy_local(w3, key, treasury=settings.treasury_address)
    log.info("deployed CollabEscrow at %s", deployment.escrow_address)
    saved = {name: getattr(deployment, name) for name in (*DEPLOYED, "start_block")}
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps(saved, indent=2))
    return _with_deployment(settings, saved)


DEPLOYED = ("escrow_address", "splitter_factory_address", "stablecoin_address")


def _with_deployment(settings: Settings, saved: dict) -> Settings:
    return settings.model_copy(
        update={
            "escrow_address": saved["escrow_address"],
            "splitter_factory_address": saved["splitter_factory_address"],
            "stablecoin_address": settings.stablecoin_address or saved["stablecoin_address"],
            "indexer_start_block": saved["start_block"],
        }
    )


def check_deployment(settings: Settings, w3: Web3) -> None:
    """The configured tokens answer as ERC-20s and the platform fee is within the escrow's cap:
    said here in one line, before the server starts (the app checks it again as it starts)."""
    from api.core.deployment import load_deployment

    load_deployment(settings, w3)


LOCAL_PORT = 8545


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@contextlib.contextmanager
def local_stack(settings: Settings, state_dir: Path | None = None):
    """Yield settings ready to serve: a chain (started if needed), contracts, a migrated DB."""
    with contextlib.ExitStack() as stack:
        check_database(settings)
        if not settings.chain_rpc_url:
            from contracts.localchain import Anvil, AnvilError

            state_path = (state_dir or ROOT / "var") / "anvil-state.json"
            # The usual port when it is free, so wallets and `collab dev send` find the chain.
            port = LOCAL_PORT if state_dir is None and _port_free(LOCAL_PORT) else 0
            try:
                anvil = stack.enter_context(Anvil(port=port, state_path=state_path))
            except AnvilError as exc:
                raise StartupError(
                    "CHAIN_RPC_URL", f"could not start a local anvil: {exc}"
                ) from None
            settings = settings.model_copy(
                update={"chain_rpc_url": anvil.rpc_url, "dev_signer": True}
            )
            log.warning("local chain (anvil) on %s, chain id 31337", anvil.rpc_url)
        w3 = check_chain(settings)
        settings = deploy_if_needed(settings, w3, state_dir)
        check_deployment(settings, w3)
        migrate(settings)
        yield settings
