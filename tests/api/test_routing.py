"""Routers skipped by their paths answer exactly as when every route is tried."""

from __future__ import annotations

import re

import pytest

from api.app import create_app
from api.core.settings import Settings


def _paths(app) -> set[str]:
    """Every route's path with its parameters filled in, and paths next to them."""
    found: set[str] = set()

    def walk(routes) -> None:
        for route in routes:
            nested = getattr(route, "original_router", None)
            if nested is not None:
                walk(nested.routes)
            elif (path := getattr(route, "path", None)) is not None:
                concrete = re.sub(r"\{[^}]+\}", "x_1", path)
                found.update({concrete, concrete + "/", concrete + "/more", concrete.upper()})

    walk(app.router.routes)
    return found | {"/", "/nowhere", "/v1", "/v1/", "/v1/nope", "/static/app.css", "//"}


@pytest.fixture(scope="module")
def app():
    return create_app(Settings(database_url="sqlite://", chain_rpc_url=""))


def test_every_router_answers_as_without_the_path_check(app) -> None:
    checked = [r for r in app.router.routes if hasattr(r.matches, "unfiltered")]
    assert len(checked) >= 10  # the API's routers all got one
    for path in sorted(_paths(app)):
        for method in ("GET", "POST", "PATCH", "DELETE"):
            scope = {"type": "http", "path": path, "method": method, "root_path": ""}
            for router in checked:
                fast, _ = router.matches(dict(scope))
                slow, _ = router.matches.unfiltered(dict(scope))
                assert fast == slow, (method, path, router)


def test_the_last_route_and_the_misses_still_answer(client) -> None:
    assert client.get("/health").status_code == 200  # declared after every router
    missing = client.get("/v1/no-such-thing")
    assert missing.status_code == 404
    wrong_method = client.delete("/v1/requests")
    assert wrong_method.status_code == 405
