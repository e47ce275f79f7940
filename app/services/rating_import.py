"""Importing historical ratings from a CSV file: all of it, or nothing.

The file is read and checked in full before anything is written, so a refusal lists every
bad row and leaves the database as it was. What is imported arrives as it would have through
the rating flow: a session pinned to a rubric version, one submitted assignment and rating
per rater, and one audit event naming the importer, the file and its SHA-256.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, selectinload

from app.db.base import utcnow
from app.db.models import (
    Assignment,
    ItemScore,
    Membership,
    Program,
    RaterConflict,
    Rating,
    RecordedSession,
    Rubric,
    RubricItem,
    RubricVersion,
    User,
)
from app.domain.packed_scores import pack
from app.domain.rating_import import (
    ImportedSession,
    ParsedRatings,
    RowError,
    native_ref,
    parse_ratings_csv,
    rubric_problems,
)
from app.domain.rubrics.model import RubricDocument
from app.domain.vocabulary import AssignmentStatus, RatingStatus, Role, RubricStatus
from app.services.audit import record_event
from app.services.errors import InvalidInputError
from app.services.rubrics import latest_published
from app.services.sessions import check_recording


@dataclass(frozen=True)
class ImportReport:
    """What the file holds (or would create, on a dry run) and every problem, by line."""

    source: str
    sha256: str
    dry_run: bool
    rows: int
    sessions: int
    ratings: int
    item_scores: int
    errors: tuple[RowError, ...]
    session_ids: tuple[int, ...] = ()
    released: bool = False

    @property
    def summary(self) -> str:
        """One line for the person who sent the file, in the CLI and in the API alike."""
        if self.errors:
            return f"file: {len(self.errors)} problem(s) in {self.source}; nothing was imported"
        what = (
            f"{self.rows} rows: {self.sessions} sessions, {self.ratings} ratings, "
            f"{self.item_scores} item scores"
        )
        released = " (released to the trainees)" if self.released else ""
        if self.dry_run:
            return f"dry run: {self.source} is valid; would import {what}{released}"
        return f"imported {self.source}, {what}{released}"


class RatingsImportError(InvalidInputError):
    """The file was refused; ``report.errors`` says where, and nothing was written."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(report.summary)
        self.report = report


@dataclass(frozen=True)
class _Trainee:
    user_id: int
    cohort_id: int | None


@dataclass
class _Program:
    """Everything the checks need from the database, fetched in a few queries up front."""

    trainees: dict[str, _Trainee]
    raters: dict[str, int]
    conflicts: set[tuple[int, int]]
    # Every reference the program's sessions go by, with why: imported under it, or exported
    # under it (a session created here).
    refs: dict[str, str]
    rubrics: dict[str, Rubric]


def _load(session: Session, program: Program, parsed: ParsedRatings) -> _Program:
    trainees: dict[str, _Trainee] = {}
    raters: dict[str, int] = {}
    members = session.execute(
        select(User.email, User.id, Membership.role, Membership.cohort_id)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.program_id == program.id,
            Membership.active.is_(True),
            User.active.is_(True),
        )
        .order_by(Membership.id)
    )
    for email, user_id, role, cohort_id in members:
        if role is Role.trainee:
            trainees.setdefault(email, _Trainee(user_id, cohort_id))
        else:
            raters.setdefault(email, user_id)
    conflicts = session.execute(
        select(RaterConflict.rater_id, RaterConflict.trainee_id).where(
            RaterConflict.program_id == program.id
        )
    )
    existing = session.execute(
        select(RecordedSession.id, RecordedSession.external_ref).where(
            RecordedSession.program_id == program.id
        )
    )
    keys = {s.rubric for s in parsed.sessions}
    rubrics = session.scalars(
        select(Rubric).where(Rubric.key.in_(keys)).options(selectinload(Rubric.versions))
    )
    return _Program(
        trainees=trainees,
        raters=raters,
        conflicts={(rater, trainee) for rater, trainee in conflicts},
        refs={
            ref or native_ref(program.slug, sid): (
                f"was already imported into {program.slug}"
                if ref
                else f"is session {sid} of {program.slug}, exported from it"
            )
            for sid, ref in existing
        },
        rubrics={r.key: r for r in rubrics},
    )


