"""Cursor pagination over time-ordered ids, newest first."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import bindparam

T = TypeVar("T")


class PageParams(BaseModel):
    limit: int
    cursor: str | None


async def page_params(
    limit: Annotated[int, Query(ge=1, le=100, description="page size")] = 20,
    cursor: Annotated[
        str | None,
        Query(max_length=64, pattern=r"^[a-z]{3}_[0-9a-f]{32}$", description="next_cursor"),
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


PageDep = Annotated[PageParams, Depends(page_params)]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def paginate(statement, id_column, params: PageParams):
    """Apply newest-first ordering, the cursor and limit+1 (to know if a next page exists)."""
    if params.cursor:
        statement = statement.where(id_column < params.cursor)
    return statement.order_by(id_column.desc()).limit(params.limit + 1)


class PreparedPages:
    """`paginate` done once, for a statement a hot route runs on every request: the first page
    and the page after a cursor, as statements whose values (the cursor, the limit and the
    statement's own `bindparam`s) come with each run. SQLAlchemy then neither builds the
    statement again nor computes its cache key again, about 0.2 ms a query."""

    def __init__(self, statement, id_column) -> None:
        newest_first = (id_column.desc(),)
        limit = bindparam("page_limit")
        self.first = statement.order_by(*newest_first).limit(limit)
        after = statement.where(id_column < bindparam("page_cursor"))
        self.after = after.order_by(*newest_first).limit(limit)

    def rows(self, session, params: PageParams, **values) -> list:
        """A page of rows (one more than `params.limit`, to know if a next page exists)."""
        values["page_limit"] = params.limit + 1
        if params.cursor:
            values["page_cursor"] = params.cursor
            return list(session.exec(self.after, params=values))
        return list(session.exec(self.first, params=values))


def page_of(rows: list, params: PageParams, to_public) -> Page:
    return page_of_all(rows, params, lambda page: [to_public(row) for row in page])


def page_of_all(rows: list, params: PageParams, to_publics) -> Page:
    """`page_of` with one call for the whole page (``to_publics``: rows -> items), so what the
    items need beyond their rows is read in one query, not one per row."""
    has_more = len(rows) > params.limit
    rows = rows[: params.limit]
    return Page(items=to_publics(rows), next_cursor=rows[-1].id if has_more else None)
