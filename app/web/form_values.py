"""Reading what a form or a filter sent, as the pages need it.

A browser sends an empty string for a field left blank (a filter's "All", a date not set),
where the API's typed parameters would answer 422. These readers take blank as "not given"
and name the field when a value cannot be read, so the page can say what to fix.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from enum import StrEnum
from typing import TypeVar

from app.services.errors import InvalidInputError

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")

_MAX_ID = 2**31 - 1


def optional_id(value: str | None, field: str) -> int | None:
    """A row id, or None for a blank value.

    >>> optional_id("", "cohort"), optional_id(" 12 ", "cohort")
    (None, 12)
    """
    text = (value or "").strip()
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= _MAX_ID:
        raise InvalidInputError(f"{field}: {text[:20]!r} is not an id")
    return int(text)


def optional_date(value: str | None, field: str) -> date | None:
    """A YYYY-MM-DD date (what a date input sends), or None for a blank value.

    >>> optional_date("2026-03-02", "due_date"), optional_date("", "due_date")
    (datetime.date(2026, 3, 2), None)
    """
    text = (value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(f"{field}: {text[:20]!r} is not a date (YYYY-MM-DD)") from None


def required(value: T | None, field: str, what: str) -> T:
    """``value``, which the form must have given."""
    if value is None:
        raise InvalidInputError(f"{field}: {what}")
    return value


def optional_choice(value: str | None, field: str, kind: type[E]) -> E | None:
    """One of an enumeration's values, or None for a blank value.

    >>> from app.domain.vocabulary import Phase
    >>> optional_choice("medication", "phase", Phase), optional_choice("", "phase", Phase)
    (<Phase.medication: 'medication'>, None)
    """
    text = (value or "").strip()
    if not text:
        return None
    try:
        return kind(text)
    except ValueError:
        choices = ", ".join(k.value for k in kind)
        raise InvalidInputError(f"{field}: {text[:40]!r} is not one of {choices}") from None


def whole_number(value: str | None, field: str, low: int, high: int) -> int:
    """A whole number between ``low`` and ``high``, both included."""
    text = (value or "").strip()
    if not text.isdigit() or not low <= int(text) <= high:
        raise InvalidInputError(f"{field}: give a whole number from {low} to {high}")
    return int(text)


def listed(values: list[str], field: str, read: Callable[[str, str], T | None]) -> list[T]:
    """Every non-blank value of a repeated field (checkboxes), each read by ``read``."""
    found = [read(v, field) for v in values]
    return [v for v in found if v is not None]


def local_path(target: str | None, prefix: str, fallback: str) -> str:
    """Where to go back to after a form: a path under ``prefix`` on this site, or ``fallback``.

    >>> local_path("/p/a/admin/sessions?status=complete", "/p/a/admin/", "/p/a/admin")
    '/p/a/admin/sessions?status=complete'
    >>> local_path("https://evil.example/p/a/admin/", "/p/a/admin/", "/p/a/admin")
    '/p/a/admin'
    """
    if target and target.startswith(prefix) and "\\" not in target and "//" not in target:
        return target
    return fallback
