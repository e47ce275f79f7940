"""Registering sessions from a CSV file: every session in it, or none; a dry run writes nothing."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import AuditEvent, Program, RecordedSession, User
from app.domain.vocabulary import Phase, Role
from app.services.programs import create_cohort, create_program
from app.services.rubric_library import load_rubrics
from app.services.session_import import SessionsImportError, import_sessions
from app.services.sessions import SessionCreate, register_session
from app.services.users import create_user, grant_role

FLAGSHIP = Path(__file__).resolve().parents[2] / "rubrics" / "pat-competency.v1.yaml"
HEADER = "trainee_email,session_date,phase,duration_minutes,recording"


@dataclass
class Alpha:
    program: Program
    admin: User


@pytest.fixture
def alpha(db_session: Session) -> Alpha:
    load_rubrics(db_session, [FLAGSHIP])
    program = create_program(db_session, slug="alpha", name="Alpha")
    cohort = create_cohort(db_session, program, name="2026", start_date=date(2026, 1, 1))
    admin = create_user(db_session, email="admin@example.org", full_name="Admin")
    grant_role(db_session, admin, program, Role.admin)
    for name, group in (("trainee", cohort), ("other", cohort), ("cohortless", None)):
        user = create_user(db_session, email=f"{name}@example.org", full_name=name.title())
        grant_role(db_session, user, program, Role.trainee, group)
    return Alpha(program, admin)


def _count(db: Session, model: type[RecordedSession] | type[AuditEvent]) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


GOOD = (
    f"{HEADER},session_ref,modalities,focus_tags,co_therapist,notes\n"
    "trainee@example.org,2026-03-02,preparation,50,https://media.example.org/1.mp4,R1,,,,\n"
    "other@example.org,2026-03-03,integration,55,2026/2.mp4,R2,cbt;act,grief,yes,Second.\n"
)


def test_a_dry_run_lists_the_sessions_and_writes_nothing(db_session: Session, alpha: Alpha) -> None:
    before = (_count(db_session, RecordedSession), _count(db_session, AuditEvent))
    report = import_sessions(db_session, alpha.program, alpha.admin, GOOD, "s.csv", dry_run=True)
    assert report.errors == ()
    assert [(p.row.line, p.trainee_name, p.cohort_name) for p in report.planned] == [
        (2, "Trainee", "2026"),
        (3, "Other", "2026"),
    ]
    assert report.planned[0].rubric_version == "pat-competency 1.0.0"
    assert report.summary == "dry run: s.csv is valid; would register 2 sessions"
    assert (_count(db_session, RecordedSession), _count(db_session, AuditEvent)) == before


def test_an_import_registers_every_session_with_one_audit_event(
    db_session: Session, alpha: Alpha
) -> None:
    report = import_sessions(db_session, alpha.program, alpha.admin, GOOD, "s.csv", dry_run=False)
    created = db_session.scalars(
        select(RecordedSession).where(RecordedSession.id.in_(report.session_ids))
    ).all()
    by_ref = {s.external_ref: s for s in created}
    assert set(by_ref) == {"R1", "R2"}
    second = by_ref["R2"]
    assert second.phase is Phase.integration
    assert second.modalities == ["act", "cbt"]
    assert second.focus_tags == ["grief"]
    assert second.co_therapist is True
    assert second.duration_seconds == 55 * 60
    assert second.recording_url == "2026/2.mp4"
    assert second.rubric_version.version == "1.0.0"
    assert second.created_by_id == alpha.admin.id
    event = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "sessions.import")
    ).one()
    assert event.actor_id == alpha.admin.id
    assert event.payload["sha256"] == hashlib.sha256(GOOD.encode()).hexdigest()
    assert sorted(event.payload["session_ids"]) == sorted(report.session_ids)


def test_one_bad_row_refuses_the_whole_file_with_every_problem(
    db_session: Session, alpha: Alpha
) -> None:
    register_session(
        db_session, alpha.program, alpha.admin,
        SessionCreate("trainee@example.org", Phase.medication, date(2026, 2, 1), 3600, "m.mp4"),
    )  # fmt: skip
    text = (
        f"{HEADER},rubric\n"
        "trainee@example.org,2026-03-02,preparation,50,https://media.example.org/ok.mp4,\n"
        "nobody@example.org,2026-03-02,preparation,50,../../etc/passwd,\n"
        "cohortless@example.org,2026-03-02,preparation,50,ok2.mp4,no-such-rubric\n"
        "trainee@example.org,2026-02-01,medication,45,m.mp4,\n"
        "other@example.org,2026-13-01,preparation,50,ftp://host/x,\n"
    )
    before = _count(db_session, RecordedSession)
    with pytest.raises(SessionsImportError) as refused:
        import_sessions(db_session, alpha.program, alpha.admin, text, "s.csv", dry_run=False)
    problems = [(e.line, e.column) for e in refused.value.report.errors]
    assert problems == [
        (3, "trainee_email"),
        (3, "recording"),
        (4, "trainee_email"),
        (4, "rubric"),
        (5, "recording"),
        (6, "session_date"),
        (6, "recording"),  # still checked although the date could not be read
    ]
    messages = {(e.line, e.column): e.message for e in refused.value.report.errors}
    assert messages[3, "trainee_email"] == "no active trainee 'nobody@example.org' in alpha"
    assert messages[4, "trainee_email"] == "'cohortless@example.org' belongs to no cohort yet"
    assert messages[5, "recording"].startswith("session ")
    assert "already has this trainee, date, phase and recording" in messages[5, "recording"]
    assert str(refused.value) == "file: 7 problem(s) in s.csv; nothing was imported"
    assert _count(db_session, RecordedSession) == before


def test_importing_the_same_file_twice_registers_nothing_twice(
    db_session: Session, alpha: Alpha
) -> None:
    import_sessions(db_session, alpha.program, alpha.admin, GOOD, "s.csv", dry_run=False)
    again = import_sessions(db_session, alpha.program, alpha.admin, GOOD, "s.csv", dry_run=True)
    assert [(e.line, e.column) for e in again.errors] == [
        (2, "session_ref"),
        (2, "recording"),
        (3, "session_ref"),
        (3, "recording"),
    ]
    assert (
        again.errors[0].message
        == "'R1' is already session "
        + str(
            db_session.scalar(
                select(RecordedSession.id).where(RecordedSession.external_ref == "R1")
            )
        )
        + " of alpha"
    )
    # Without references, the same trainee, date, phase and recording still give it away.
    plain = "\n".join(line.rsplit(",", 5)[0] for line in GOOD.splitlines()) + "\n"
    assert plain.startswith(HEADER + "\n")
    repeated = import_sessions(db_session, alpha.program, alpha.admin, plain, "p.csv", dry_run=True)
    assert [(e.line, e.column) for e in repeated.errors] == [(2, "recording"), (3, "recording")]
