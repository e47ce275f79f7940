"""Deny by default: every route of the app declares (and so enforces) an access policy."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi.dependencies.models import Dependant
from starlette.routing import BaseRoute

from app.api.policies import Policy
from app.main import create_app

# Served by the framework itself: the API's own description, readable by anyone.
FRAMEWORK_ROUTES = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/static"}


def _policies(dependant: Dependant) -> list[Policy]:
    found: list[Policy] = []
    for child in dependant.dependencies:
        if isinstance(child.call, Policy):
            found.append(child.call)
    for child in dependant.dependencies:
        found += _policies(child)
    return found


def all_routes(routes: Iterable[BaseRoute]) -> Iterator[Any]:
    """Every served route, routers included (FastAPI nests included routers)."""
    for route in routes:
        candidates = getattr(route, "effective_candidates", None)
        if candidates is not None:
            yield from all_routes(candidates())
        else:
            yield route


def test_every_route_declares_a_policy() -> None:
    undeclared, seen = [], 0
    for route in all_routes(create_app().routes):
        dependant = getattr(route, "dependant", None)
        if dependant is None:
            assert route.path in FRAMEWORK_ROUTES, route.path
            continue
        seen += 1
        if not _policies(dependant):
            undeclared.append(f"{sorted(route.methods)} {route.path}")
    assert seen >= 8, "the walk must reach the API's routes"
    assert undeclared == [], f"routes without an access policy: {undeclared}"


def test_public_routes_are_the_intended_few() -> None:
    public = sorted(
        route.path
        for route in all_routes(create_app().routes)
        if getattr(route, "dependant", None) is not None
        and {p.name for p in _policies(route.dependant)} == {"public"}
    )
    assert public == [
        "/api/v1/auth/password-set",
        "/api/v1/auth/token",
        "/api/v1/reliability",
        "/api/v1/rubrics",
        "/api/v1/rubrics/{rubric_id}/versions/{version}",
        "/healthz",
        "/invitation",
        "/invitation",
        "/keys/{program}.pem",
        "/login",
        "/login",
        "/logout",
        "/verify/{certificate_id}",
    ]
