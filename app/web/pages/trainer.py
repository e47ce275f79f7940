"""The trainer's desk: the queue, the scoring page, the comparison after submitting, and
their own calibration record."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from app.api.common import Id
from app.api.deps import SessionDep
from app.api.policies import ProgramContext
from app.db.base import utcnow
from app.db.models import Assignment, Rating, RecordedSession
from app.domain.comparison import compare
from app.domain.rubrics.model import RubricDocument
from app.domain.scoring import SessionContext, applicable_item_keys
from app.domain.vocabulary import Modality, Role
from app.services import assignments as assignment_service
from app.services import feedback as feedback_service
from app.services import ratings as rating_service
from app.services.errors import InvalidInputError
from app.services.program_quality import rater_quality
from app.services.ratings import RatingContent
from app.services.sessions import local_recording
from app.web.policies import StaffPage
from app.web.rating_form import rating_from_form
from app.web.templating import render

router = APIRouter(prefix="/p/{program}", include_in_schema=False)

_PLAYABLE = {
    ".mp4": "video",
    ".webm": "video",
    ".m4v": "video",
    ".ogv": "video",
    ".mp3": "audio",
    ".m4a": "audio",
    ".ogg": "audio",
    ".oga": "audio",
    ".wav": "audio",
}


def _as(ctx: ProgramContext) -> Role:
    return Role.trainer if Role.trainer in ctx.roles else Role.admin


@router.get("/trainer")
def queue(request: Request, ctx: StaffPage, session: SessionDep) -> Response:
    return render(
        request,
        "trainer/queue.html",
        {
            "open_work": assignment_service.queue_of(session, ctx.program, ctx.user),
            "done": assignment_service.submitted_by(session, ctx.program, ctx.user),
            "today": utcnow().date(),
            "place_role": _as(ctx),
            "section": "queue",
        },
    )


@dataclass(frozen=True)
class Entry:
    """What the rater has saved for one item, as the form shows it."""

    score: int | None = None
    not_applicable: bool = False
    harm_flag: bool = False
    harm_note: str = ""
    evidence: tuple[tuple[int, str], ...] = ()


def _entries(session: Session, rating: Rating | None) -> dict[str, Entry]:
    if rating is None:
        return {}
    version = rating.assignment.session.rubric_version
    keys = rating_service.item_index(session, version).key_by_id
    return {
        keys[s.item_id]: Entry(
            s.score,
            s.not_applicable,
            s.harm_flag,
            s.harm_note,
            tuple((e.timestamp_seconds, e.note) for e in s.evidence),
        )
        for s in rating.scores
    }


def _context(recorded: RecordedSession) -> SessionContext:
    return SessionContext(
        recorded.phase,
        frozenset(Modality(m) for m in recorded.modalities),
        recorded.duration_seconds,
    )


def _player(recorded: RecordedSession) -> str | None:
    """'video' or 'audio' for a local file the browser can play; None for a link."""
    if "://" in recorded.recording_url:
        return None
    return _PLAYABLE.get(PurePosixPath(recorded.recording_url).suffix.lower())


def scoring_form(recorded: RecordedSession) -> dict[str, Any]:
    """What the scoring form shows of a session and its rubric, to a rater or to an admin
    keying a calibration session: the applicable items by domain, the others folded."""
    rubric: RubricDocument = rating_service.rubric_document(recorded.rubric_version)
    applicable = set(applicable_item_keys(rubric, _context(recorded)))
    return {
        "recorded": recorded,
        "rubric": rubric,
        "domains": [
            (
                d,
                [i for i in d.items if i.key in applicable],
                [i for i in d.items if i.key not in applicable],
            )
            for d in rubric.domains
        ],
        "player": _player(recorded),
        "scale": rubric.scale.points,
        "required": sorted(applicable),
    }


def entries_of(content: RatingContent) -> dict[str, Entry]:
    """A form's content as the form shows it again (after a refusal, say)."""
    return {
        s.item_key: Entry(
            s.score, s.not_applicable, s.harm_flag, s.harm_note,
            tuple((e.timestamp_seconds, e.note) for e in s.evidence),
        )
        for s in content.scores
    }  # fmt: skip


def _score_page(
    request: Request,
    ctx: ProgramContext,
    session: Session,
    assignment: Assignment,
    status_code: int = 200,
    error: str = "",
) -> Response:
    recorded = assignment.session
    rating = rating_service.rating_of(session, assignment)
    if rating is not None and rating.status.value == "submitted":
        return RedirectResponse(
            f"/p/{ctx.program.slug}/sessions/{recorded.id}/comparison", status_code=303
        )
    base = f"/p/{ctx.program.slug}/assignments/{assignment.id}"
    return render(
        request,
        "trainer/score.html",
        {
            **scoring_form(recorded),
            "master": False,
            "assignment": assignment,
            "entries": _entries(session, rating),
            "version": rating.version if rating else "",
            "overall_comment": rating.overall_comment if rating else "",
            "idempotency_key": uuid.uuid4().hex,
            "form_action": f"{base}/submit",
            "autosave_url": f"{base}/draft",
            "error": error,
            "place_role": _as(ctx),
            "section": "queue",
        },
        status_code=status_code,
    )


