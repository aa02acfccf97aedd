"""The one MetaData every table is declared on, with explicit constraint names so Alembic
migrations are stable across SQLite and PostgreSQL.

It must be in place before the first table class is defined: the `api` package imports this
module first, so no import order of the domain modules can declare a table elsewhere.
"""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlmodel import SQLModel

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
if SQLModel.metadata.naming_convention != NAMING_CONVENTION:
    SQLModel.metadata = MetaData(naming_convention=NAMING_CONVENTION)
