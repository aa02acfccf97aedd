"""OpenAPI that tells the truth about errors: every failure is an RFC 9457 problem."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from api.core.auth import get_principal
from api.core.limits import declare_limits
from api.kit.idempotency import get_idempotency

PROBLEM_SCHEMA = {
    "title": "Problem",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "stable problem type, urn:collab:problem:*"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
    "additionalProperties": True,
}
ERRORS = {
    401: "Missing or invalid API key",
    403: "Not allowed for this account",
    404: "Not found (or not yours)",
    409: "Conflicts with the current state, or an Idempotency-Key reused with another body",
    422: "Invalid input",
    503: "The blockchain node is unreachable",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: the problems its service can answer that its dependencies do
    not show (404 of a lookup, 409 of a state, 403 of a rule, 503 of the chain). What the
    dependencies show is added by `route_errors`."""
    return {status: {"description": ERRORS[status]} for status in statuses}


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _calls(dependency)


def route_errors(route: APIRoute) -> set[int]:
    """The problem statuses one route can answer: 422 everywhere (validation, and a NUL in any
    query), 401 with an API key, 403 with a role, 409 with an Idempotency-Key, and what the
    route declares with `errors(...)`."""
    calls = set(_calls(route.dependant))
    statuses = {422}
    if get_principal in calls:
        statuses.add(401)
    if any(getattr(call, "required_role", None) for call in calls):
        statuses.add(403)
    if get_idempotency in calls:
        statuses.add(409)
    return statuses | {int(status) for status in route.responses if int(status) in ERRORS}


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            routes=app.routes,
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Problem"] = PROBLEM_SCHEMA
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
        paths = schema.get("paths", {})
        # Included routers are walked as FastAPI's own OpenAPI does; each context carries the
        # full path of a route declared in a router with its prefix.
        for context in iter_route_contexts(app.routes):
            route = context.original_route
            if not isinstance(route, APIRoute) or context.path_format not in paths:
                continue
            for method in context.methods or ():
                operation = paths[context.path_format].get(method.lower())
                if operation is None:
                    continue
                responses = operation.setdefault("responses", {})
                for status in ERRORS:
                    responses.pop(str(status), None)
                for status in sorted(route_errors(route)):
                    responses[str(status)] = {"description": ERRORS[status], "content": problem}
        declare_limits(schema, problem)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi
