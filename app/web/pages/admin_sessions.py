"""Sessions for the admin: the list by status, registering one or a CSV file of them, asking
raters (by hand or in bulk), withdrawing an assignment, and releasing feedback.

Row actions answer htmx with the session's row redrawn (and a message); without JavaScript
the same forms post and come back to the list they were sent from.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from app.api.common import Id
from app.api.deps import SessionDep
from app.api.policies import ProgramContext
from app.db.base import utcnow
from app.db.models import RecordedSession
from app.domain.comparison import ComparedItem, compare
from app.domain.csv_cells import file_name, undecodable
from app.domain.rubrics.model import RubricDocument
from app.domain.session_import import REQUIRED_COLUMNS
from app.domain.vocabulary import Modality, Phase, Role
from app.services import assignments as assignment_service
from app.services import feedback as feedback_service
from app.services import ratings as rating_service
from app.services import sessions as session_service
from app.services.errors import ConflictError, InvalidInputError, ServiceError
from app.services.programs import cohorts_of, members_of
from app.services.ratings import RatingContent, item_index, rubric_document
from app.services.rubrics import latest_published, list_rubrics
from app.services.session_board import (
    SessionStatus,
    board_row,
    rater_choices,
    session_board,
    status_counts,
)
from app.services.session_import import SessionImportReport, SessionsImportError, import_sessions
from app.web.form_values import (
    listed,
    local_path,
    optional_choice,
    optional_date,
    optional_id,
    required,
    whole_number,
)
from app.web.pages.admin import attempt, notice
from app.web.pages.trainer import entries_of, scoring_form
from app.web.policies import AdminPage
from app.web.rating_form import rating_from_form
from app.web.templating import render

router = APIRouter(prefix="/p/{program}/admin", include_in_schema=False)

STATUS_LABELS = {
    SessionStatus.unassigned: "Awaiting raters",
    SessionStatus.awaiting: "Awaiting ratings",
    SessionStatus.complete: "Ready to release",
    SessionStatus.released: "Released",
}
MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_RATERS_PER_SESSION = 20


def _list_url(ctx: ProgramContext) -> str:
    return f"/p/{ctx.program.slug}/admin/sessions"


def _back(ctx: ProgramContext, back: str) -> str:
    return local_path(back, _list_url(ctx), _list_url(ctx))


def _with_notice(url: str, done: str, n: int) -> str:
    path, _, fragment = url.partition("#")
    joiner = "&" if "?" in path else "?"
    return f"{path}{joiner}done={done}&n={n}" + (f"#{fragment}" if fragment else "")


def _row_answer(
    request: Request,
    ctx: ProgramContext,
    session: Session,
    session_id: int,
    message: str,
    back: str,
    done: str,
    n: int,
) -> Response:
    """The redrawn row for htmx, or the way back to the list for a plain form."""
    if "hx-request" not in request.headers:
        return RedirectResponse(_with_notice(_back(ctx, back), done, n), status_code=303)
    row = board_row(session, ctx.program, ctx.user, session_id, today=utcnow().date())
    back = _back(ctx, back)
    listed = dict(parse_qsl(urlsplit(back).query))
    filters = {key: listed.get(key, "") for key in ("cohort", "phase", "status")}
    counts = None
    if urlsplit(back).path == _list_url(ctx):
        # The row may have moved to another status: the counts above the list follow it.
        counts = status_counts(
            session, ctx.program, cohort_id=optional_id(filters["cohort"], "cohort"),
            phase=optional_choice(filters["phase"], "phase", Phase),
        )  # fmt: skip
    return render(
        request,
        "admin/_session_row_answer.html",
        {
            "row": row,
            "raters": rater_choices(session, ctx.program),
            "labels": STATUS_LABELS,
            "today": utcnow().date(),
            "back": back,
            "message": message,
            "counts": counts,
            "filters": filters,
        },
    )


@router.get("/sessions")
def sessions(
    request: Request,
    ctx: AdminPage,
    session: SessionDep,
    cohort: Annotated[str, Query(max_length=20)] = "",
    phase: Annotated[str, Query(max_length=20)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    overdue: Annotated[str, Query(max_length=5)] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    done: Annotated[str, Query(max_length=30)] = "",
    n: Annotated[int | None, Query(ge=0, le=1_000_000)] = None,
) -> Response:
    today = utcnow().date()
    cohort_id = optional_id(cohort, "cohort")
    chosen_phase = optional_choice(phase, "phase", Phase)
    chosen_status = optional_choice(status, "status", SessionStatus)
    board = session_board(
        session, ctx.program, ctx.user, today=today, cohort_id=cohort_id, phase=chosen_phase,
        status=chosen_status, overdue=overdue == "1", page=page,
    )  # fmt: skip
    filters = {"cohort": cohort, "phase": phase, "status": status, "overdue": overdue}
    # Where a form on this page comes back to: the same list, without the last notice.
    shown = {k: v for k, v in filters.items() if v}
    if board.page > 1:
        shown["page"] = str(board.page)
    return render(
        request,
        "admin/sessions.html",
        {
            "board": board,
            "raters": rater_choices(session, ctx.program),
            "cohorts": cohorts_of(session, ctx.program),
            "phases": list(Phase),
            "labels": STATUS_LABELS,
            "filters": filters,
            "today": today,
            "back": _list_url(ctx) + (f"?{urlencode(shown)}" if shown else ""),
            "notice": notice(done, n),
            "place_role": Role.admin,
            "section": "sessions",
        },
    )


# Registering one session ---------------------------------------------------------------


@dataclass
class SessionForm:
    """The registration form's values as typed, so that a refused form comes back filled."""

    trainee_email: str = ""
    phase: str = ""
    session_date: str = ""
    duration_minutes: str = ""
    recording: str = ""
    modalities: tuple[str, ...] = ()
    focus_tags: str = ""
    co_therapist: bool = False
    notes: str = ""
    rubric: str = "pat-competency"

    def to_service(self) -> session_service.SessionCreate:
        if not self.trainee_email:
            raise InvalidInputError("trainee_email: choose the trainee")
        return session_service.SessionCreate(
            trainee_email=self.trainee_email,
            phase=required(optional_choice(self.phase, "phase", Phase), "phase", "choose one"),
            session_date=required(
                optional_date(self.session_date, "session_date"), "session_date", "give the date"
            ),
            duration_seconds=60 * whole_number(self.duration_minutes, "duration_minutes", 1, 1440),
            recording=self.recording,
            modalities=tuple(listed(list(self.modalities), "modalities", _modality)),
            focus_tags=tuple(
                t.strip() for t in self.focus_tags.replace(";", ",").split(",") if t.strip()
            ),
            co_therapist=self.co_therapist,
            notes=self.notes,
            rubric=self.rubric,
        )


def _modality(value: str, field: str) -> Modality | None:
    return optional_choice(value, field, Modality)


def _register_page(
    request: Request,
    ctx: ProgramContext,
    session: Session,
    form: SessionForm,
    error: str = "",
    status_code: int = 200,
) -> Response:
    trainees = [
        m
        for m in members_of(session, ctx.program)
        if m.role is Role.trainee and m.active and m.user.active and m.cohort_id is not None
    ]
    rubrics = [(r, latest_published(r)) for r in list_rubrics(session)]
    return render(
        request,
        "admin/session_new.html",
        {
            "form": form,
            "error": error,
            "trainees": sorted(trainees, key=lambda m: m.user.full_name),
            "phases": list(Phase),
            "modalities": list(Modality),
            "rubrics": [(r, v) for r, v in rubrics if v is not None],
            "place_role": Role.admin,
            "section": "sessions",
        },
        status_code=status_code,
    )


@router.get("/sessions/new")
def new_session(request: Request, ctx: AdminPage, session: SessionDep) -> Response:
    return _register_page(request, ctx, session, SessionForm())


@router.post("/sessions")
def register(
    request: Request,
    ctx: AdminPage,
    session: SessionDep,
    trainee_email: Annotated[str, Form(max_length=320)] = "",
    phase: Annotated[str, Form(max_length=20)] = "",
    session_date: Annotated[str, Form(max_length=20)] = "",
    duration_minutes: Annotated[str, Form(max_length=10)] = "",
    recording: Annotated[str, Form(max_length=1000)] = "",
    modalities: Annotated[list[str] | None, Form(max_length=20)] = None,
    focus_tags: Annotated[str, Form(max_length=2000)] = "",
    co_therapist: Annotated[str, Form(max_length=5)] = "",
    notes: Annotated[str, Form(max_length=5000)] = "",
    rubric: Annotated[str, Form(max_length=64)] = "pat-competency",
) -> Response:
    form = SessionForm(
        trainee_email, phase, session_date, duration_minutes, recording,
        tuple((modalities or [])[:8]), focus_tags, bool(co_therapist), notes, rubric,
    )  # fmt: skip
    outcome = attempt(
        session,
        lambda: session_service.register_session(session, ctx.program, ctx.user, form.to_service()),
    )
    if isinstance(outcome, ServiceError):
        return _register_page(request, ctx, session, form, str(outcome), status_code=422)
    return RedirectResponse(
        f"/p/{ctx.program.slug}/admin/sessions/{outcome.id}?done=registered&n={outcome.id}",
        status_code=303,
    )


