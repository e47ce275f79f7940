"""Jinja2 set-up for the pages: autoescaped templates, and what every page may show."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app.domain.vocabulary import Role

TEMPLATES = Path(__file__).resolve().parent / "templates"

ROLE_LABELS = {Role.admin: "Program admin", Role.trainer: "Trainer", Role.trainee: "Trainee"}


def _when(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%-d %b %Y, %H:%M")
    return value.strftime("%-d %b %Y")


def _clock(seconds: int | float | None) -> str:
    """Seconds as h:mm:ss or m:ss, the way media players show time."""
    if seconds is None:
        return ""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _figure(result: object, spec: str = "{:.2f}") -> str:
    """A coefficient, or a dash when it could not be computed (a NotApplicable result)."""
    value = getattr(result, "value", result)
    if not isinstance(value, int | float) or value != value:
        return "—"
    return spec.format(value)


def _percent(result: object) -> str:
    value = getattr(result, "value", result)
    return _figure(value * 100, "{:.0f}%") if isinstance(value, int | float) else "—"


environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(("html", "svg")),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.filters["when"] = _when
environment.filters["clock"] = _clock
environment.filters["figure"] = _figure
environment.filters["percent"] = _percent
environment.globals["role_labels"] = ROLE_LABELS


def _csrf(request: Request) -> str:
    issue = request.scope.get("csrftoken")
    return str(issue()) if callable(issue) else ""


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    state = request.state
    body = environment.get_template(name).render(
        request=request,
        csrf_token=_csrf(request),
        user=getattr(state, "user", None),
        places=getattr(state, "places", []),
        program=getattr(state, "program", None),
        roles=getattr(state, "roles", frozenset()),
        **(context or {}),
    )
    return HTMLResponse(body, status_code=status_code, headers=dict(headers or {}))


def render_bytes(name: str, context: Mapping[str, Any]) -> bytes:
    """A page outside any request (the CSRF refusal happens before routing)."""
    return (
        environment.get_template(name)
        .render(
            request=None,
            csrf_token="",
            user=None,
            places=[],
            program=None,
            roles=frozenset(),
            **context,
        )
        .encode()
    )
