"""The program admin's home (what needs doing, the way to each section), and what the admin
sections share: the notices their forms lead back to, and refused writes undone."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.api.deps import SessionDep
from app.db.base import utcnow
from app.domain.vocabulary import Role
from app.services.errors import ServiceError
from app.services.programs import active_members_by_role, cohorts_of
from app.services.session_board import overview
from app.web.policies import AdminPage
from app.web.templating import render

router = APIRouter(prefix="/p/{program}/admin", include_in_schema=False)

T = TypeVar("T")

# What a form did, shown on the page it leads back to (?done=KEY&n=COUNT): fixed wording, so
# that nothing a link carries is ever shown as text.
NOTICES = {
    "assigned": "{n} assignment(s) made.",
    "released": "Feedback released for {n} session(s).",
    "registered": "Session #{n} registered.",
    "imported": "{n} session(s) imported. They wait for raters below.",
    "withdrawn": "The assignment was withdrawn.",
    "deactivated": "The role was deactivated; the person can no longer act in it here.",
    "reactivated": "The role was given back; the person acts in it here again.",
    "cohort-created": "The cohort was created.",
    "cohort-updated": "The cohort was updated.",
    "master": "Master rating saved: this is now a calibration session, and each rater sees "
    "the key beside their own rating once they have submitted.",
}


def notice(done: str | None, n: int | None) -> str:
    """The sentence for ``?done=KEY&n=COUNT``, or nothing for an unknown key."""
    text = NOTICES.get(done or "")
    return text.format(n=n if n is not None else "") if text else ""


def attempt(session: Session, action: Callable[[], T]) -> T | ServiceError:
    """Run a write that may be refused, undoing whatever it wrote if it is.

    The page then shows the form again with the service's message; the request's
    transaction goes on, without the refused write.
    """
    try:
        with session.begin_nested():
            return action()
    except ServiceError as exc:
        return exc


@router.get("")
def home(request: Request, ctx: AdminPage, session: SessionDep) -> Response:
    today = utcnow().date()
    return render(
        request,
        "admin/home.html",
        {
            "overview": overview(session, ctx.program, ctx.user, today=today),
            "people": active_members_by_role(session, ctx.program),
            "cohorts": [c for c in cohorts_of(session, ctx.program) if c.active],
            "settings": ctx.program,
            "today": today,
            "place_role": Role.admin,
            "section": "overview",
        },
    )
