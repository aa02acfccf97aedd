"""One settings object, read once from the environment and `.env`, passed down explicitly."""

from __future__ import annotations

from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from eth_utils import is_address, to_checksum_address
from fastapi import Depends, Request
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[2]  # the repository
DEFAULT_SQLITE_URL = f"sqlite:///{ROOT / 'var' / 'collab.db'}"


def _checksum(value: str | None) -> str | None:
    if value in (None, ""):
        return None
    if not is_address(value):
        raise ValueError(f"{value!r} is not an Ethereum address")
    return to_checksum_address(value)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    database_url: str = Field(DEFAULT_SQLITE_URL, description="SQLAlchemy URL of the database")
    chain_rpc_url: str | None = Field(
        None, description="EVM JSON-RPC endpoint; unset = start a local anvil"
    )
    chain_id: int | None = Field(None, description="expected chain id; checked against the node")
    escrow_address: str | None = Field(None, description="deployed CollabEscrow; unset = deploy")
    splitter_factory_address: str | None = None
    stablecoin_address: str | None = Field(None, description="ERC-20 test stablecoin, 6 decimals")
    token_addresses: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="more ERC-20s deals may be made in, besides STABLECOIN_ADDRESS "
        "(comma-separated addresses)",
    )
    treasury_address: str | None = Field(None, description="receives platform fees")
    platform_fee_bps: int = Field(100, ge=0, le=1000, description="fee written into new offers")
    operator_api_key: str | None = Field(None, description="bearer key for arbiter actions")
    secret_key: str = Field(
        "dev-insecure-secret-change-me", min_length=16, description="server-side HMAC secret"
    )
    dev_signer: bool = Field(False, description="allow anvil's well-known keys (local demo only)")
    deployer_private_key: str | None = Field(None, description="key that deploys on a local chain")
    relayer_private_key: str | None = Field(
        None,
        description="key that pays the gas of relayed creator actions (it never holds deal "
        "money); unset on the local chain = a fixed local key that anvil funds",
    )
    relay_per_creator_per_day: int = Field(
        20, ge=0, le=10_000, description="relayed transactions a creator may use per 24 hours"
    )
    relay_per_creator_per_minute: int = Field(
        3, ge=0, le=1_000, description="relayed transactions a creator may use per minute"
    )
    confirmations: int | None = Field(
        None,
        ge=0,
        le=100,
        description="blocks before an event is applied; unset = 0 on anvil (31337), else 12",
    )
    indexer_poll_seconds: float = Field(1.0, gt=0, le=60)
    indexer_enabled: bool = True
    indexer_start_block: int = Field(0, ge=0)
    offer_ttl_seconds: int = Field(7 * 24 * 3600, gt=0)
    offer_retention_days: int = Field(
        180,
        ge=1,
        description="`collab purge` deletes offers that never became a deal (screened out, "
        "declined, cancelled, expired) this long after they ended",
    )
    idempotency_retention_hours: int = Field(
        24,
        ge=1,
        description="`collab purge` deletes idempotency records this old, and any past its expiry",
    )
    legal_contract_threshold_eur: Decimal = Field(
        Decimal(1000),
        ge=0,
        description="yearly remuneration (EUR excl. VAT) per advertiser from which loi 2023-451 "
        "wants a written contract naming both parties (décret 2025-1137)",
    )
    eur_per_eth: Decimal | None = Field(
        None,
        gt=0,
        description="EUR per ETH for that threshold and the contract's euro equivalent; unset = "
        "unknown, so a French audience always needs the written contract",
    )
    chain_timeout_seconds: float = Field(5.0, gt=0, le=120)
    seed_demo: bool = False
    worker_threads: int = Field(40, ge=1, le=400, description="threads serving sync routes")
    busy_routes: int | None = Field(
        None,
        ge=1,
        le=400,
        description="sync route bodies run at once, those calling the chain aside; "
        "unset = one per CPU",
    )
    web_workers: int = Field(
        1,
        ge=1,
        le=64,
        description="API processes `collab serve` starts (more than one needs PostgreSQL); "
        "one of them runs the indexer and one the webhook worker",
    )
    index_refresh_seconds: float = Field(
        2.0, ge=0, le=3600, description="how often the matching index picks up others' changes"
    )
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    public_url: str | None = Field(
        None,
        pattern=r"^https?://[^/?#\s]+/?$",
        description="the API's address as clients reach it (its host is the Sign-In with "
        "Ethereum domain); unset = http://HOST:PORT",
    )
    siwe_nonce_ttl_seconds: int = Field(600, ge=30, le=3600, description="a sign-in nonce's life")
    explorer_url: str | None = Field(
        None,
        pattern=r"^https?://[^\s?#]+$",
        description="a block explorer (https://sepolia.etherscan.io): the web app links each "
        "transaction to EXPLORER_URL/tx/<hash>; unset = hashes only (the local chain has none)",
    )
    web_session_ttl_seconds: int = Field(
        12 * 3600, ge=60, le=30 * 86400, description="how long a web app sign-in lasts"
    )
    max_body_bytes: int = Field(1024 * 1024, ge=1024, description="larger request bodies get 413")
    redis_url: str | None = Field(
        None, description="Redis for rate limits shared by every worker; unset = in memory"
    )
    auth_cache_seconds: float = Field(
        5.0,
        ge=0,
        le=300,
        description="how long an API key's principal is cached; 0 = ask the database every time "
        "(another worker without REDIS_URL may accept a rotated key this long)",
    )
    rate_limits_enabled: bool = True
    rate_limit_per_address: str = Field(
        "60000/minute", description="requests per client address (all /v1 routes)"
    )
    rate_limit_per_key: str = Field("6000/minute", description="requests per API key")
    rate_limit_registration: str = Field(
        "30/minute;300/hour", description="registrations per client address"
    )
    rate_limit_key_rotation: str = Field(
        "10/minute;60/hour", description="sign-in nonces and key rotations per client address"
    )
    rate_limit_prefix: str = Field(
        "collab", min_length=1, max_length=64, description="Redis key prefix of the rate limits"
    )

    worker_enabled: bool = Field(
        True, description="the API's background webhook worker (or run `collab worker`)"
    )
    worker_poll_seconds: float = Field(
        0.5, gt=0, le=60, description="how often the webhook worker looks for due deliveries"
    )
    webhook_allow_loopback: bool = Field(
        False,
        description="let webhook endpoints point at loopback addresses (local development and "
        "tests); private, link-local and other non-public addresses are always refused",
    )
    webhook_timeout_seconds: float = Field(
        5.0, gt=0, le=30, description="connect and read timeout of one webhook delivery"
    )
    webhook_retry_schedule: Annotated[list[float], NoDecode] = Field(
        default_factory=lambda: [5, 300, 1800, 7200, 18000, 36000, 36000],
        description="seconds to wait before each retry of a failed delivery (comma-separated); "
        "after the last one the delivery has failed and its endpoint is disabled",
    )
    webhook_lease_seconds: float = Field(
        60.0,
        gt=0,
        le=3600,
        description="a delivery claimed by a worker that died is tried again after this long",
    )
    webhook_concurrency: int = Field(
        8, ge=1, le=64, description="endpoints a worker delivers to at the same time"
    )

    @field_validator("webhook_retry_schedule", mode="before")
    @classmethod
    def _schedule(cls, value: str | list | None) -> list[float]:
        if value in (None, ""):
            return []
        if isinstance(value, str):
            try:
                value = [float(part) for part in value.split(",") if part.strip()]
            except ValueError:
                raise ValueError(
                    f"{value!r} is not a list of seconds such as '5,300,1800'"
                ) from None
        if any(delay < 0 for delay in value) or len(value) > 50:
            raise ValueError("at most 50 delays, none negative")
        return [float(delay) for delay in value]

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper() if isinstance(value, str) else value

    @field_validator(
        "escrow_address",
        "splitter_factory_address",
        "stablecoin_address",
        "treasury_address",
        mode="before",
    )
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        return _checksum(value)

    @field_validator("token_addresses", mode="before")
    @classmethod
    def _addresses(cls, value: str | list[str] | None) -> list[str]:
        if value in (None, ""):
            return []
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        return list(dict.fromkeys(_checksum(address) for address in value))

    @field_validator(
        "rate_limit_per_address",
        "rate_limit_per_key",
        "rate_limit_registration",
        "rate_limit_key_rotation",
    )
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError:
            raise ValueError(
                f"{value!r} is not a rate limit such as '100/minute' or '10/second;500/hour'"
            ) from None
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must be a sqlite:/// or postgresql+psycopg:// URL")
        if value.startswith("postgresql://"):
            # psycopg 3 is the driver we ship; plain postgresql:// would ask for psycopg2.
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @cached_property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def env_name(field: str) -> str:
    return field.upper()


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]
