"""Text the database cannot store is refused at the door.

PostgreSQL refuses the NUL character (U+0000) in every text value; a NUL anywhere a client can
put text (a JSON string or key, a query parameter, a path segment) used to reach it and fail as a
500. One check in front of the app covers every field, present and future: a 422 problem naming
the field, before any route runs, so nothing is written and the connection stays clean.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.core.errors import InvalidInput, problem_response

NUL = "\x00"
MESSAGE = "must not contain the NUL character (U+0000)"


def _nul_field(value: Any, path: tuple[str, ...] = ()) -> str | None:
    """The dotted path of the first string (or key) holding a NUL, like a validation error's."""
    if isinstance(value, str):
        return (".".join(path) or "body") if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if NUL in key:
                return ".".join((*path, repr(key)[1:-1]))
            if found := _nul_field(item, (*path, key)):
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            if found := _nul_field(item, (*path, str(index))):
                return found
    return None


def _in_query(query_string: bytes) -> str | None:
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True, encoding="utf-8")
    for name, value in pairs:
        if NUL in name or NUL in value:
            return "query." + name.replace(NUL, "\\u0000")
    return None


def _in_body(body: bytes) -> str | None:
    # Valid JSON can only carry a NUL as the escape \u0000 (JSON escapes spell the u in lower
    # case): without it, nothing to find, and the body is not parsed a second time.
    if b"\\u0000" not in body:
        return None
    try:
        parsed = json.loads(body)
    except ValueError:  # not JSON (or a raw NUL byte): the route's own parsing answers 422
        return None
    return _nul_field(parsed)


class RejectNul:
    """ASGI middleware: a 422 problem for a NUL in the path, the query or a JSON body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        field = "path" if NUL in scope["path"] else _in_query(scope.get("query_string", b""))
        if field:
            await self._refuse(field, scope, receive, send)
            return
        if scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        # The body is read whole here (the body limit in front bounds it); the app reads it again.
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body and (field := _in_body(body)):
            await self._refuse(field, scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(field: str, scope: Scope, receive: Receive, send: Send) -> None:
        problem = InvalidInput(f"{field}: {MESSAGE}", errors=[{"field": field, "message": MESSAGE}])
        response = problem_response(problem.status, problem.body(scope["path"]))
        await response(scope, receive, send)
