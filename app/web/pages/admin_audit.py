"""The program's audit log for its admins: filtered, newest first, and as CSV.

An admin who still rates a session sees none of its events but their own, as in the API's
export: the same service decides for both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app.api.deps import SessionDep
from app.domain.vocabulary import Role
from app.exports.audit_csv import audit_csv
from app.services.audit import log_choices, program_events
from app.services.errors import InvalidInputError
from app.services.feedback import sessions_blind_to
from app.web.form_values import optional_date, optional_id
from app.web.policies import AdminPage
from app.web.templating import render

router = APIRouter(prefix="/p/{program}/admin", include_in_schema=False)

PER_PAGE = 100


@dataclass(frozen=True)
class AuditFilter:
    action: str | None
    since: datetime | None
    until: datetime | None
    actor_id: int | None
    query: dict[str, str]

    @classmethod
    def read(cls, action: str, since: str, until: str, actor: str) -> AuditFilter:
        """The filter as typed; dates are whole days in UTC, the log's time zone."""
        start = optional_date(since, "since")
        end = optional_date(until, "until")
        if start is not None and end is not None and end < start:
            raise InvalidInputError("until: must not be before since")
        return cls(
            action=action.strip() or None,
            since=datetime.combine(start, time.min, UTC) if start else None,
            until=datetime.combine(end, time.max, UTC) if end else None,
            actor_id=optional_id(actor, "actor"),
            query={"action": action, "since": since, "until": until, "actor": actor},
        )


def _details(payload: dict[str, object]) -> str:
    """The event's payload on one line, as a reader scans it."""
    return ", ".join(
        f"{key}: {value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)}"
        for key, value in sorted(payload.items())
    )


Filters = Annotated[str, Query(max_length=64)]


@router.get("/audit")
def audit_log(
    request: Request,
    ctx: AdminPage,
    session: SessionDep,
    action: Filters = "",
    since: Filters = "",
    until: Filters = "",
    actor: Filters = "",
    before: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> Response:
    chosen = AuditFilter.read(action, since, until, actor)
    # The filters' choices come from the events the admin may see, like the events do.
    blind, me = sessions_blind_to(session, ctx.program, ctx.user), ctx.user.id
    events = program_events(
        session, ctx.program.id, action=chosen.action, since=chosen.since, until=chosen.until,
        actor_id=chosen.actor_id, newest_first=True, before_id=before, limit=PER_PAGE + 1,
        blind_to=blind, viewer_id=me,
    )  # fmt: skip
    # One more than a page tells whether there are older events; they start below the last.
    older = events[PER_PAGE - 1].id if len(events) > PER_PAGE else None
    choices = log_choices(session, ctx.program.id, blind_to=blind, viewer_id=me)
    query = {k: v for k, v in chosen.query.items() if v}
    return render(
        request,
        "admin/audit.html",
        {
            "events": [(e, _details(e.payload)) for e in events[:PER_PAGE]],
            "actions": choices.actions,
            "actors": choices.actors,
            "names": {a.id: a.full_name for a in choices.actors},
            "filters": chosen.query,
            "older": f"?{urlencode({**query, 'before': older})}" if older else "",
            "newest": f"?{urlencode(query)}" if before else "",
            "csv": f"/p/{ctx.program.slug}/admin/audit.csv"
            + (f"?{urlencode(query)}" if query else ""),
            "place_role": Role.admin,
            "section": "audit",
        },
    )


@router.get("/audit.csv")
def audit_export(
    ctx: AdminPage,
    session: SessionDep,
    action: Filters = "",
    since: Filters = "",
    until: Filters = "",
    actor: Filters = "",
) -> Response:
    """The filtered log as CSV, oldest first, with the hashes to re-check the chain."""
    chosen = AuditFilter.read(action, since, until, actor)
    events = program_events(
        session, ctx.program.id, action=chosen.action, since=chosen.since, until=chosen.until,
        actor_id=chosen.actor_id, blind_to=sessions_blind_to(session, ctx.program, ctx.user),
        viewer_id=ctx.user.id,
    )  # fmt: skip
    return Response(
        audit_csv(events),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{ctx.program.slug}-audit.csv"'},
    )
