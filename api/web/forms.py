"""What people type into the web app's forms, read as the API's inputs: amounts in whole tokens
to exact smallest units, dates, one phrase per line, the optional legal identity."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from api.core.deployment import Deployment
from api.core.errors import InvalidInput

ETH_DECIMALS = 18


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]


def token_units(deployment: Deployment, token: str, text: str, field_name: str) -> str:
    """An amount typed in whole tokens, in the token's smallest unit (its own decimals)."""
    known = deployment.known(token)
    if known is None or known.decimals is None:
        problem = deployment.token_error(token) or f"{token}: its decimals are unknown"
        raise InvalidInput(f"token: {problem}", errors=[{"field": "token", "message": problem}])
    return to_units(text, field_name, known.decimals)


def to_units(text: str, field_name: str, decimals: int = ETH_DECIMALS) -> str:
    """A decimal amount typed by a person ("1.5") as the exact integer of the smallest unit."""
    try:
        value = Decimal(text.strip()).scaleb(decimals)
    except InvalidOperation:
        value = None
    if value is None or value != value.to_integral_value() or value <= 0:
        raise InvalidInput(
            f"{field_name}: {text!r} is not a positive amount with at most {decimals} decimals",
            errors=[{"field": field_name, "message": "not a positive amount"}],
        )
    return str(int(value))


def date_at_midnight(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a date (YYYY-MM-DD)") from None


def legal_identity(legal_name: str, postal_address: str, email: str, tax_country: str) -> dict:
    given = {
        "legal_name": legal_name,
        "postal_address": postal_address,
        "email": email,
        "tax_country": tax_country,
    }
    return {name: value.strip() for name, value in given.items() if value.strip()}
