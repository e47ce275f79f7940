"""A trainee's own view agrees with the per-session release rules and the readiness API,
and reads all their sessions in a fixed number of statements."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.db.models import Membership, Program, User
from app.domain.vocabulary import Role
from app.services.demo import seed_demo
from app.services.errors import NotFoundError
from app.services.feedback import readable_ratings
from app.services.readiness import trainee_readiness
from app.services.rubric_library import load_rubrics
from app.services.trainee_view import TRAINEE, own_readiness, own_sessions, session_feedback
from app.services.users import grant_role

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo(db_session: Session) -> tuple[Program, list[User]]:
    load_rubrics(db_session, [ROOT / "rubrics" / "pat-competency.v1.yaml"])
    seed_demo(db_session, today=date(2026, 11, 2))
    program = db_session.scalars(select(Program)).one()
    trainees = list(
        db_session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.role == Role.trainee)
            .order_by(User.id)
        )
    )
    return program, trainees


@pytest.fixture
def statements(db_session: Session) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(*args: object) -> None:
        seen.append(str(args[2]))

    connection = db_session.connection()
    event.listen(connection, "before_cursor_execute", count)
    yield seen
    event.remove(connection, "before_cursor_execute", count)


def test_each_session_shows_exactly_what_the_release_rules_let_its_trainee_read(
    db_session: Session, demo: tuple[Program, list[User]]
) -> None:
    program, trainees = demo
    shown = hidden = calibration = 0
    for trainee in trainees:
        for own in own_sessions(db_session, program, trainee):
            assert own.recorded.trainee_id == trainee.id
            try:
                expected = [
                    r.id
                    for r in readable_ratings(
                        db_session, program, trainee, TRAINEE, own.recorded.id
                    )
                ]
            except NotFoundError:
                expected = []
            assert [r.id for r in own.ratings] == expected
            assert not any(r.assignment.is_master for r in own.ratings)
            if own.ratings:
                shown += 1
                feedback = session_feedback(db_session, program, trainee, own.recorded.id)
                assert [r.id for r in feedback.ratings] == expected
                calibration += any(a.is_master for a in own.recorded.assignments)
            else:
                hidden += 1
    # The demo holds released sessions, recent ones still being rated, and calibration keys.
    assert shown
    assert hidden
    assert calibration


def test_a_session_not_released_to_the_trainee_is_not_found(
    db_session: Session, demo: tuple[Program, list[User]]
) -> None:
    program, trainees = demo
    waiting = next(
        (t, s) for t in trainees for s in own_sessions(db_session, program, t) if not s.released
    )
    trainee = waiting[0]
    with pytest.raises(NotFoundError):
        session_feedback(db_session, program, trainee, waiting[1].recorded.id)
    other = next(t for t in trainees if t.id != trainee.id)
    released = next(s for s in own_sessions(db_session, program, other) if s.released)
    with pytest.raises(NotFoundError):
        session_feedback(db_session, program, trainee, released.recorded.id)


def test_all_sessions_are_read_in_a_fixed_number_of_statements(
    db_session: Session, demo: tuple[Program, list[User]], statements: list[str]
) -> None:
    program, trainees = demo
    counts = {}
    for trainee in trainees[:3]:  # 6, 7 and 8 sessions
        db_session.expire_all()
        statements.clear()
        found = own_sessions(db_session, program, trainee)
        for own in found:
            for rating in own.ratings:
                _ = (rating.assignment.rater.full_name, [s.evidence for s in rating.scores])
        counts[len(found)] = len(statements)
    assert len(counts) == 3, "trainees with different numbers of sessions"
    assert len(set(counts.values())) == 1, counts


def test_readiness_is_what_the_api_gives_the_trainee(
    db_session: Session, demo: tuple[Program, list[User]]
) -> None:
    program, trainees = demo
    for trainee in trainees[:4]:
        mine = own_readiness(db_session, program, trainee)
        assert mine is not None
        api = trainee_readiness(db_session, program, trainee, TRAINEE, trainee.id)
        assert mine.result.to_json() == api.result.to_json()
        # Staff read every complete session; the trainee's view leaves out unreleased ones.
        staff = trainee_readiness(db_session, program, trainee, frozenset({Role.admin}), trainee.id)
        released = {s.recorded.id for s in own_sessions(db_session, program, trainee) if s.released}
        assert {s.session_id for s in mine.result.sessions} <= released
        assert len(staff.result.sessions) >= len(mine.result.sessions)


def test_a_trainee_who_also_rates_sees_only_the_trainee_view(
    db_session: Session, demo: tuple[Program, list[User]]
) -> None:
    """A trainee who is a trainer in the same program too: the trainee view stays narrow."""
    program, (trainee, other, *_) = demo
    grant_role(db_session, trainee, program, Role.trainer)
    db_session.flush()
    theirs = next(s for s in own_sessions(db_session, program, other) if s.released)
    mine = own_sessions(db_session, program, trainee)
    assert {s.recorded.trainee_id for s in mine} == {trainee.id}
    with pytest.raises(NotFoundError):
        session_feedback(db_session, program, trainee, theirs.recorded.id)
