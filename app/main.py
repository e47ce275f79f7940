"""The ASGI application: wiring only."""

from __future__ import annotations

import logging

from fastapi import APIRouter, FastAPI

from app import __version__
from app.api import (
    assignments,
    audit,
    auth,
    certificates,
    conflicts,
    harm,
    health,
    imports,
    programs,
    quality,
    ratings,
    readiness,
    reliability,
    reports,
    rubrics,
    sessions,
)
from app.api.errors import install_error_handlers
from app.config import Settings, get_settings
from app.db.engine import make_engine

_ERROR_BODY = {
    "content": {
        "application/json": {
            "schema": {"type": "object", "properties": {"message": {"type": "string"}}}
        }
    }
}


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    logging.basicConfig(level=settings.log_level.upper())
    app = FastAPI(
        title="Guiding Hand",
        version=__version__,
        summary="Competency assessment for psychedelic-assisted psychotherapy training.",
        docs_url="/docs",
        openapi_url="/openapi.json",
        responses={400: {"description": "Malformed request", **_ERROR_BODY}},
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings.database_url)
    install_error_handlers(app)

    api = APIRouter(prefix="/api/v1")
    api.include_router(auth.router)
    api.include_router(programs.router)
    api.include_router(sessions.router)
    api.include_router(assignments.router)
    api.include_router(conflicts.router)
    api.include_router(ratings.router)
    api.include_router(harm.router)
    api.include_router(readiness.router)
    api.include_router(quality.router)
    api.include_router(reports.router)
    api.include_router(certificates.router)
    api.include_router(audit.router)
    api.include_router(imports.router)
    api.include_router(rubrics.router)
    api.include_router(reliability.router)
    app.include_router(api)
    app.include_router(health.router)
    app.include_router(certificates.public)
    return app
