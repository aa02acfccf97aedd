"""Imports every table so the metadata (and Alembic) sees the whole schema."""

from api.idempotency import IdempotencyRecord  # noqa: F401