# Importing a CSV file of sessions -------------------------------------------------------


def _import_page(
    request: Request,
    report: SessionImportReport | None = None,
    content: str = "",
    error: str = "",
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "admin/session_import.html",
        {
            "report": report,
            "content": content,
            "error": error,
            "required_columns": REQUIRED_COLUMNS,
            "phases": list(Phase),
            "modalities": list(Modality),
            "place_role": Role.admin,
            "section": "sessions",
        },
        status_code=status_code,
    )


@router.get("/sessions/import")
def import_form(request: Request, ctx: AdminPage) -> Response:
    return _import_page(request)


async def _uploaded(request: Request) -> tuple[bytes, str, bool]:
    """The file's bytes and name, and whether to import it (or only check it).

    The check uploads the file; the import sends back, base64-encoded so that not a byte
    changes on the way, the file the check showed: what is imported is what was previewed,
    and its SHA-256 in the audit trail is the file's.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > 2 * MAX_IMPORT_BYTES:
        raise HTTPException(413, f"file: larger than {MAX_IMPORT_BYTES // 2**20} MiB")
    form = await request.form(max_files=1, max_fields=10, max_part_size=2 * MAX_IMPORT_BYTES)
    upload = form.get("file")
    confirm = form.get("mode") == "import"
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(MAX_IMPORT_BYTES + 1)
        name = upload.filename
    else:
        content = form.get("content")
        try:
            data = base64.b64decode(content, validate=True) if isinstance(content, str) else b""
        except binascii.Error:
            raise InvalidInputError(
                "file: the checked file did not come back whole; check it again"
            ) from None
        source = form.get("source")
        name = source if isinstance(source, str) else ""
    if not data:
        raise InvalidInputError("file: choose a CSV file to check")
    if len(data) > MAX_IMPORT_BYTES:
        raise HTTPException(413, f"file: larger than {MAX_IMPORT_BYTES // 2**20} MiB")
    return data, file_name(name, "sessions.csv"), confirm


@router.post("/sessions/import")
async def import_file(request: Request, ctx: AdminPage, session: SessionDep) -> Response:
    """Check a file and show what it would register; import it once the preview is confirmed.

    All or nothing, as the ratings import: a file with a problem registers nothing and every
    problem is listed at its line and column.
    """
    try:
        data, source, confirm = await _uploaded(request)
    except InvalidInputError as exc:
        return _import_page(request, error=str(exc), status_code=422)
    problem = undecodable(data)
    if problem is not None:
        return _import_page(request, error=problem.render(source), status_code=422)
    text, kept = data.decode("utf-8"), base64.b64encode(data).decode("ascii")
    if not confirm:
        report = import_sessions(session, ctx.program, ctx.user, text, source, dry_run=True)
        return _import_page(request, report, kept, status_code=422 if report.errors else 200)
    try:
        report = import_sessions(session, ctx.program, ctx.user, text, source, dry_run=False)
    except SessionsImportError as exc:
        # Refused before anything was written: the transaction has nothing to commit.
        return _import_page(request, exc.report, kept, status_code=422)
    target = f"{_list_url(ctx)}?status=unassigned"
    return RedirectResponse(
        _with_notice(target, "imported", len(report.session_ids)), status_code=303
    )


# Assigning and releasing -----------------------------------------------------------------


@router.post("/sessions/auto-assign")
def auto_assign(
    ctx: AdminPage,
    session: SessionDep,
    session_ids: Annotated[list[str] | None, Form(alias="session", max_length=20)] = None,
    raters_per_session: Annotated[str, Form(max_length=3)] = "2",
    due_date: Annotated[str, Form(max_length=20)] = "",
    back: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Top the chosen sessions up to N raters each, evenly: all of them, or none."""
    chosen = listed(session_ids or [], "session", optional_id)
    if not chosen:
        raise InvalidInputError("session: tick the sessions to assign raters to")
    created = assignment_service.auto_assign(
        session, ctx.program, ctx.user, chosen,
        raters_per_session=whole_number(
            raters_per_session, "raters_per_session", 1, MAX_RATERS_PER_SESSION
        ),
        due_date=optional_date(due_date, "due_date"),
    )  # fmt: skip
    return RedirectResponse(
        _with_notice(_back(ctx, back), "assigned", len(created)), status_code=303
    )


