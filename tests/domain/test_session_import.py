"""Reading a sessions file: one row a session, every bad cell at its line and column."""

from __future__ import annotations

from datetime import date

from app.domain.csv_cells import RowError
from app.domain.session_import import parse_sessions_csv
from app.domain.vocabulary import Modality, Phase

HEADER = "trainee_email,session_date,phase,duration_minutes,recording"


def test_a_valid_file_is_read_row_by_row() -> None:
    parsed = parse_sessions_csv(
        "\ufeffTrainee_Email,Session_Date,PHASE,duration_minutes,recording,modalities,"
        "focus_tags,co_therapist,notes,session_ref\n"
        "T@Example.org,2026-03-02,Integration,55,s1.mp4,CBT; mindfulness,grief;grief; PTSD,yes,"
        "Second session.,R-1\n"
        "\n"
        "t@example.org,2026-03-09,preparation,50,https://media.example.org/s2.mp4,,,,,\n"
    )
    assert parsed.errors == []
    assert parsed.rows == 2  # the blank line is no row
    first, second = parsed.sessions
    assert (first.line, second.line) == (2, 4)
    assert first.trainee_email == "t@example.org"
    assert first.session_date == date(2026, 3, 2)
    assert first.phase is Phase.integration
    assert first.modalities == {Modality.cbt, Modality.mindfulness}
    assert first.focus_tags == ("PTSD", "grief")
    assert first.co_therapist is True
    assert first.session_ref == "R-1"
    assert first.rubric == "pat-competency"
    assert (second.session_ref, second.notes, second.co_therapist) == (None, "", False)


def test_every_bad_cell_is_reported_and_the_row_kept_as_unread() -> None:
    parsed = parse_sessions_csv(
        f"{HEADER},notes,modalities\n"
        "not-an-address,2026-02-30,prep,0,s1.mp4,call 555-123-4567,yoga\n"
        "t@example.org,2026-03-02,medication,360,s2.mp4,,\n"
    )
    assert [(e.line, e.column) for e in parsed.errors] == [
        (2, "trainee_email"),
        (2, "session_date"),
        (2, "phase"),
        (2, "duration_minutes"),
        (2, "modalities"),
        (2, "notes"),
    ]
    assert "phone number" in parsed.errors[-1].message
    assert "555" not in parsed.errors[-1].message  # the identifier itself is never repeated
    bad, good = parsed.sessions
    assert not bad.complete
    assert bad.unread == {
        "trainee_email", "session_date", "phase", "duration_minutes", "modalities", "notes",
    }  # fmt: skip
    assert "recording" not in bad.unread  # still checked against the database
    assert good.complete


def test_a_session_listed_twice_is_refused_at_its_second_line() -> None:
    parsed = parse_sessions_csv(
        f"{HEADER},session_ref\n"
        "t@example.org,2026-03-02,preparation,50,s1.mp4,A\n"
        "t@example.org,2026-03-09,preparation,50,s2.mp4,A\n"
        "t@example.org,2026-03-02,preparation,55,s1.mp4,\n"
    )
    assert parsed.errors == [
        RowError(3, "session_ref", "'A' is also on line 2"),
        RowError(4, "recording", "the same trainee, date, phase and recording as line 2"),
    ]
    assert [s.line for s in parsed.sessions] == [2]


def test_file_level_problems() -> None:
    assert parse_sessions_csv("").errors == [RowError(1, "file", "is empty; expected a header row")]
    missing = parse_sessions_csv("trainee_email,phase,colour\n")
    assert [(e.column, e.message.split(";")[0]) for e in missing.errors] == [
        ("colour", "unknown column"),
        ("session_date", "required column missing from the header"),
        ("duration_minutes", "required column missing from the header"),
        ("recording", "required column missing from the header"),
    ]
    assert parse_sessions_csv(f"{HEADER}\n").errors == [
        RowError(1, "file", "has a header but no rows")
    ]
    short = parse_sessions_csv(f"{HEADER}\nt@example.org,2026-03-02\n")
    assert short.errors == [RowError(2, "row", "has 2 cells; the header has 5")]


def test_too_many_focus_tags() -> None:
    tags = ";".join(f"t{i}" for i in range(11))
    parsed = parse_sessions_csv(
        f"{HEADER},focus_tags\nt@example.org,2026-03-02,preparation,50,s1.mp4,{tags}\n"
    )
    assert parsed.errors == [
        RowError(2, "focus_tags", "11 tags; at most 10 (separate them with ';')")
    ]
