"""The admin's board of sessions: statuses in SQL and in Python agree, lateness counts, and
an admin who still rates a session learns nothing about its other raters."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import AuditEvent, RecordedSession
from app.domain.vocabulary import Phase
from app.services.assignments import assign_rater, withdraw
from app.services.audit import program_events
from app.services.errors import ConflictError, InvalidInputError, NotFoundError
from app.services.feedback import release, release_many, sessions_blind_to
from app.services.session_board import SessionStatus, board_row, overview, session_board
from app.services.users import get_program_by_slug
from tests.api.conftest import World
from tests.support.rated import admin_of
from tests.support.sessions import new_session, submit_rating

TODAY = date(2026, 4, 1)


@pytest.fixture
def board(db_session: Session, world: World, second_trainer: None) -> dict[str, RecordedSession]:
    """One session in each state, newest first by date."""
    program = get_program_by_slug(db_session, "alpha")
    admin = admin_of(db_session)
    made = {
        name: new_session(db_session, date(2026, 3, day))
        for day, name in enumerate(
            ("released", "complete", "late", "awaiting", "withdrawn", "unassigned"), start=1
        )
    }
    for name in ("released", "complete"):
        a = assign_rater(db_session, program, admin, made[name].id, "trainer@example.org")
        b = assign_rater(db_session, program, admin, made[name].id, "second@example.org")
        submit_rating(db_session, a)
        submit_rating(db_session, b)
    release(db_session, program, admin, made["released"].id)
    assign_rater(
        db_session, program, admin, made["late"].id, "trainer@example.org",
        due_date=date(2026, 3, 20),
    )  # fmt: skip
    done = assign_rater(db_session, program, admin, made["awaiting"].id, "second@example.org")
    assign_rater(
        db_session, program, admin, made["awaiting"].id, "trainer@example.org",
        due_date=date(2026, 4, 30),
    )  # fmt: skip
    submit_rating(db_session, done)
    gone = assign_rater(db_session, program, admin, made["withdrawn"].id, "trainer@example.org")
    withdraw(db_session, program, admin, gone.id)
    db_session.flush()
    return made


def test_each_status_filters_to_its_sessions_and_the_rows_agree(
    db_session: Session, board: dict[str, RecordedSession]
) -> None:
    program = get_program_by_slug(db_session, "alpha")
    admin = admin_of(db_session)
    expected = {
        SessionStatus.released: ["released"],
        SessionStatus.complete: ["complete"],
        SessionStatus.awaiting: ["awaiting", "late"],
        SessionStatus.unassigned: ["unassigned", "withdrawn"],
    }
    names = {s.id: name for name, s in board.items()}
    for status, wanted in expected.items():
        found = session_board(db_session, program, admin, today=TODAY, status=status)
        assert [names[r.recorded.id] for r in found.rows] == wanted, status
        assert all(r.status is status for r in found.rows)  # Python says what SQL chose
        assert found.counts == {s: len(v) for s, v in expected.items()}
    everything = session_board(db_session, program, admin, today=TODAY)
    assert everything.total == 6
    assert [names[r.recorded.id] for r in everything.rows] == [
        "unassigned", "withdrawn", "awaiting", "late", "complete", "released",
    ]  # fmt: skip


def test_overdue_filters_and_the_overview_counts(
    db_session: Session, board: dict[str, RecordedSession]
) -> None:
    program = get_program_by_slug(db_session, "alpha")
    admin = admin_of(db_session)
    late = session_board(db_session, program, admin, today=TODAY, overdue=True)
    assert [r.recorded.id for r in late.rows] == [board["late"].id]
    assert late.rows[0].overdue
    seen = overview(db_session, program, admin, today=TODAY)
    assert seen.counts[SessionStatus.awaiting] == 2
    assert seen.counts[SessionStatus.complete] == 1
    assert seen.overdue_assignments == 1
    assert [a.session_id for a in seen.overdue] == [board["late"].id]


def test_pages_of_the_board(db_session: Session, board: dict[str, RecordedSession]) -> None:
    program = get_program_by_slug(db_session, "alpha")
    admin = admin_of(db_session)
    first = session_board(db_session, program, admin, today=TODAY, per_page=4)
    last = session_board(db_session, program, admin, today=TODAY, per_page=4, page=9)
    assert (first.pages, len(first.rows), last.page, len(last.rows)) == (2, 4, 2, 2)
    medication = session_board(db_session, program, admin, today=TODAY, phase=Phase.medication)
    assert medication.total == 0


def test_an_admin_who_still_rates_a_session_sees_only_their_own_part(
    db_session: Session, board: dict[str, RecordedSession]
) -> None:
    program = get_program_by_slug(db_session, "alpha")
    admin = admin_of(db_session)
    late = board["late"]
    own = assign_rater(db_session, program, admin, late.id, "admin@example.org")
    row = board_row(db_session, program, admin, late.id, today=TODAY)
    assert row.assignments is None
    assert row.own is not None
    assert row.own.id == own.id
    assert not row.overdue  # only the trainer is late, and that is not the admin's to know
    assert session_board(db_session, program, admin, today=TODAY, overdue=True).rows == []
    assert overview(db_session, program, admin, today=TODAY).overdue_assignments == 0
    assert late.id in sessions_blind_to(db_session, program, admin)


def test_release_many_is_all_or_nothing(
    db_session: Session, board: dict[str, RecordedSession]
) -> None:
    program = get_program_by_slug(db_session, "alpha")
    admin = admin_of(db_session)
    wanted = [board["complete"].id, board["awaiting"].id]
    with pytest.raises(ConflictError, match=f"session {board['awaiting'].id} has"):
        release_many(db_session, program, admin, wanted)
    assert board["complete"].released_at is None
    with pytest.raises(InvalidInputError):
        release_many(db_session, program, admin, [])
    with pytest.raises(NotFoundError):
        release_many(db_session, program, admin, [2**31 - 1])
    done = release_many(db_session, program, admin, [board["complete"].id, board["released"].id])
    assert all(s.released_at is not None for s in done)
    events = db_session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "session.release",
            AuditEvent.entity_id == str(board["complete"].id),
        )
    ).all()
    assert len(events) == 1  # the one already released was not released again


def test_the_log_pages_newest_first_by_actor(
    db_session: Session, board: dict[str, RecordedSession]
) -> None:
    program = get_program_by_slug(db_session, "alpha")
    admin = admin_of(db_session)
    everything = program_events(db_session, program.id)
    newest = program_events(db_session, program.id, newest_first=True, limit=3)
    assert [e.id for e in newest] == [e.id for e in reversed(everything)][:3]
    older = program_events(
        db_session, program.id, newest_first=True, before_id=newest[-1].id, limit=3
    )
    assert [e.id for e in older] == [e.id for e in reversed(everything)][3:6]
    by_admin = program_events(db_session, program.id, actor_id=admin.id)
    assert by_admin
    assert all(e.actor_id == admin.id for e in by_admin)
    assert len(by_admin) < len(everything)  # the raters' submissions are theirs
