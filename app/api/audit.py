"""A program's audit log, for its admins."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from app.api.deps import SessionDep
from app.api.policies import ProgramAdmin
from app.api.schemas.base import IsoDateTime
from app.exports.audit_csv import audit_csv
from app.services.audit import program_events
from app.services.feedback import sessions_blind_to

router = APIRouter(prefix="/programs/{program}", tags=["audit"])

_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "One event a row, oldest first"},
    401: {"description": "Not signed in"},
    404: {"description": "No such program, or not one you administer"},
}


def _utc(moment: datetime | None) -> datetime | None:
    """A time without an offset is read as UTC, the time zone the log is kept in."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


@router.get("/audit.csv", response_class=Response, responses=_RESPONSES)
def export_audit_log(
    ctx: ProgramAdmin,
    session: SessionDep,
    action: str | None = Query(default=None, max_length=64),
    since: IsoDateTime | None = None,
    until: IsoDateTime | None = None,
) -> Response:
    """The log as CSV; events about sessions the admin still has to rate are left out."""
    events = program_events(
        session, ctx.program.id, action=action, since=_utc(since), until=_utc(until),
        blind_to=sessions_blind_to(session, ctx.program, ctx.user), viewer_id=ctx.user.id,
    )  # fmt: skip
    return Response(
        audit_csv(events),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{ctx.program.slug}-audit.csv"'},
    )
