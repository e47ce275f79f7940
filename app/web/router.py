"""All pages, in one router the application includes after the API."""

from __future__ import annotations

from fastapi import APIRouter

from app.web.pages import admin_readiness, auth, home, trainee, trainer

router = APIRouter(include_in_schema=False)
router.include_router(auth.router)
router.include_router(home.router)
router.include_router(trainer.router)
router.include_router(admin_readiness.router)
router.include_router(trainee.router)