@router.post("/sessions/release")
def release_many(
    ctx: AdminPage,
    session: SessionDep,
    session_ids: Annotated[list[str] | None, Form(alias="session", max_length=20)] = None,
    back: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Release the chosen sessions' feedback: all of them, or none if one is not complete."""
    chosen = listed(session_ids or [], "session", optional_id)
    released = feedback_service.release_many(session, ctx.program, ctx.user, chosen)
    return RedirectResponse(
        _with_notice(_back(ctx, back), "released", len(released)), status_code=303
    )


@router.post("/sessions/{session_id}/assignments")
def assign(
    request: Request,
    session_id: Id,
    ctx: AdminPage,
    session: SessionDep,
    rater_email: Annotated[str, Form(max_length=320)] = "",
    due_date: Annotated[str, Form(max_length=20)] = "",
    back: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    if not rater_email.strip():
        raise InvalidInputError("rater_email: choose a rater")
    assignment = assignment_service.assign_rater(
        session, ctx.program, ctx.user, session_id, rater_email,
        due_date=optional_date(due_date, "due_date"),
    )  # fmt: skip
    message = f"{assignment.rater.full_name} now rates session #{session_id}."
    return _row_answer(request, ctx, session, session_id, message, back, "assigned", 1)


@router.post("/assignments/{assignment_id}/withdraw")
def withdraw(
    request: Request,
    assignment_id: Id,
    ctx: AdminPage,
    session: SessionDep,
    back: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    assignment = assignment_service.withdraw(session, ctx.program, ctx.user, assignment_id)
    message = f"{assignment.rater.full_name} no longer rates session #{assignment.session_id}."
    return _row_answer(
        request, ctx, session, assignment.session_id, message, back, "withdrawn", 1
    )  # fmt: skip


@router.post("/sessions/{session_id}/release")
def release(
    request: Request,
    session_id: Id,
    ctx: AdminPage,
    session: SessionDep,
    back: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Show a complete session's feedback to its trainee; 409 while a rating is missing."""
    feedback_service.release(session, ctx.program, ctx.user, session_id)
    message = f"Feedback of session #{session_id} released to the trainee."
    return _row_answer(request, ctx, session, session_id, message, back, "released", 1)


# One session ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RatingColumn:
    rater: str
    is_master: bool
    submitted_at: datetime | None
    comment: str


@dataclass(frozen=True)
class HarmFlag:
    rater: str
    item: str
    note: str


def _ratings(
    session: Session, ctx: ProgramContext, recorded: RecordedSession, rubric: RubricDocument
) -> tuple[list[RatingColumn], list[ComparedItem], list[HarmFlag]]:
    """The submitted ratings side by side, and every harm flag raised in them."""
    ratings = feedback_service.readable_ratings(
        session, ctx.program, ctx.user, frozenset({Role.admin}), recorded.id
    )
    keys = item_index(session, recorded.rubric_version).key_by_id
    columns: list[RatingColumn] = []
    flags: list[HarmFlag] = []
    scores = []
    for rating in ratings:
        a = rating.assignment
        name = a.rater.full_name + (" (master)" if a.is_master else "")
        columns.append(RatingColumn(name, a.is_master, rating.submitted_at, rating.overall_comment))
        scores.append({keys[s.item_id]: s.score for s in rating.scores})
        flags += [
            HarmFlag(name, keys[s.item_id], s.harm_note) for s in rating.scores if s.harm_flag
        ]
    return columns, compare([i.key for i in rubric.items], scores), flags


@router.get("/sessions/{session_id}")
def session_detail(
    request: Request,
    session_id: Id,
    ctx: AdminPage,
    session: SessionDep,
    done: Annotated[str, Query(max_length=30)] = "",
    n: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None,
) -> Response:
    """A session's facts, raters and, once submitted, ratings; for an admin who still rates
    it, only the facts and their own assignment."""
    today = utcnow().date()
    row = board_row(session, ctx.program, ctx.user, session_id, today=today)
    recorded = row.recorded
    rubric = rubric_document(recorded.rubric_version)
    columns, rows, flags = (
        _ratings(session, ctx, recorded, rubric) if row.assignments is not None else ([], [], [])
    )
    return render(
        request,
        "admin/session.html",
        {
            "row": row,
            "recorded": recorded,
            "rubric": rubric,
            "items": {i.key: i for i in rubric.items},
            "columns": columns,
            "rows": rows,
            "flags": flags,
            "raters": rater_choices(session, ctx.program),
            "labels": STATUS_LABELS,
            "today": today,
            "back": f"/p/{ctx.program.slug}/admin/sessions/{session_id}",
            "notice": notice(done, n),
            "place_role": Role.admin,
            "section": "sessions",
        },
    )


def _master_page(
    request: Request,
    ctx: ProgramContext,
    recorded: RecordedSession,
    content: RatingContent | None = None,
    *,
    status_code: int = 200,
    error: str = "",
) -> Response:
    base = f"/p/{ctx.program.slug}/admin/sessions/{recorded.id}/master"
    return render(
        request,
        "trainer/score.html",
        {
            **scoring_form(recorded),
            "master": True,
            "assignment": None,
            "entries": entries_of(content) if content is not None else {},
            "version": "",
            "overall_comment": content.overall_comment if content is not None else "",
            "idempotency_key": "",
            "form_action": base,
            "autosave_url": None,
            "error": error,
            "place_role": Role.admin,
            "section": "sessions",
        },
        status_code=status_code,
    )


@router.get("/sessions/{session_id}/master")
def master_rating_form(
    request: Request, session_id: Id, ctx: AdminPage, session: SessionDep
) -> Response:
    """The form an admin keys a calibration session with (the master rating)."""
    recorded = session_service.get_visible_session(
        session, ctx.program, ctx.user, frozenset({Role.admin}), session_id
    )
    return _master_page(request, ctx, recorded)


@router.post("/sessions/{session_id}/master")
async def master_rating_save(
    request: Request, session_id: Id, ctx: AdminPage, session: SessionDep
) -> Response:
    recorded = session_service.get_visible_session(
        session, ctx.program, ctx.user, frozenset({Role.admin}), session_id
    )
    keys = [item.key for item in rubric_document(recorded.rubric_version).items]
    form = await request.form()
    try:
        content = rating_from_form(form, keys)
    except InvalidInputError as exc:
        return _master_page(request, ctx, recorded, status_code=422, error=str(exc))
    outcome = attempt(
        session,
        lambda: rating_service.enter_master_rating(
            session, ctx.program, ctx.user, session_id, content
        ),
    )
    if isinstance(outcome, ServiceError):
        status = 409 if isinstance(outcome, ConflictError) else 422
        return _master_page(request, ctx, recorded, content, status_code=status, error=str(outcome))
    return RedirectResponse(
        f"/p/{ctx.program.slug}/admin/sessions/{session_id}?done=master", status_code=303
    )
