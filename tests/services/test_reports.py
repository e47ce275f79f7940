"""Report assembly: figures from complete sessions only, no query per trainee, access as the
services underneath decide it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.db.models import User
from app.domain.scoring import ItemScoreInput
from app.domain.vocabulary import Phase, Role
from app.services.assignments import assign_rater
from app.services.certificates import certificate_by_public_id, issue_certificate
from app.services.errors import NotFoundError
from app.services.evidence import current_version
from app.services.program_reliability import RatingSelection, program_reliability
from app.services.programs import create_cohort
from app.services.ratings import RatingContent
from app.services.readiness import readiness_of, sign_off
from app.services.reports import (
    certificate_report,
    certificate_report_of,
    program_report,
    trainee_id_by_email,
    trainee_report,
)
from app.services.sessions import SessionCreate, register_session
from app.services.users import create_user, get_program_by_slug, grant_role

# The API tests' small world of actors, built through the services, serves here as well.
from tests.api.conftest import second_trainer, world  # noqa: F401
from tests.support.rated import admin_of, rate_sessions
from tests.support.ratings import submit_as_rater

pytestmark = pytest.mark.usefixtures("world", "second_trainer")


def _user(db: Session, email: str) -> User:
    user = db.scalar(select(User).where(User.email == email))
    assert user is not None
    return user


@contextmanager
def counted(db: Session) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    engine = db.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_the_program_report_runs_no_query_per_trainee(db_session: Session) -> None:
    program = get_program_by_slug(db_session, "alpha")
    rate_sessions(db_session, "trainee@example.org", (4, 4))
    sign_off(db_session, program, admin_of(db_session), _user(db_session, "trainee@example.org").id)
    db_session.expire_all()
    with counted(db_session) as one:
        first = program_report(db_session, program)
    rate_sessions(db_session, "other_trainee@example.org", (2, 2))
    sign_off(db_session, program, admin_of(db_session),
             _user(db_session, "other_trainee@example.org").id)  # fmt: skip
    db_session.expire_all()
    with counted(db_session) as two:
        second = program_report(db_session, program)
    assert [len(t.result.sessions) for t in first.trainees] == [0, 6]
    assert [len(t.result.sessions) for t in second.trainees] == [6, 6]
    assert len(two) == len(one), "twice the rated trainees, the same statements"


def test_the_program_report_reads_complete_sessions_only(db_session: Session) -> None:
    program = get_program_by_slug(db_session, "alpha")
    rate_sessions(db_session, "trainee@example.org", (4, 4))
    before = program_report(db_session, program)
    # A seventh session: one rater has submitted, the other still rates it.
    admin = admin_of(db_session)
    recorded = register_session(db_session, program, admin, SessionCreate(
        trainee_email="trainee@example.org", phase=Phase.preparation,
        session_date=date(2026, 6, 1), duration_seconds=3600,
        recording="https://media.example.org/half-rated.mp4",
    ))  # fmt: skip
    first = assign_rater(db_session, program, admin, recorded.id, "trainer@example.org")
    assign_rater(db_session, program, admin, recorded.id, "second@example.org")
    keys = ("A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4", "B5", "E1", "E2", "F1", "F2", "F3")
    submit_as_rater(
        db_session, first, "half-rated", RatingContent([ItemScoreInput(k, 0) for k in keys])
    )
    after = program_report(db_session, program)
    a1 = next(i.report for i in after.items if i.key == "A1")
    a1_before = next(i.report for i in before.items if i.key == "A1")
    assert a1 is not None
    assert a1_before is not None
    assert (a1.n_subjects, a1.n_ratings) == (a1_before.n_subjects, a1_before.n_ratings)
    # Without the restriction, the half-rated session's rating would count.
    assert after.rubric is not None
    version = current_version(db_session, program)
    assert version is not None
    every = program_reliability(db_session, RatingSelection(program.id, version.id))
    assert every.items["A1"].n_ratings == a1.n_ratings + 1
    row = next(t for t in after.trainees if t.email == "trainee@example.org")
    assert len(row.result.sessions) == 6


def test_the_program_report_groups_trainees_by_cohort(db_session: Session) -> None:
    program = get_program_by_slug(db_session, "alpha")
    later = create_cohort(db_session, program, name="2027", start_date=date(2027, 1, 1))
    grant_role(db_session, create_user(db_session, email="aaron@example.org", full_name="Aaron",
                                       password="a long enough password"),
               program, Role.trainee, later)  # fmt: skip
    assert program_report(db_session, program).trainees == (), "nothing rated, nobody listed"
    rate_sessions(db_session, "trainee@example.org", (4, 4))
    report = program_report(db_session, program)
    assert [(t.email, t.cohort) for t in report.trainees] == [
        ("other_trainee@example.org", "2026"), ("trainee@example.org", "2026"),
        ("aaron@example.org", "2027"),
    ]  # fmt: skip
    assert [d.key for d in report.domains] == list("ABCDEF")
    steps: list[tuple[int, int]] = []
    program_report(db_session, program, progress=lambda done, total: steps.append((done, total)))
    assert steps == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]


def test_a_trainee_report_as_each_reader_may_see_it(db_session: Session) -> None:
    program = get_program_by_slug(db_session, "alpha")
    rate_sessions(db_session, "trainee@example.org", (4, 4), released=False)
    trainee = _user(db_session, "trainee@example.org")
    other = _user(db_session, "other_trainee@example.org")
    trainer = _user(db_session, "trainer@example.org")
    own = trainee_report(db_session, program, trainee.id, viewer=trainee,
                         roles=frozenset({Role.trainee}))  # fmt: skip
    assert own.released_only
    assert own.result.sessions == ()
    staff = trainee_report(db_session, program, trainee.id, viewer=trainer,
                           roles=frozenset({Role.trainer}))  # fmt: skip
    assert not staff.released_only
    assert len(staff.result.sessions) == 6
    operator = trainee_report(db_session, program, trainee.id, viewer=None)
    live = readiness_of(db_session, program, trainee_ids=[trainee.id])[0].result
    assert operator.result == live
    with pytest.raises(NotFoundError, match=f"no trainee {trainee.id} in alpha"):
        trainee_report(db_session, program, trainee.id, viewer=other,
                       roles=frozenset({Role.trainee}))  # fmt: skip
    assert trainee_id_by_email(db_session, program, " Trainee@Example.org ") == trainee.id
    absent = re.escape("no active trainee 'trainer@example.org' in alpha")
    with pytest.raises(NotFoundError, match=absent):
        trainee_id_by_email(db_session, program, "trainer@example.org")


def test_the_latest_sign_off_is_the_one_reported(db_session: Session) -> None:
    program = get_program_by_slug(db_session, "alpha")
    rate_sessions(db_session, "trainee@example.org", (4, 4))
    trainee = _user(db_session, "trainee@example.org")
    admin = admin_of(db_session)
    assert trainee_report(db_session, program, trainee.id, viewer=None).latest_decision is None
    sign_off(db_session, program, admin, trainee.id, entrustment_level=2)
    sign_off(db_session, program, admin, trainee.id, entrustment_level=4,
             committee_comment="Ready after review")  # fmt: skip
    latest = trainee_report(db_session, program, trainee.id, viewer=None).latest_decision
    assert latest is not None
    assert (latest.decision, latest.entrustment_level, latest.committee_comment) == (
        "READY", 4, "Ready after review"
    )  # fmt: skip
    rows = {t.email: t for t in program_report(db_session, program).trainees}
    assert rows["trainee@example.org"].latest_decision == latest
    assert rows["other_trainee@example.org"].latest_decision is None


def test_a_certificate_report_is_the_signed_content(db_session: Session) -> None:
    program = get_program_by_slug(db_session, "alpha")
    rate_sessions(db_session, "trainee@example.org", (4, 4))
    trainee = _user(db_session, "trainee@example.org")
    admin = admin_of(db_session)
    sign_off(db_session, program, admin, trainee.id)
    issued = issue_certificate(db_session, program, admin, trainee.id)
    report = certificate_report(db_session, program, issued.public_id, viewer=trainee,
                                roles=frozenset({Role.trainee}))  # fmt: skip
    assert report.payload == issued.snapshot
    assert report.verify_url.endswith(f"/verify/{issued.public_id}")
    assert report.verification_code.count("-") == 3
    other = _user(db_session, "other_trainee@example.org")
    with pytest.raises(NotFoundError):
        certificate_report(db_session, program, issued.public_id, viewer=other,
                           roles=frozenset({Role.trainee}))  # fmt: skip
    found, owner = certificate_by_public_id(db_session, issued.public_id)
    assert certificate_report_of(found, owner) == report
    with pytest.raises(NotFoundError, match="no certificate nope"):
        certificate_by_public_id(db_session, "nope")
