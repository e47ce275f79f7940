"""Exporting a program's ratings, one item score a row, and importing that into another."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from app.db.models import Cohort, Program, User
from app.domain.scoring import ItemScoreInput
from app.domain.vocabulary import Phase, Role
from app.exports.ratings_csv import ratings_csv
from app.services.assignments import assign_rater
from app.services.errors import InvalidInputError
from app.services.programs import create_cohort, create_program
from app.services.rating_export import ExportedScore, export_ratings
from app.services.rating_import import RatingsImportError, import_ratings
from app.services.ratings import RatingContent, enter_master_rating, save_draft
from app.services.rubric_library import load_rubrics
from app.services.sessions import SessionCreate, register_session
from app.services.users import create_user, grant_role
from tests.support.ratings import submit_as_rater

ROOT = Path(__file__).resolve().parents[2]
FLAGSHIP = ROOT / "rubrics" / "pat-competency.v1.yaml"
HISTORICAL = ROOT / "tests" / "fixtures" / "imports" / "historical.csv"
PREPARATION = ["A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4", "B5", "E1", "E2", "F1", "F2", "F3"]
NAMES = ("admin", "keyer", "trainer", "trainee", "other_trainee")


def _program(db_session: Session, slug: str, people: dict[str, User]) -> tuple[Program, Cohort]:
    program = create_program(db_session, slug=slug, name=slug.title())
    cohort = create_cohort(db_session, program, name="2026", start_date=date(2026, 1, 1))
    for name, user in people.items():
        role = (
            Role.trainee if "trainee" in name else Role.trainer if name == "trainer" else Role.admin
        )
        grant_role(db_session, user, program, role, cohort if role is Role.trainee else None)
    return program, cohort


@pytest.fixture
def people(db_session: Session) -> dict[str, User]:
    load_rubrics(db_session, [FLAGSHIP])
    return {n: create_user(db_session, email=f"{n}@example.org", full_name=n) for n in NAMES}


@pytest.fixture
def alpha(db_session: Session, people: dict[str, User]) -> Program:
    """The fixture file imported, plus a session rated here: submitted, draft and master."""
    program, _ = _program(db_session, "alpha", people)
    import_ratings(
        db_session, program, people["admin"], HISTORICAL.read_text(encoding="utf-8"),
        "historical.csv", dry_run=False,
    )  # fmt: skip
    recorded = register_session(db_session, program, people["admin"], SessionCreate(
        trainee_email="other_trainee@example.org", phase=Phase.preparation,
        session_date=date(2026, 10, 1), duration_seconds=3600,
        recording="https://media.example.org/native.mp4",
    ))  # fmt: skip
    scores = [ItemScoreInput(key, 5) for key in PREPARATION]
    submitted = assign_rater(db_session, program, people["admin"], recorded.id,
                             "trainer@example.org")  # fmt: skip
    drafted = assign_rater(db_session, program, people["admin"], recorded.id, "admin@example.org")
    submit_as_rater(db_session, submitted, "native-submission", RatingContent(scores, "Native."))
    save_draft(db_session, drafted, scores[:3], "", None)
    enter_master_rating(db_session, program, people["keyer"], recorded.id, RatingContent(scores))
    return program


def test_one_row_per_item_score_of_submitted_non_master_ratings(
    db_session: Session, alpha: Program
) -> None:
    rows = export_ratings(db_session, alpha, viewer=None)
    assert len(rows) == 80 + len(PREPARATION)
    assert [r.session_ref for r in rows[:: len(PREPARATION)]][:2] == ["R-001", "R-001"]
    assert {r.rater_email for r in rows if r.session_date == date(2026, 10, 1)} == {
        "trainer@example.org"
    }, "neither the draft nor the master rating"
    first = rows[0]
    assert dataclasses.astuple(first)[1:] == (
        "R-001", "trainee@example.org", date(2026, 3, 2), Phase.preparation, 50, (), False, "",
        "admin@example.org", "pat-competency", "1.0.0", "A", "A1", 3, False, False, "", "",
        datetime(2026, 3, 21, tzinfo=UTC),
    )  # fmt: skip
    native = rows[-1]
    assert native.session_ref == f"alpha/{native.session_id}"
    assert (native.item_key, native.score, native.comment) == ("F3", 5, "Native.")
    assert native.recording == "https://media.example.org/native.mp4"
    assert native.duration_minutes == 60
    not_applicable = [r for r in rows if r.not_applicable]
    assert [(r.item_key, r.score) for r in not_applicable] == [("C5", None)]
    assert [(r.item_key, r.harm_note) for r in rows if r.harm_flag] == [
        ("F2", "Left the room for ten minutes during the peak.")
    ]


def test_a_session_the_viewer_is_still_to_rate_stays_hidden_from_them(
    db_session: Session, alpha: Program, people: dict[str, User]
) -> None:
    def sessions(viewer: User) -> set[date]:
        return {r.session_date for r in export_ratings(db_session, alpha, viewer=viewer)}

    everything = {date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16), date(2026, 10, 1)}
    assert sessions(people["keyer"]) == everything, "the master rating's author has submitted"
    assert sessions(people["trainer"]) == everything
    assert sessions(people["admin"]) == everything - {date(2026, 10, 1)}, "their draft is open"


def test_filters_by_cohort_and_session_dates(db_session: Session, alpha: Program) -> None:
    def dates(rows: list[ExportedScore]) -> set[date]:
        return {r.session_date for r in rows}

    assert dates(export_ratings(db_session, alpha, viewer=None, since=date(2026, 3, 9))) == {
        date(2026, 3, 9), date(2026, 3, 16), date(2026, 10, 1),
    }  # fmt: skip
    assert dates(export_ratings(db_session, alpha, viewer=None, until=date(2026, 3, 9))) == {
        date(2026, 3, 2), date(2026, 3, 9),
    }  # fmt: skip
    assert len(export_ratings(db_session, alpha, viewer=None, cohort="2026")) == 80 + len(
        PREPARATION
    )
    create_cohort(db_session, alpha, name="2027", start_date=date(2027, 1, 1))
    assert export_ratings(db_session, alpha, viewer=None, cohort="2027") == []
    with pytest.raises(InvalidInputError, match="cohort: no cohort 'nope' in alpha"):
        export_ratings(db_session, alpha, viewer=None, cohort="nope")


def test_an_export_imports_into_another_program_unchanged(
    db_session: Session, alpha: Program, people: dict[str, User]
) -> None:
    exported = ratings_csv(export_ratings(db_session, alpha, viewer=None))
    beta, _ = _program(db_session, "beta", people)
    report = import_ratings(
        db_session, beta, people["admin"], exported, "alpha-ratings.csv", dry_run=False
    )
    assert (report.sessions, report.ratings, report.item_scores) == (4, 7, 94)

    def comparable(rows: list[ExportedScore]) -> list[tuple[object, ...]]:
        return [dataclasses.astuple(r)[1:] for r in rows]  # all but the session's id

    assert comparable(export_ratings(db_session, beta, viewer=None)) == comparable(
        export_ratings(db_session, alpha, viewer=None)
    )


def test_an_export_imported_back_into_its_program_is_refused(
    db_session: Session, alpha: Program, people: dict[str, User]
) -> None:
    exported = ratings_csv(export_ratings(db_session, alpha, viewer=None))
    with pytest.raises(RatingsImportError) as refused:
        import_ratings(db_session, alpha, people["admin"], exported, "again.csv", dry_run=False)
    native = export_ratings(db_session, alpha, viewer=None)[-1].session_id
    assert [(e.column, e.message) for e in refused.value.report.errors] == [
        *(("session_ref", f"'{ref}' was already imported into alpha")
          for ref in ("R-001", "R-002", "R-003")),
        ("session_ref", f"'alpha/{native}' is session {native} of alpha, exported from it"),
    ]  # fmt: skip
