"""Registering many recorded sessions from a CSV file: all of them, or none.

The file is read and checked in full before anything is written, as for the ratings import:
a refusal lists every bad row and leaves the database as it was, and a dry run says what
would be registered. Each session is registered as the form would register it (the trainee's
cohort, the rubric's latest published version), and the import appends one audit event
naming the importer, the file and its SHA-256.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.db.models import Cohort, Membership, Program, RecordedSession, Rubric, RubricVersion, User
from app.domain.csv_cells import RowError, shown
from app.domain.rating_import import native_ref
from app.domain.session_import import ParsedSessions, SessionRow, parse_sessions_csv
from app.domain.vocabulary import Phase, Role
from app.services.audit import record_event
from app.services.errors import InvalidInputError
from app.services.rubrics import latest_published
from app.services.sessions import check_recording


@dataclass(frozen=True)
class PlannedSession:
    """A row of the file as it would be registered, for the preview."""

    row: SessionRow
    trainee_id: int
    trainee_name: str
    cohort_id: int
    cohort_name: str
    rubric_version_id: int
    rubric_version: str
    recording: str


@dataclass(frozen=True)
class SessionImportReport:
    source: str
    sha256: str
    dry_run: bool
    rows: int
    planned: tuple[PlannedSession, ...]
    errors: tuple[RowError, ...]
    session_ids: tuple[int, ...] = ()

    @property
    def summary(self) -> str:
        if self.errors:
            return f"file: {len(self.errors)} problem(s) in {self.source}; nothing was imported"
        if self.dry_run:
            return f"dry run: {self.source} is valid; would register {len(self.planned)} sessions"
        return f"imported {self.source}: {len(self.planned)} sessions registered"


class SessionsImportError(InvalidInputError):
    """The file was refused; ``report.errors`` says where, and nothing was written."""

    def __init__(self, report: SessionImportReport) -> None:
        super().__init__(report.summary)
        self.report = report


@dataclass(frozen=True)
class _Trainee:
    user_id: int
    full_name: str
    cohort_id: int | None
    cohort_name: str


@dataclass(frozen=True)
class _Known:
    """What the checks need from the database, fetched in a few queries up front."""

    trainees: dict[str, _Trainee]
    versions: dict[str, RubricVersion | None]
    refs: dict[str, str]
    registered: dict[tuple[int, date, Phase, str], int]


def _load(session: Session, program: Program, parsed: ParsedSessions) -> _Known:
    trainees: dict[str, _Trainee] = {}
    members = session.execute(
        select(User.email, User.id, User.full_name, Membership.cohort_id, Cohort.name)
        .join(Membership, Membership.user_id == User.id)
        .outerjoin(Cohort, Cohort.id == Membership.cohort_id)
        .where(
            Membership.program_id == program.id,
            Membership.role == Role.trainee,
            Membership.active.is_(True),
            User.active.is_(True),
        )
        .order_by(Membership.id)
    )
    for email, user_id, full_name, cohort_id, cohort_name in members:
        trainees.setdefault(email, _Trainee(user_id, full_name, cohort_id, cohort_name or ""))
    rubrics = session.scalars(
        select(Rubric)
        .where(Rubric.key.in_({s.rubric for s in parsed.sessions}))
        .options(selectinload(Rubric.versions))
    )
    existing = session.execute(
        select(
            RecordedSession.id, RecordedSession.external_ref, RecordedSession.trainee_id,
            RecordedSession.session_date, RecordedSession.phase, RecordedSession.recording_url,
        ).where(RecordedSession.program_id == program.id)
    ).all()  # fmt: skip
    return _Known(
        trainees=trainees,
        versions={r.key: latest_published(r) for r in rubrics},
        refs={
            ref or native_ref(program.slug, sid): (
                f"is already session {sid} of {program.slug}"
                if ref
                else f"is how exports name session {sid} of {program.slug}"
            )
            for sid, ref, *_ in existing
        },
        registered={
            (trainee, day, phase, url): sid for sid, _, trainee, day, phase, url in existing
        },
    )


def _check(
    program: Program, parsed: ParsedSessions, known: _Known
) -> tuple[list[RowError], list[PlannedSession]]:
    errors: list[RowError] = []
    planned: list[PlannedSession] = []
    for row in parsed.sessions:
        line = row.line
        problems = len(errors)
        if row.session_ref is not None and row.session_ref in known.refs:
            errors.append(
                RowError(line, "session_ref", f"{shown(row.session_ref)} "
                         f"{known.refs[row.session_ref]}")
            )  # fmt: skip
        trainee = None if "trainee_email" in row.unread else known.trainees.get(row.trainee_email)
        if trainee is None and "trainee_email" not in row.unread:
            errors.append(
                RowError(line, "trainee_email",
                         f"no active trainee {row.trainee_email!r} in {program.slug}")
            )  # fmt: skip
        elif trainee is not None and trainee.cohort_id is None:
            errors.append(
                RowError(line, "trainee_email", f"{row.trainee_email!r} belongs to no cohort yet")
            )
        recording = ""
        if "recording" not in row.unread:
            try:
                recording = check_recording(row.recording)
            except InvalidInputError as exc:
                errors.append(RowError(line, "recording", str(exc).removeprefix("recording: ")))
        same = (
            known.registered.get((trainee.user_id, row.session_date, row.phase, recording))
            if trainee is not None and recording and row.complete
            else None
        )
        if same is not None:
            errors.append(
                RowError(line, "recording", f"session {same} already has this trainee, "
                         "date, phase and recording")
            )  # fmt: skip
        version = known.versions.get(row.rubric)
        if version is None and "rubric" not in row.unread:
            errors.append(RowError(line, "rubric", f"no published version of {row.rubric!r}"))
        if (
            len(errors) == problems
            and row.complete
            and trainee is not None
            and trainee.cohort_id is not None
            and version is not None
        ):
            planned.append(
                PlannedSession(
                    row, trainee.user_id, trainee.full_name, trainee.cohort_id,
                    trainee.cohort_name, version.id, f"{row.rubric} {version.version}", recording,
                )
            )  # fmt: skip
    return errors, planned


def import_sessions(
    session: Session,
    program: Program,
    actor: User,
    text: str,
    source_name: str,
    *,
    dry_run: bool,
) -> SessionImportReport:
    """Check the whole file, then (unless ``dry_run``) register every session in it.

    A file with any problem raises ``SessionsImportError`` (or, on a dry run, comes back with
    its errors) and writes nothing. The caller checks that ``actor`` may import here.
    """
    parsed = parse_sessions_csv(text)
    known = _load(session, program, parsed)
    problems, planned = _check(program, parsed, known)
    report = SessionImportReport(
        source=source_name,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        dry_run=dry_run,
        rows=parsed.rows,
        planned=tuple(planned),
        errors=tuple(sorted([*parsed.errors, *problems], key=lambda e: e.line)),
    )
    if report.errors and not dry_run:
        raise SessionsImportError(report)
    if dry_run:
        return report
    created = [
        RecordedSession(
            program_id=program.id,
            cohort_id=p.cohort_id,
            trainee_id=p.trainee_id,
            rubric_version_id=p.rubric_version_id,
            phase=p.row.phase,
            modalities=sorted(m.value for m in p.row.modalities),
            focus_tags=list(p.row.focus_tags),
            co_therapist=p.row.co_therapist,
            session_date=p.row.session_date,
            duration_seconds=p.row.duration_minutes * 60,
            recording_url=p.recording,
            notes=p.row.notes,
            external_ref=p.row.session_ref,
            created_by_id=actor.id,
        )
        for p in planned
    ]
    session.add_all(created)
    session.flush()
    session_ids = [s.id for s in created]
    record_event(
        session, action="sessions.import", entity_type="program", entity_id=program.id,
        actor_id=actor.id, program_id=program.id,
        payload={"source": source_name, "sha256": report.sha256, "rows": report.rows,
                 "sessions": len(session_ids), "session_ids": session_ids},
    )  # fmt: skip
    return replace(report, session_ids=tuple(session_ids))