def _version(imported: ImportedSession, known: _Program) -> RubricVersion | RowError:
    rubric = known.rubrics.get(imported.rubric)
    if rubric is None:
        return RowError(imported.line, "rubric", f"no rubric {imported.rubric!r}")
    if imported.rubric_version is None:
        latest = latest_published(rubric)
        if latest is None:
            return RowError(imported.line, "rubric", f"no published version of {rubric.key!r}")
        return latest
    # Historical ratings may well have been made against a version retired since.
    for version in rubric.versions:
        if version.version == imported.rubric_version and version.status is not RubricStatus.draft:
            return version
    return RowError(
        imported.line,
        "rubric_version",
        f"{rubric.key} has no published or retired version {imported.rubric_version!r}",
    )


def _check(
    program: Program, parsed: ParsedRatings, known: _Program
) -> tuple[list[RowError], dict[str, RubricVersion], dict[str, str]]:
    """Every problem, the version each session is pinned to, and its recording as stored."""
    errors: list[RowError] = []
    versions: dict[str, RubricVersion] = {}
    recordings: dict[str, str] = {}
    documents: dict[int, RubricDocument] = {}
    for imported in parsed.sessions:
        line = imported.line
        repeated = known.refs.get(imported.ref)
        if repeated is not None:
            errors.append(RowError(line, "session_ref", f"{imported.ref!r} {repeated}"))
        trainee = known.trainees.get(imported.trainee_email)
        if trainee is None:
            errors.append(
                RowError(line, "trainee_email",
                         f"no active trainee {imported.trainee_email!r} in {program.slug}")
            )  # fmt: skip
        elif trainee.cohort_id is None:
            errors.append(
                RowError(line, "trainee_email",
                         f"{imported.trainee_email!r} belongs to no cohort yet")
            )  # fmt: skip
        try:
            recordings[imported.ref] = (
                check_recording(imported.recording) if imported.recording else ""
            )
        except InvalidInputError as exc:
            errors.append(RowError(line, "recording", str(exc).removeprefix("recording: ")))
        version = _version(imported, known)
        if isinstance(version, RowError):
            errors.append(version)
            document = None
        else:
            versions[imported.ref] = version
            document = documents.get(version.id)
            if document is None:
                document = documents[version.id] = RubricDocument.model_validate(version.content)
        for rating in imported.ratings:
            rater = known.raters.get(rating.rater_email)
            if rater is None:
                errors.append(
                    RowError(rating.line, "rater_email",
                             f"no active trainer or admin {rating.rater_email!r} in "
                             f"{program.slug}")
                )  # fmt: skip
            elif trainee is not None and rater == trainee.user_id:
                errors.append(
                    RowError(rating.line, "rater_email", "trainees never rate their own sessions")
                )
            elif trainee is not None and (rater, trainee.user_id) in known.conflicts:
                errors.append(
                    RowError(rating.line, "rater_email",
                             f"{rating.rater_email} has a declared conflict with the trainee "
                             f"{imported.trainee_email}")
                )  # fmt: skip
            if document is not None and rating.complete:
                errors.extend(rubric_problems(document, imported, rating))
    return errors, versions, recordings


