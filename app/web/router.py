"""All pages, in one router the application includes after the API."""

from __future__ import annotations

from fastapi import APIRouter

from app.web.pages import (
    admin,
    admin_audit,
    admin_downloads,
    admin_people,
    admin_readiness,
    admin_reliability,
    admin_sessions,
    auth,
    home,
    rubrics,
    trainee,
    trainer,
)

router = APIRouter(include_in_schema=False)
router.include_router(auth.router)
router.include_router(home.router)
router.include_router(trainer.router)
router.include_router(admin.router)
router.include_router(admin_people.router)
router.include_router(admin_sessions.router)
router.include_router(admin_readiness.router)
router.include_router(admin_reliability.router)
router.include_router(admin_downloads.router)
router.include_router(admin_audit.router)
router.include_router(rubrics.router)
router.include_router(trainee.router)
