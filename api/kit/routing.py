"""Routing that does not try every route of every router on every request.

FastAPI matches a request against each included router in turn, and each router against each of
its routes (a regular expression and some bookkeeping per route), so a request for the last
router's route pays for all the others: with a hundred routes, matching costs more than most
endpoints. :func:`skip_routers_that_cannot_match` gives each included router one expression, the
union of its routes' own, and lets FastAPI look inside only the routers whose routes could match
the path. Which route answers, with which 404, 405 or redirect, is unchanged: a router is skipped
only when none of its routes matches the path, in which case FastAPI would find no match in it
either.
"""

from __future__ import annotations

import re

from fastapi import FastAPI
from starlette.routing import Match

_NAMED = re.compile(r"\(\?P<\w+>")


def _path_patterns(router) -> list[str] | None:
    patterns: list[str] = []
    for route in router.routes:
        nested = getattr(route, "original_router", None)
        if nested is not None:
            inner = _path_patterns(nested)
            if inner is None:
                return None
            patterns += inner
            continue
        regex = getattr(route, "path_regex", None)
        if regex is None:  # a route we cannot read: never skip this router
            return None
        patterns.append(regex.pattern)
    return patterns


def skip_routers_that_cannot_match(app: FastAPI) -> int:
    """Install the per-router path check; returns how many routers got one."""
    installed = 0
    for included in app.router.routes:
        router = getattr(included, "original_router", None)
        context = getattr(included, "include_context", None)
        if router is None or context is None or context.prefix:
            continue  # a plain route, or a router whose paths are prefixed when included
        patterns = _path_patterns(router)
        if not patterns:
            continue
        # Named groups become plain ones: two routes may both name a `request_id`.
        paths = re.compile("|".join(f"(?:{_NAMED.sub('(?:', p)})" for p in patterns))
        matches = included.matches

        def prefiltered(scope, matches=matches, paths=paths):
            if paths.match(scope.get("path", "")) is None:
                return Match.NONE, {}
            return matches(scope)

        prefiltered.unfiltered = matches  # for the tests that compare both
        included.matches = prefiltered
        installed += 1
    return installed
