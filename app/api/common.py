"""Pieces every program-scoped router shares: id path parameters and documented errors."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path

# Ids are 32-bit on every backend; a larger one would make PostgreSQL raise, not answer 404.
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]

HIDDEN: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in"},
    404: {"description": "No such object, or not one the caller may see"},
}
WRITE: dict[int | str, dict[str, Any]] = {
    **HIDDEN,
    409: {"description": "Conflict with the current state"},
    422: {"description": "Invalid; the message names the field"},
}
