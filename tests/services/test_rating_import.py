"""Importing historical ratings: everything in the file, or nothing at all."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from app.db.models import (
    Assignment,
    AuditEvent,
    Cohort,
    ItemScore,
    Program,
    RaterConflict,
    Rating,
    RecordedSession,
    RubricItem,
    User,
)
from app.domain.rating_import import RowError
from app.domain.vocabulary import AssignmentStatus, Phase, RatingStatus, Role
from app.services.programs import create_cohort, create_program
from app.services.rating_import import ImportReport, RatingsImportError, import_ratings
from app.services.rubric_library import load_rubrics
from app.services.users import create_user, grant_role

ROOT = Path(__file__).resolve().parents[2]
FLAGSHIP = ROOT / "rubrics" / "pat-competency.v1.yaml"
HISTORICAL = ROOT / "tests" / "fixtures" / "imports" / "historical.csv"
NOW = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)
PREPARATION = ["A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4", "B5", "E1", "E2", "F1", "F2", "F3"]
HEADER = "session_ref,trainee_email,session_date,phase,duration_minutes,rater_email,item_key,score"


@dataclass
class Alpha:
    program: Program
    admin: User
    people: dict[str, User]


@pytest.fixture
def alpha(db_session: Session) -> Alpha:
    load_rubrics(db_session, [FLAGSHIP])
    program = create_program(db_session, slug="alpha", name="Alpha")
    cohort = create_cohort(db_session, program, name="2026", start_date=date(2026, 1, 1))
    people: dict[str, User] = {}
    for name, role in (("admin", Role.admin), ("trainer", Role.trainer),
                       ("trainee", Role.trainee), ("other_trainee", Role.trainee),
                       ("cohortless", Role.trainee)):  # fmt: skip
        user = create_user(db_session, email=f"{name}@example.org", full_name=name)
        group = cohort if role is Role.trainee and name != "cohortless" else None
        grant_role(db_session, user, program, role, group)
        people[name] = user
    return Alpha(program, people["admin"], people)


def _import(db_session: Session, alpha: Alpha, text: str, *, dry_run: bool = False) -> ImportReport:
    return import_ratings(
        db_session, alpha.program, alpha.admin, text, "old.csv", dry_run=dry_run, now=NOW
    )


def _counts(db_session: Session) -> tuple[int, ...]:
    return tuple(
        db_session.scalar(select(func.count()).select_from(model)) or 0
        for model in (RecordedSession, Assignment, Rating, ItemScore, AuditEvent)
    )


def _preparation_rows(ref: str, rater: str = "trainer@example.org", score: int = 4) -> list[str]:
    return [
        f"{ref},trainee@example.org,2026-03-02,preparation,50,{rater},{key},{score}"
        for key in PREPARATION
    ]


def _refused(db_session: Session, alpha: Alpha, text: str) -> list[RowError]:
    before = _counts(db_session)
    with pytest.raises(RatingsImportError) as refused:
        _import(db_session, alpha, text)
    assert _counts(db_session) == before
    assert str(refused.value).startswith("file: ")
    return list(refused.value.report.errors)


def test_imports_sessions_assignments_ratings_and_one_audit_event(
    db_session: Session, alpha: Alpha
) -> None:
    data = HISTORICAL.read_bytes()
    report = _import(db_session, alpha, data.decode("utf-8"))
    assert (report.rows, report.sessions, report.ratings, report.item_scores) == (80, 3, 6, 80)
    assert report.errors == ()
    assert len(report.session_ids) == 3

    sessions = db_session.scalars(
        select(RecordedSession).order_by(RecordedSession.session_date)
    ).all()
    assert [s.id for s in sessions] == list(report.session_ids)
    first, integration, medication = sessions
    assert first.external_ref == "R-001"
    assert first.trainee.email == "trainee@example.org"
    assert first.cohort.name == "2026"
    assert (first.phase, first.session_date, first.duration_seconds) == (
        Phase.preparation, date(2026, 3, 2), 3000,
    )  # fmt: skip
    assert first.rubric_version.version == "1.0.0"
    assert first.created_by_id == alpha.admin.id
    assert first.released_at is None, "an admin releases imported sessions as usual"
    assert first.recording_url == ""
    assert integration.modalities == ["act", "cbt"]

    assignments = db_session.scalars(
        select(Assignment).where(Assignment.session_id == first.id).order_by(Assignment.id)
    ).all()
    assert [a.rater.email for a in assignments] == ["trainer@example.org", "admin@example.org"]
    assert all(a.status is AssignmentStatus.submitted for a in assignments)
    assert all(a.assigned_by_id == alpha.admin.id and not a.is_master for a in assignments)
    rating = db_session.scalars(
        select(Rating).where(Rating.assignment_id == assignments[0].id)
    ).one()
    assert rating.status is RatingStatus.submitted
    assert rating.submitted_at == datetime(2026, 3, 20, 10, 15, tzinfo=UTC)
    assert rating.rubric_version_id == first.rubric_version_id
    assert rating.overall_comment == "Warm, well-paced preparation."
    scores = {s.item.key: s for s in rating.scores}
    assert sorted(scores) == sorted(PREPARATION)
    assert scores["A1"].score == 2

    later = db_session.scalars(
        select(Rating).join(Assignment).where(Assignment.session_id == medication.id)
    ).all()
    by_rater = {r.assignment.rater.email: {s.item.key: s for s in r.scores} for r in later}
    assert by_rater["admin@example.org"]["C5"].not_applicable
    assert by_rater["admin@example.org"]["C5"].score is None
    assert by_rater["admin@example.org"]["C5"].rating.submitted_at == datetime(
        2026, 3, 21, tzinfo=UTC
    )
    harmed = by_rater["trainer@example.org"]["F2"]
    assert harmed.harm_flag
    assert harmed.harm_note == "Left the room for ten minutes during the peak."

    (audit,) = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "ratings.import")
    ).all()
    assert (audit.action, audit.actor_id, audit.program_id) == (
        "ratings.import", alpha.admin.id, alpha.program.id,
    )  # fmt: skip
    assert audit.payload == {
        "source": "old.csv", "sha256": hashlib.sha256(data).hexdigest(), "rows": 80,
        "sessions": 3, "ratings": 6, "item_scores": 80, "released": False,
        "session_ids": list(report.session_ids),
    }  # fmt: skip


def test_automatic_release_releases_the_imported_sessions(
    db_session: Session, alpha: Alpha
) -> None:
    alpha.program.auto_release = True
    report = _import(db_session, alpha, HISTORICAL.read_text(encoding="utf-8"))
    assert report.released
    released = db_session.scalars(select(RecordedSession.released_at)).all()
    assert released == [NOW] * 3


def test_dry_run_reports_and_writes_nothing(db_session: Session, alpha: Alpha) -> None:
    before = _counts(db_session)
    report = _import(db_session, alpha, HISTORICAL.read_text(encoding="utf-8"), dry_run=True)
    assert (report.rows, report.sessions, report.ratings, report.errors) == (80, 3, 6, ())
    assert report.session_ids == ()
    assert report.summary.startswith("dry run: old.csv is valid; would import 80 rows")
    assert _counts(db_session) == before


def test_a_bad_last_row_leaves_nothing_behind(db_session: Session, alpha: Alpha) -> None:
    lines = HISTORICAL.read_text(encoding="utf-8").splitlines()
    lines[-1] = re.sub(r",F3,\d+,", ",F3,99,", lines[-1])
    errors = _refused(db_session, alpha, "\n".join(lines) + "\n")
    assert errors == [RowError(81, "score", "F3: score 99 is outside the scale 0..6")]


def test_dry_run_lists_every_bad_row_by_line(db_session: Session, alpha: Alpha) -> None:
    rows = _preparation_rows("S1")
    rows[2] = rows[2].replace(",4", ",nine")  # line 4
    rows[5] = rows[5].replace("preparation", "prep")  # line 7
    rows[9] = rows[9].replace(",50,", ",0,")  # line 11
    text = "\n".join([HEADER, *rows])
    report = _import(db_session, alpha, text, dry_run=True)
    assert [(e.line, e.column) for e in report.errors] == [
        (4, "score"), (7, "phase"), (11, "duration_minutes"),
    ]  # fmt: skip
    assert report.summary == "file: 3 problem(s) in old.csv; nothing was imported"


def test_people_and_references_are_checked_against_the_program(
    db_session: Session, alpha: Alpha
) -> None:
    cohort = db_session.scalars(select(Cohort)).one()
    grant_role(db_session, alpha.people["trainer"], alpha.program, Role.trainee, cohort)
    conflicted = create_user(db_session, email="conflicted@example.org", full_name="C")
    grant_role(db_session, conflicted, alpha.program, Role.trainer)
    db_session.add(
        RaterConflict(program_id=alpha.program.id, rater_id=conflicted.id,
                      trainee_id=alpha.people["trainee"].id, reason="supervises")
    )  # fmt: skip
    _import(db_session, alpha, "\n".join([HEADER, *_preparation_rows("DONE")]))
    rows = [
        *_preparation_rows("DONE"),  # lines 2-15: imported above
        *_preparation_rows("S2", rater="stranger@example.org"),  # 16-29
        *(r.replace("trainee@", "trainer@") for r in _preparation_rows("S3")),  # 30-43
        *_preparation_rows("S4", rater="conflicted@example.org"),  # 44-57
        *(r.replace("trainee@", "nobody@") for r in _preparation_rows("S5")),  # 58-71
        *(r.replace("trainee@", "cohortless@") for r in _preparation_rows("S6")),  # 72-85
    ]
    errors = _refused(db_session, alpha, "\n".join([HEADER, *rows]))
    assert [(e.line, e.column, e.message) for e in errors] == [
        (2, "session_ref", "'DONE' was already imported into alpha"),
        (16, "rater_email", "no active trainer or admin 'stranger@example.org' in alpha"),
        (30, "rater_email", "trainees never rate their own sessions"),
        (44, "rater_email",
         "conflicted@example.org has a declared conflict with the trainee trainee@example.org"),
        (58, "trainee_email", "no active trainee 'nobody@example.org' in alpha"),
        (72, "trainee_email", "'cohortless@example.org' belongs to no cohort yet"),
    ]  # fmt: skip


def test_rubric_version_and_recording(db_session: Session, alpha: Alpha) -> None:
    rows = [
        *(r + ",other-rubric,," for r in _preparation_rows("S1")),  # line 2
        *(r + ",,9.9.9," for r in _preparation_rows("S2")),  # line 16
        *(r + ",,1.0.0,/etc/passwd" for r in _preparation_rows("S3")),  # line 30
        *(r + ",,1.0.0,media/s4.mp4" for r in _preparation_rows("S4")),  # valid
    ]
    text = "\n".join([HEADER + ",rubric,rubric_version,recording", *rows])
    errors = _refused(db_session, alpha, text)
    assert [(e.line, e.column) for e in errors] == [
        (2, "rubric"), (16, "rubric_version"), (30, "recording"),
    ]  # fmt: skip
    assert errors[1].message == "pat-competency has no published or retired version '9.9.9'"
    assert "relative path inside the media root" in errors[2].message


def test_rating_rules_are_those_of_a_live_submission(db_session: Session, alpha: Alpha) -> None:
    rows = [row + ",false," for row in _preparation_rows("S1")]
    rows[0] = rows[0].replace(",A1,4,", ",A1,7,")  # line 2: off the scale
    rows[1] = rows[1].replace(",false,", ",true,")  # line 3: flagged for harm without a note
    del rows[8]  # B5 (a safety gate) left out: reported at the rating's first line
    text = "\n".join([HEADER + ",harm_flag,harm_note", *rows])
    errors = _refused(db_session, alpha, text)
    assert [(e.line, e.column) for e in errors] == [
        (2, "score"), (2, "item_key"), (3, "harm_note"),
    ]  # fmt: skip
    assert errors[1].message.startswith(
        "no row for B5 in trainer@example.org's rating of session 'S1': B5 applies to a "
        "preparation session and needs a score"
    )


@pytest.fixture
def statements(db_session: Session) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(*args: object) -> None:
        seen.append(str(args[2]))

    connection = db_session.connection()
    event.listen(connection, "before_cursor_execute", count)
    yield seen
    event.remove(connection, "before_cursor_execute", count)


def test_ten_thousand_rows_in_a_few_statements(
    db_session: Session, alpha: Alpha, statements: list[str]
) -> None:
    raters = ["trainer@example.org", "admin@example.org"]
    rows = [
        row
        for n in range(358)  # 358 sessions x 2 raters x 14 items = 10,024 rows
        for rater in raters
        for row in _preparation_rows(f"S{n:04d}", rater=rater, score=n % 7)
    ]
    text = "\n".join([HEADER, *rows])
    started = time.perf_counter()
    report = _import(db_session, alpha, text)
    elapsed = time.perf_counter() - started
    assert (report.rows, report.sessions, report.ratings) == (10_024, 358, 716)
    assert db_session.scalar(select(func.count()).select_from(ItemScore)) == 10_024
    # Prefetches and multi-row inserts: no statement per row, session or rating.
    assert len(statements) < 40, statements
    assert elapsed < 20, f"{elapsed:.1f} s"
    items = db_session.scalar(select(func.count(func.distinct(ItemScore.item_id))).join(RubricItem))
    assert items == len(PREPARATION)
