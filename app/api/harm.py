"""Admins confirm a harm flag that a single rater raised, so readiness counts it."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import Field

from app.api.common import WRITE, Id
from app.api.deps import SessionDep
from app.api.policies import ProgramAdmin
from app.api.schemas.base import ReadModel, RequestModel
from app.services.harm import confirm_harm

router = APIRouter(prefix="/programs/{program}", tags=["ratings"])


class HarmConfirmationCreate(RequestModel):
    item_key: str = Field(max_length=32)
    note: str = Field(default="", max_length=2000, description="Why; never name patients")


class HarmConfirmationRead(ReadModel):
    session_id: int
    item_key: str
    note: str
    confirmed_at: datetime


@router.post("/sessions/{session_id}/harm-confirmations", status_code=201, responses=WRITE)
def confirm(
    session_id: Id, body: HarmConfirmationCreate, ctx: ProgramAdmin, session: SessionDep
) -> HarmConfirmationRead:
    """Confirm a rater's harm flag on an item; a confirmed flag stops a READY decision."""
    found = confirm_harm(session, ctx.program, ctx.user, session_id, body.item_key, body.note)
    return HarmConfirmationRead(
        session_id=found.session_id, item_key=body.item_key, note=found.note,
        confirmed_at=found.confirmed_at,
    )  # fmt: skip
