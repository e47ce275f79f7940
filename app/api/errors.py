"""Every error leaves as JSON with a readable ``message``; none leaks a traceback."""

from __future__ import annotations

import logging
import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.services.errors import ConflictError, NotFoundError, ServiceError

log = logging.getLogger(__name__)


def _location(loc: tuple[object, ...]) -> str:
    # ("body", "ratings", 0, "score") -> "ratings[0].score": the field a client must fix.
    parts = [p for p in loc if p not in ("body", "query", "path", "header", "form")]
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "request"


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"field": _location(tuple(e.get("loc", ()))), "message": str(e.get("msg", ""))}
        for e in exc.errors()
    ]
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return JSONResponse(status_code=422, content={"message": summary, "errors": errors})


def _allowed_methods(app: FastAPI, path: str) -> str | None:
    """Every method the API documents for ``path``.

    Starlette's own Allow header names only the first route that matched the path, and
    FastAPI makes one route per method, so it would under-report.
    """
    methods: set[str] = set()
    for template, operations in app.openapi().get("paths", {}).items():
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            methods |= {m.upper() for m in operations}
    return ", ".join(sorted(methods)) or None


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        allowed = _allowed_methods(request.app, request.url.path)
        if allowed:
            headers["Allow"] = allowed
    return JSONResponse(
        status_code=exc.status_code, content={"message": str(exc.detail)}, headers=headers
    )


async def _service_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    status = (
        404 if isinstance(exc, NotFoundError) else 409 if isinstance(exc, ConflictError) else 422
    )
    return JSONResponse(status_code=status, content={"message": str(exc)})


async def _integrity_error(request: Request, exc: Exception) -> JSONResponse:
    # Services check uniqueness before writing, so this is a concurrent request that won
    # the race (two imports of one file, two identical assignments at once): retryable.
    log.warning("integrity error on %s %s: %s", request.method, request.url.path, exc)
    return JSONResponse(
        status_code=409,
        content={"message": "conflict: another request changed the same data at the same "
                 "moment; reload and try again"},
    )  # fmt: skip


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse(status_code=500, content={"message": "internal error"})


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(Exception, _unexpected_error)