@router.get("/assignments/{assignment_id}")
def score_page(
    request: Request, assignment_id: Id, ctx: StaffPage, session: SessionDep
) -> Response:
    assignment = rating_service.own_assignment(session, ctx.program, ctx.user, assignment_id)
    return _score_page(request, ctx, session, assignment)


def _item_keys(assignment: Assignment) -> list[str]:
    rubric = rating_service.rubric_document(assignment.session.rubric_version)
    return [item.key for item in rubric.items]


@router.post("/assignments/{assignment_id}/draft")
async def save_draft(
    request: Request, assignment_id: Id, ctx: StaffPage, session: SessionDep
) -> Response:
    """The autosave behind the scoring form (htmx): answers with the save indicator."""
    assignment = rating_service.own_assignment(session, ctx.program, ctx.user, assignment_id)
    content = rating_from_form(await request.form(), _item_keys(assignment))
    rating = rating_service.save_draft(
        session, assignment, content.scores, content.overall_comment, content.version
    )
    session.flush()
    return render(request, "trainer/_saved.html", {"version": rating.version, "saved_at": utcnow()})


@router.post("/assignments/{assignment_id}/submit")
async def submit(
    request: Request, assignment_id: Id, ctx: StaffPage, session: SessionDep
) -> Response:
    assignment = rating_service.own_assignment(session, ctx.program, ctx.user, assignment_id)
    form = await request.form()
    try:
        content = rating_from_form(form, _item_keys(assignment))
    except InvalidInputError as exc:
        return _score_page(request, ctx, session, assignment, status_code=422, error=str(exc))
    key = str(form.get("idempotency_key", ""))[:200] or uuid.uuid4().hex
    try:
        rating_service.submit(session, ctx.program, ctx.user, assignment_id, key, content)
    except InvalidInputError as exc:
        # Back to the form with the reason on top; autosave kept the rater's work.
        session.rollback()
        return _score_page(request, ctx, session, assignment, status_code=422, error=str(exc))
    return RedirectResponse(
        f"/p/{ctx.program.slug}/sessions/{assignment.session_id}/comparison", status_code=303
    )


@router.get("/sessions/{session_id}/recording")
def recording(request: Request, session_id: Id, ctx: StaffPage, session: SessionDep) -> Response:
    settings = request.app.state.settings
    path = local_recording(
        session, ctx.program, ctx.user, ctx.roles, session_id, settings.media_root
    )
    return FileResponse(path)


@dataclass(frozen=True)
class Column:
    label: str
    is_master: bool
    is_me: bool
    comment: str


@router.get("/sessions/{session_id}/comparison")
def comparison(request: Request, session_id: Id, ctx: StaffPage, session: SessionDep) -> Response:
    """After submitting: one's own rating, and the co-raters' once all are in."""
    mine = [
        a
        for a in assignment_service.submitted_by(session, ctx.program, ctx.user, 10_000)
        if a.session_id == session_id
    ]
    ratings = feedback_service.readable_ratings(
        session, ctx.program, ctx.user, ctx.roles, session_id
    )
    recorded = session.get(RecordedSession, session_id)
    assert recorded is not None  # readable_ratings found it
    rubric = rating_service.rubric_document(recorded.rubric_version)
    keys = rating_service.item_index(session, recorded.rubric_version).key_by_id
    columns: list[Column] = []
    scores: list[dict[str, int | None]] = []
    peers = 0
    for rating in sorted(
        ratings, key=lambda r: (r.assignment.is_master, r.assignment.rater_id != ctx.user.id)
    ):
        a = rating.assignment
        me = a.rater_id == ctx.user.id
        if not me and not a.is_master:
            peers += 1
        label = "Master rating" if a.is_master else ("You" if me else f"Co-rater {peers}")
        columns.append(Column(label, a.is_master, me, rating.overall_comment))
        scores.append({keys[s.item_id]: s.score for s in rating.scores})
    items = {item.key: item for item in rubric.items}
    rows = compare([i.key for i in rubric.items], scores)
    pending = not any(not c.is_me and not c.is_master for c in columns)
    return render(
        request,
        "trainer/comparison.html",
        {
            "recorded": recorded,
            "columns": columns,
            "rows": rows,
            "items": items,
            "pending": pending and bool(mine),
            "place_role": _as(ctx),
            "section": "queue",
        },
    )


def _mine(found: dict[str, Any], email: str) -> Any:
    return found.get(email)


@router.get("/calibration")
def my_calibration(request: Request, ctx: StaffPage, session: SessionDep) -> Response:
    """The trainer's own agreement with calibration keys, severity and drift; nobody else's."""
    quality = rater_quality(session, ctx.program)
    email = ctx.user.email
    return render(
        request,
        "trainer/calibration.html",
        {
            "calibration": _mine(quality.calibration, email),
            "severity": _mine(quality.severity, email),
            "drift": _mine(quality.drift, email),
            "place_role": _as(ctx),
            "section": "calibration",
        },
    )
