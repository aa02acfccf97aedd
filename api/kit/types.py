"""Validated field types shared by every domain's schemas."""

from __future__ import annotations

import os
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Annotated

from eth_utils import is_address, to_checksum_address
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    Strict,
    WithJsonSchema,
)

MAX_UINT256 = 2**256 - 1
# The API's name for native ETH in a token field (the chain says the zero address instead).
ETH = "ETH"
WEI_PER_ETH = 10**18
# The largest amount the API takes, in a token's smallest unit: 10^30 wei is a trillion ETH, far
# beyond any real deal, and far from where share arithmetic could come near 2^256.
MAX_AMOUNT = 10**30
# A date further away than this is a typo or a probe, and some would overflow once in UTC.
MAX_FUTURE = timedelta(days=10 * 366)
# Where creators publish. A closed list (the matching index keeps a row per platform, so names
# must not be open to anyone), wide enough for what creators name: streaming, short video,
# social networks, newsletters and podcasts.
PLATFORMS = (
    "instagram", "tiktok", "youtube", "twitch", "x", "linkedin", "twitter", "snapchat",
    "facebook", "threads", "bluesky", "mastodon", "pinterest", "reddit", "kick", "discord",
    "telegram", "whatsapp", "substack", "newsletter", "blog", "podcast", "spotify", "vimeo",
    "dailymotion", "weibo", "douyin", "bilibili", "wechat",
)  # fmt: skip
_AMOUNT = re.compile(r"^[0-9]{1,31}$")


def new_id(prefix: str) -> str:
    """Time-ordered ids (48-bit milliseconds + 80 random bits): newest-first paging by id."""
    millis = int(time.time() * 1000)
    return f"{prefix}_{millis:012x}{os.urandom(10).hex()}"


def _address(value: object) -> str:
    if not isinstance(value, str) or not is_address(value):
        raise ValueError("must be a 0x-prefixed 20-byte Ethereum address")
    body = value[2:]
    # Mixed case must be a valid EIP-55 checksum; all-lower or all-upper is accepted.
    if body != body.lower() and body != body.upper() and to_checksum_address(value) != value:
        raise ValueError("bad EIP-55 checksum; check the address")
    return to_checksum_address(value)


def _amount(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("must be a decimal string of the token's smallest unit")
    if isinstance(value, int):
        raise ValueError('send amounts as decimal strings, e.g. "1500000000000000000"')
    if not _AMOUNT.match(value):
        raise ValueError("must be a decimal string of digits (smallest unit, no decimals)")
    amount = int(value)
    if amount <= 0 or amount > MAX_AMOUNT:
        raise ValueError(f"must be greater than 0 and at most {MAX_AMOUNT} (10^30)")
    return amount


def _token(value: object) -> str:
    if isinstance(value, str) and value.upper() == ETH:
        return ETH
    try:
        return _address(value)
    except ValueError:
        raise ValueError('must be "ETH" or an ERC-20 contract address') from None


def _lower_code(length: int):
    def check(value: object) -> str:
        if not isinstance(value, str) or not re.fullmatch(rf"[A-Za-z]{{{length}}}", value):
            raise ValueError(f"must be a {length}-letter code")
        return value.lower()

    return check


Address = Annotated[str, BeforeValidator(_address), Field(examples=["0x" + "ab" * 20])]
# Amounts travel as decimal strings and live as Python ints in between.
Amount = Annotated[
    int,
    BeforeValidator(_amount),
    PlainSerializer(lambda value: str(value), return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^[0-9]{1,31}$",
            "description": "integer amount in the token's smallest unit, as a decimal string",
            "examples": ["1500000000000000000"],
        }
    ),
]
Token = Annotated[str, BeforeValidator(_token), Field(examples=["ETH"])]
Language = Annotated[str, BeforeValidator(_lower_code(2)), Field(examples=["fr"])]
Country = Annotated[
    str, BeforeValidator(_lower_code(2)), AfterValidator(str.upper), Field(examples=["FR"])
]
Platform = Annotated[
    str,
    BeforeValidator(lambda v: v.lower() if isinstance(v, str) else v),
    AfterValidator(lambda v: _platform(v)),
]


def _platform(value: str) -> str:
    if value not in PLATFORMS:
        raise ValueError(f"unknown platform; one of {', '.join(PLATFORMS)}")
    return value


def _future_datetime(value: datetime) -> datetime:
    """An aware datetime in the future and within MAX_FUTURE, returned in UTC."""
    try:
        value = value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError("is out of range") from None
    now = datetime.now(UTC)
    if value <= now:
        raise ValueError("must be in the future")
    if value > now + MAX_FUTURE:
        raise ValueError("must be within ten years")
    return value


# Aware (with a UTC offset), in the future, at most ten years away; stored and shown in UTC.
FutureDatetime = Annotated[AwareDatetime, AfterValidator(_future_datetime)]
# Integers that must arrive as JSON integers: `true` is not 1 and `5000.0` is not 5000.
StrictInt = Annotated[int, Strict()]


class TokenInfo(BaseModel):
    """A token the deployment knows, as responses name it next to an amount."""

    token: str
    symbol: str | None
    decimals: int | None


class Money(BaseModel):
    """An amount in a token's smallest unit, and the token (`ETH` or an ERC-20 address)."""

    model_config = ConfigDict(extra="forbid")

    amount: Amount
    token: Token
