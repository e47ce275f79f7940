"""Reading a ratings import file: every bad cell and row reported at its line and column."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest

from app.domain.rating_import import (
    ParsedRatings,
    RowError,
    parse_ratings_csv,
    rubric_problems,
    undecodable,
)
from app.domain.rubrics.model import RubricDocument
from app.domain.rubrics.parse import parse_rubric
from app.domain.vocabulary import Modality, Phase

ROOT = Path(__file__).resolve().parents[2]
FLAGSHIP = ROOT / "rubrics" / "pat-competency.v1.yaml"
HISTORICAL = ROOT / "tests" / "fixtures" / "imports" / "historical.csv"
NOW = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)
HEADER = "session_ref,trainee_email,session_date,phase,duration_minutes,rater_email,item_key,score"
ROW = "R1,t@example.org,2026-03-02,preparation,50,r@example.org,A1,4"


@cache
def _rubric() -> RubricDocument:
    parsed = parse_rubric(FLAGSHIP.read_text(encoding="utf-8"))
    assert isinstance(parsed, RubricDocument), parsed
    return parsed


def _parse(*lines: str) -> ParsedRatings:
    return parse_ratings_csv("\n".join(lines) + "\n", now=NOW)


def _errors(*lines: str) -> list[tuple[int, str]]:
    return [(e.line, e.column) for e in sorted(_parse(*lines).errors)]


def test_reads_the_fixture_into_sessions_and_ratings() -> None:
    parsed = parse_ratings_csv(HISTORICAL.read_text(encoding="utf-8"), now=NOW)
    assert parsed.errors == []
    assert (parsed.rows, len(parsed.sessions)) == (80, 3)
    first, integration, medication = parsed.sessions
    assert (first.ref, first.line, first.phase, first.duration_minutes) == (
        "R-001", 2, Phase.preparation, 50,
    )  # fmt: skip
    assert (first.rubric, first.rubric_version) == ("pat-competency", None)
    assert integration.modalities == frozenset({Modality.cbt, Modality.act})
    assert [r.rater_email for r in first.ratings] == ["trainer@example.org", "admin@example.org"]
    trainer, admin = first.ratings
    assert trainer.comment == "Warm, well-paced preparation."
    assert trainer.submitted_at == datetime(2026, 3, 20, 10, 15, tzinfo=UTC)
    assert admin.submitted_at == datetime(2026, 3, 21, tzinfo=UTC)
    assert admin.line == 16
    assert [s.line for s in trainer.scores] == list(range(2, 16))
    c5 = next(s.entry for s in medication.ratings[1].scores if s.entry.item_key == "C5")
    assert (c5.score, c5.not_applicable) == (None, True)
    for session in parsed.sessions:
        for rating in session.ratings:
            assert rubric_problems(_rubric(), session, rating) == []


def test_byte_order_mark_and_defaults() -> None:
    parsed = parse_ratings_csv("\ufeff" + HEADER + "\r\n" + ROW + "\r\n", now=NOW)
    assert parsed.errors == []
    (session,) = parsed.sessions
    (rating,) = session.ratings
    assert rating.submitted_at == NOW, "submitted at import time unless the file says"
    assert (rating.comment, session.recording, session.co_therapist) == ("", "", False)


def test_a_quoted_cell_over_several_lines_names_the_line_it_starts_on() -> None:
    header = HEADER + ",comment"
    rows = [
        ROW + ',"first line\nsecond line"',
        ROW.replace("A1,4", "A2,x") + ',"first line\nsecond line"',
    ]
    errors = _parse(header, *rows).errors
    assert errors == [RowError(4, "score", "'x' is not a whole number (leave it empty when "
                                           "not applicable)")]  # fmt: skip


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("", [RowError(1, "file", "is empty; expected a header row")]),
        (HEADER.replace(",score", ""), [RowError(1, "score", "required column missing from the "
                                                            "header")]),
        (HEADER + ",Score", [RowError(1, "score", "appears twice in the header")]),
        (HEADER + ",,", [RowError(1, "column 9", "has no name in the header"),
                         RowError(1, "column 10", "has no name in the header")]),
    ],
)  # fmt: skip
def test_header_problems(header: str, expected: list[RowError]) -> None:
    assert parse_ratings_csv(header, now=NOW).errors == expected


def test_unknown_columns_are_named_and_export_columns_ignored() -> None:
    errors = _parse(HEADER + ",notes,Rater_Comment", ROW + ",a,b").errors
    assert [(e.column, e.message.split(";")[0]) for e in errors] == [
        ("notes", "unknown column"), ("rater_comment", "unknown column"),
    ]  # fmt: skip
    exported = _parse(HEADER + ",subject,rater,item,domain", ROW + ",17,someone,A9,Z")
    assert exported.errors == []
    assert exported.sessions[0].ratings[0].scores[0].entry.item_key == "A1"


def test_every_bad_cell_of_every_row_is_reported() -> None:
    rows = [
        "R1,not-an-email,2026-02-30,prep,0,r@example.org,A1,4.5",  # line 2: five problems
        ROW.replace("A1,4", "A2,4"),  # line 3: fine
        ",t@example.org,2026-03-02,preparation,50,,,",  # line 4: no ref, rater, item
        "R1,t@example.org,2026-03-02",  # line 5: too few cells
    ]
    parsed = _parse(HEADER, *rows)
    assert [(e.line, e.column) for e in parsed.errors] == [
        (2, "trainee_email"), (2, "session_date"), (2, "phase"), (2, "duration_minutes"),
        (2, "score"), (4, "session_ref"), (4, "rater_email"), (4, "item_key"), (5, "row"),
    ]  # fmt: skip
    assert parsed.errors[-1].message == "has 3 cells; the header has 8"
    assert parsed.rows == 4


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("not_applicable", "maybe",
         "'maybe' is not true or false (1/0, yes/no, or empty for false)"),
        ("modalities", "cbt;yoga", "'yoga' is not one of common, psychodynamic, cbt, act, met, "
                                   "behavioural-activation, mindfulness, somatic (separate "
                                   "several with ';')"),
        ("submitted_at", "last week", "'last week' is not an ISO date or date and time"),
        ("submitted_at", "2026-05-01", "is in the future"),
        ("submitted_at", "2026-03-01T23:00:00-05:00", "2026-03-01 is before the session date "
                                                      "2026-03-02"),
        ("duration_minutes", "1441", "'1441' is not a whole number of minutes 1..1440"),
        ("harm_note", "x" * 2001, "longer than 2000 characters"),
    ],
)  # fmt: skip
def test_cell_rules(column: str, value: str, message: str) -> None:
    header = f"{HEADER},{column}" if column not in HEADER else HEADER
    cells = dict(zip(header.split(","), [*ROW.split(","), ""], strict=False))
    cells[column] = value
    errors = _parse(header, ",".join(cells[c] for c in header.split(","))).errors
    assert errors == [RowError(2, column, message)]


def test_times_keep_their_offset_and_naive_times_are_utc() -> None:
    header = HEADER + ",submitted_at"
    aware = _parse(header, ROW + ",2026-03-02T23:30:00-05:00").sessions[0].ratings[0]
    assert aware.submitted_at == datetime(2026, 3, 3, 4, 30, tzinfo=UTC)
    naive = _parse(header, ROW + ",2026-03-02T09:00:00").sessions[0].ratings[0]
    assert naive.submitted_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_a_session_in_the_future_is_refused() -> None:
    assert _errors(HEADER, ROW.replace("2026-03-02", "2026-04-03")) == [(2, "session_date")]
    assert _errors(HEADER, ROW.replace("2026-03-02", "2026-04-02")) == [], "a day of slack"


def test_a_row_without_a_readable_rater_is_not_also_reported_as_missing() -> None:
    preparation = ["A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4", "B5", "E1", "E2", "F1", "F2"]
    rows = [ROW.replace("A1,4", f"{key},4") for key in [*preparation, "F3"]]
    rows[-1] = rows[-1].replace("r@example.org", "r@")
    parsed = _parse(HEADER, *rows)
    assert parsed.errors == [RowError(15, "rater_email", "'r@' is not an e-mail address")]
    (rating,) = parsed.sessions[0].ratings
    assert not rating.complete, "its rubric check would only report F3 again, as missing"


def test_rows_of_a_session_and_of_a_rating_must_agree() -> None:
    header = HEADER + ",comment,modalities"
    rows = [
        ROW + ",Good.,cbt;act",
        ROW.replace("A1,4", "A2,4") + ",Good.,act;cbt",  # same modalities, other order
        ROW.replace("A1,4", "A3,4").replace(",50,", ",55,") + ",Fine.,act",
    ]
    errors = _parse(header, *rows).errors
    assert errors == [
        RowError(4, "duration_minutes", "differs from line 2 of session 'R1', which has 50"),
        RowError(4, "comment", "differs from line 2 of r@example.org's rating of session "
                               "'R1', which has 'Good.'"),
        RowError(4, "modalities", "differs from line 2 of session 'R1', which has 'act;cbt'"),
    ]  # fmt: skip


def test_an_item_scored_twice_in_one_rating() -> None:
    errors = _parse(HEADER, ROW, ROW.replace(",4", ",5")).errors
    assert errors == [
        RowError(3, "item_key", "A1 is already scored by r@example.org for session 'R1' at line 2")
    ]
    other_rater = _parse(HEADER, ROW, ROW.replace("r@example.org", "s@example.org"))
    assert other_rater.errors == []
    assert len(other_rater.sessions[0].ratings) == 2


def test_identifiers_in_free_text_are_refused_without_being_echoed() -> None:
    header = HEADER + ",harm_flag,harm_note,comment"
    row = ROW + ',true,"Called her on 020 7946 0958",Patient jane@example.com was fine'
    errors = _parse(header, row).errors
    assert [(e.column, e.message) for e in errors] == [
        ("harm_note", "looks like it contains a phone number (characters 15-27); remove "
                      "patient identifiers"),
        ("comment", "looks like it contains an e-mail address (characters 9-24); remove "
                    "patient identifiers"),
    ]  # fmt: skip
    assert "7946" not in str(errors)
    assert "jane" not in str(errors)


def test_formula_escapes_of_an_export_are_undone() -> None:
    header = HEADER + ",harm_flag,harm_note"
    parsed = _parse(header, ROW + ",true,'=needs no formula")
    assert parsed.errors == []
    assert parsed.sessions[0].ratings[0].scores[0].entry.harm_note == "=needs no formula"
    kept = _parse(header, ROW + ",true,'quoted'")
    assert kept.sessions[0].ratings[0].scores[0].entry.harm_note == "'quoted'"


def _row(key: str, score: str, not_applicable: str = "false") -> str:
    return ROW.replace("A1,4", f"{key},{score}") + f",{not_applicable}"


def test_rubric_problems_point_at_the_row_of_the_item() -> None:
    preparation = ["A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4", "E1", "E2", "F1", "F2", "F3"]
    rows = [_row(key, "3") for key in preparation]  # B5, a safety gate, has no row
    rows[1] = _row("A2", "8")  # line 3
    rows[2] = _row("A3", "", "true")  # line 4
    rows.append(_row("C1", "3"))  # line 15
    parsed = _parse(HEADER + ",not_applicable", *rows)
    assert parsed.errors == []
    (session,) = parsed.sessions
    problems = rubric_problems(_rubric(), session, session.ratings[0])
    assert [(p.line, p.column) for p in problems] == [
        (3, "score"), (4, "not_applicable"), (15, "score"), (2, "item_key"),
    ]  # fmt: skip
    assert problems[0].message == "A2: score 8 is outside the scale 0..6"
    assert problems[2].message == "C1 does not apply to a preparation session; it cannot be scored"
    assert problems[3].message.startswith(
        "no row for B5 in r@example.org's rating of session 'R1': B5 applies to a preparation "
        "session and needs a score"
    )


def test_progress_is_reported_while_reading() -> None:
    heard: list[tuple[int, int]] = []
    rows = [ROW.replace("R1", f"R{n}") for n in range(2500)]
    text = "\n".join([HEADER, *rows])
    parse_ratings_csv(text, now=NOW, progress=lambda done, total: heard.append((done, total)))
    assert heard == [(1000, 2501), (2000, 2501)]


def test_undecodable_names_the_line_of_the_first_bad_byte() -> None:
    assert undecodable("é,ü\n".encode()) is None
    assert undecodable(b"header\nok\n\xe9t\xe9\n") == RowError(
        3, "file", "not UTF-8 text (byte 11); save the file as UTF-8"
    )
