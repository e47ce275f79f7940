"""Registering recorded sessions: validated, pinned to a rubric version, never identifying."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath
from urllib.parse import urlparse

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import (
    Assignment,
    Membership,
    Program,
    Rating,
    RecordedSession,
    Rubric,
    User,
)
from app.domain.identifiers import describe, find_identifiers
from app.domain.session_import import MAX_FOCUS_TAGS
from app.domain.vocabulary import Modality, Phase, Role, RubricStatus
from app.services.access import active_membership
from app.services.audit import record_event
from app.services.errors import ConflictError, InvalidInputError, NotFoundError
from app.services.rubrics import latest_published


@dataclass(frozen=True)
class SessionCreate:
    trainee_email: str
    phase: Phase
    session_date: date
    duration_seconds: int
    recording: str
    modalities: tuple[Modality, ...] = ()
    focus_tags: tuple[str, ...] = ()
    co_therapist: bool = False
    notes: str = ""
    rubric: str = "pat-competency"


def check_recording(recording: str) -> str:
    """An http(s) URL, or a relative path inside the media root (no escaping it)."""
    recording = recording.strip()
    parsed = urlparse(recording)
    if parsed.scheme in ("http", "https"):
        if not parsed.netloc:
            raise InvalidInputError("recording: a URL needs a host")
        return recording
    if parsed.scheme:
        raise InvalidInputError("recording: use an http(s) URL or a path under the media root")
    path = PurePosixPath(recording)
    if not recording or path.is_absolute() or ".." in path.parts or "\\" in recording:
        raise InvalidInputError(
            "recording: a local recording is a relative path inside the media root"
        )
    return str(path)


def _trainee(session: Session, program: Program, email: str) -> Membership:
    membership = active_membership(session, program, email, (Role.trainee,))
    if membership is None:
        raise InvalidInputError(f"trainee_email: no active trainee {email!r} in {program.slug}")
    if membership.cohort_id is None:
        raise InvalidInputError(f"trainee_email: {email!r} belongs to no cohort yet")
    return membership


def register_session(
    session: Session, program: Program, actor: User, data: SessionCreate
) -> RecordedSession:
    found = find_identifiers(data.notes)
    if found:
        raise InvalidInputError(describe(found, "notes"))
    if data.duration_seconds <= 0:
        raise InvalidInputError("duration_seconds: must be positive")
    if len(data.focus_tags) > MAX_FOCUS_TAGS:
        raise InvalidInputError(f"focus_tags: at most {MAX_FOCUS_TAGS}")
    membership = _trainee(session, program, data.trainee_email)
    rubric = session.scalar(select(Rubric).where(Rubric.key == data.rubric))
    version = latest_published(rubric) if rubric is not None else None
    if version is None:
        raise InvalidInputError(f"rubric: no published version of {data.rubric!r}")
    recorded = RecordedSession(
        program_id=program.id,
        cohort_id=membership.cohort_id,
        trainee_id=membership.user_id,
        rubric_version_id=version.id,
        phase=data.phase,
        modalities=sorted({m.value for m in data.modalities}),
        focus_tags=sorted({t.strip() for t in data.focus_tags if t.strip()}),
        co_therapist=data.co_therapist,
        session_date=data.session_date,
        duration_seconds=data.duration_seconds,
        recording_url=check_recording(data.recording),
        notes=data.notes,
        created_by_id=actor.id,
    )
    session.add(recorded)
    session.flush()
    record_event(
        session, action="session.register", entity_type="recorded_session",
        entity_id=recorded.id, actor_id=actor.id, program_id=program.id,
        payload={"trainee_id": recorded.trainee_id, "phase": data.phase.value,
                 "rubric_version_id": version.id},
    )  # fmt: skip
    return recorded


def sessions_visible_to(
    session: Session, program: Program, user: User, roles: frozenset[Role]
) -> list[RecordedSession]:
    """Staff see the program's sessions; a trainee sees only their own."""
    query = select(RecordedSession).where(RecordedSession.program_id == program.id)
    if not roles & {Role.admin, Role.trainer}:
        query = query.where(RecordedSession.trainee_id == user.id)
    return list(session.scalars(query.order_by(RecordedSession.session_date.desc())))


def get_visible_session(
    session: Session, program: Program, user: User, roles: frozenset[Role], session_id: int
) -> RecordedSession:
    recorded = session.get(RecordedSession, session_id)
    staff = bool(roles & {Role.admin, Role.trainer})
    if (
        recorded is None
        or recorded.program_id != program.id
        or (not staff and recorded.trainee_id != user.id)
    ):
        raise NotFoundError(f"session: no session {session_id} in {program.slug}")
    return recorded


def repin_session(
    session: Session, program: Program, actor: User, session_id: int, version: str
) -> RecordedSession:
    """Move a session to another version of its rubric: only while nobody has rated it."""
    recorded = get_visible_session(session, program, actor, frozenset({Role.admin}), session_id)
    rated = session.scalar(
        select(Rating.id)
        .join(Assignment, Assignment.id == Rating.assignment_id)
        .where(Assignment.session_id == recorded.id)
        .limit(1)
    )
    if rated is not None:
        raise ConflictError("rubric_version: the session has ratings; it cannot be re-pinned")
    rubric = recorded.rubric_version.rubric
    target = next((v for v in rubric.versions if v.version == version), None)
    if target is None or target.status is not RubricStatus.published:
        raise InvalidInputError(f"version: {rubric.key} has no published version {version!r}")
    before = recorded.rubric_version.version
    recorded.rubric_version_id = target.id
    record_event(
        session, action="session.repin", entity_type="recorded_session", entity_id=recorded.id,
        actor_id=actor.id, program_id=program.id,
        payload={"before": before, "after": target.version},
    )  # fmt: skip
    session.flush()
    return recorded


def local_recording(
    session: Session,
    program: Program,
    user: User,
    roles: frozenset[Role],
    session_id: int,
    media_root: Path,
) -> Path:
    """The session's recording file under the media root, for the in-page player.

    Staff and the trainee whose session it is may play it; a URL recording, a missing file
    or a path that resolves outside the media root is as good as absent.
    """
    recorded = get_visible_session(session, program, user, roles, session_id)
    absent = NotFoundError(f"recording: session {session_id} has no local recording")
    if urlparse(recorded.recording_url).scheme:
        raise absent
    root = media_root.resolve()
    path = (root / recorded.recording_url).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise absent
    return path