def _write(
    session: Session,
    program: Program,
    actor: User,
    parsed: ParsedRatings,
    known: _Program,
    versions: dict[str, RubricVersion],
    recordings: dict[str, str],
    now: datetime,
) -> list[int]:
    """A few multi-row INSERTs per table, never one per row.

    Each INSERT returns its rows' natural keys beside their ids: a batched INSERT ...
    RETURNING need not answer in the order the rows were sent (SQLite does not promise it),
    and asking SQLAlchemy for that order makes it insert one row at a time.
    """
    released_at = now if program.auto_release else None
    session_rows = [
        {
            "program_id": program.id, "cohort_id": trainee.cohort_id,
            "trainee_id": trainee.user_id, "rubric_version_id": versions[s.ref].id,
            "phase": s.phase, "modalities": sorted(m.value for m in s.modalities),
            "focus_tags": [], "co_therapist": s.co_therapist, "session_date": s.session_date,
            "duration_seconds": s.duration_minutes * 60, "recording_url": recordings[s.ref],
            "notes": "", "released_at": released_at, "external_ref": s.ref,
            "created_by_id": actor.id,
        }
        for s in parsed.sessions
        for trainee in (known.trainees[s.trainee_email],)
    ]  # fmt: skip
    returned = session.execute(
        insert(RecordedSession).returning(RecordedSession.external_ref, RecordedSession.id),
        session_rows,
    )
    session_ids = {ref: sid for ref, sid in returned if ref is not None}
    ratings = [(session_ids[s.ref], s, r) for s in parsed.sessions for r in s.ratings]
    assignment_rows = [
        {"session_id": sid, "rater_id": known.raters[r.rater_email],
         "status": AssignmentStatus.submitted, "assigned_by_id": actor.id}
        for sid, _, r in ratings
    ]  # fmt: skip
    returned_assignments = session.execute(
        insert(Assignment).returning(Assignment.session_id, Assignment.rater_id, Assignment.id),
        assignment_rows,
    )
    assignment_ids = {(sid, rater): aid for sid, rater, aid in returned_assignments}
    placed = [(assignment_ids[sid, known.raters[r.rater_email]], s, r) for sid, s, r in ratings]
    item_ids = _item_ids(session, {v.id for v in versions.values()})
    rating_rows = [
        {"assignment_id": aid, "rubric_version_id": versions[s.ref].id,
         "status": RatingStatus.submitted, "submitted_at": r.submitted_at,
         "overall_comment": r.comment, "version": 1,
         "packed_scores": pack(
             (item_ids[versions[s.ref].id, e.item_key], e.score, e.harm_flag)
             for e in (score.entry for score in r.scores)
         )}
        for aid, s, r in placed
    ]  # fmt: skip
    returned_ratings = session.execute(
        insert(Rating).returning(Rating.assignment_id, Rating.id), rating_rows
    )
    rating_ids = dict(returned_ratings.all())
    session.execute(insert(ItemScore), [
        {"rating_id": rating_ids[aid],
         "item_id": item_ids[versions[s.ref].id, score.entry.item_key],
         "score": score.entry.score, "not_applicable": score.entry.not_applicable,
         "harm_flag": score.entry.harm_flag, "harm_note": score.entry.harm_note}
        for aid, s, r in placed
        for score in r.scores
    ])  # fmt: skip
    return [session_ids[s.ref] for s in parsed.sessions]


def _item_ids(session: Session, version_ids: Iterable[int]) -> dict[tuple[int, str], int]:
    rows = session.execute(
        select(RubricItem.rubric_version_id, RubricItem.key, RubricItem.id).where(
            RubricItem.rubric_version_id.in_(list(version_ids))
        )
    )
    return {(version_id, key): item_id for version_id, key, item_id in rows}


def import_ratings(
    session: Session,
    program: Program,
    actor: User,
    text: str,
    source_name: str,
    *,
    dry_run: bool,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Check the whole file, then (unless ``dry_run``) create everything in it.

    ``text`` is the file as decoded, byte order mark included, so that the SHA-256 in the
    audit trail is the one ``sha256sum`` prints for the file. A file with any problem raises
    ``RatingsImportError`` (or, on a dry run, comes back with its errors) and writes nothing.
    The caller checks that ``actor`` may import into ``program``. ``progress`` follows the
    reading of the file, which is most of the time an import takes.
    """
    moment = now or utcnow()
    parsed = parse_ratings_csv(text, now=moment, progress=progress)
    known = _load(session, program, parsed)
    problems, versions, recordings = _check(program, parsed, known)
    ratings = [r for s in parsed.sessions for r in s.ratings]
    report = ImportReport(
        source=source_name,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        dry_run=dry_run,
        rows=parsed.rows,
        sessions=len(parsed.sessions),
        ratings=len(ratings),
        item_scores=sum(len(r.scores) for r in ratings),
        errors=tuple(sorted([*parsed.errors, *problems], key=lambda e: e.line)),
        released=program.auto_release,
    )
    if report.errors and not dry_run:
        raise RatingsImportError(report)
    if dry_run:
        return report
    session_ids = _write(session, program, actor, parsed, known, versions, recordings, moment)
    record_event(
        session, action="ratings.import", entity_type="program", entity_id=program.id,
        actor_id=actor.id, program_id=program.id,
        payload={"source": source_name, "sha256": report.sha256, "rows": report.rows,
                 "sessions": report.sessions, "ratings": report.ratings,
                 "item_scores": report.item_scores, "released": program.auto_release,
                 "session_ids": session_ids},
    )  # fmt: skip
    return replace(report, session_ids=tuple(session_ids))
