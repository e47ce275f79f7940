"""Recorded sessions to register, from a CSV file (a list kept in a spreadsheet), read without
a database.

One row is one session, with the same fields as registering it in a form. As for the ratings
import, the whole file is read and every bad cell reported at its line and column; what needs
the database (the trainees, the rubric, the sessions already registered) is checked by
``app.services.session_import``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from app.domain.csv_cells import (
    CellError,
    CellReader,
    CsvRows,
    RowError,
    bounded,
    free_text,
    read_day,
    read_email,
    read_flag,
    read_minutes,
    read_modalities,
    read_phase,
    shown,
)
from app.domain.vocabulary import Modality, Phase

__all__ = [
    "MAX_FOCUS_TAGS",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "ParsedSessions",
    "SessionRow",
    "parse_sessions_csv",
]

REQUIRED_COLUMNS = ("trainee_email", "session_date", "phase", "duration_minutes", "recording")
OPTIONAL_COLUMNS = ("session_ref", "modalities", "focus_tags", "co_therapist", "notes", "rubric")
DEFAULT_RUBRIC = "pat-competency"

# The limits of the database columns and of the registration form and API.
MAX_FOCUS_TAGS = 10
MAX_TAG = 100
MAX_NOTES = 5000
MAX_RECORDING = 1000
MAX_REF = 200


@dataclass(frozen=True)
class SessionRow:
    """One session as the file describes it; field names are the column names."""

    line: int
    session_ref: str | None
    trainee_email: str
    session_date: date
    phase: Phase
    duration_minutes: int
    recording: str
    modalities: frozenset[Modality]
    focus_tags: tuple[str, ...]
    co_therapist: bool
    notes: str
    rubric: str
    # Columns whose cell could not be read (and is reported): the rest can still be checked.
    unread: frozenset[str] = frozenset()

    @property
    def complete(self) -> bool:
        return not self.unread


@dataclass(frozen=True)
class ParsedSessions:
    rows: int
    sessions: list[SessionRow]
    errors: list[RowError]


def _ref(raw: str) -> str | None:
    ref = raw.strip()
    if len(ref) > MAX_REF:
        raise CellError(f"longer than {MAX_REF} characters")
    return ref or None


_tag_text = free_text(MAX_TAG)


def _tags(raw: str) -> tuple[str, ...]:
    tags = sorted({_tag_text(part) for part in raw.split(";")} - {""})
    if len(tags) > MAX_FOCUS_TAGS:
        raise CellError(f"{len(tags)} tags; at most {MAX_FOCUS_TAGS} (separate them with ';')")
    return tuple(tags)


def _rubric(raw: str) -> str:
    return raw.strip() or DEFAULT_RUBRIC


def _row(line: int, cells: dict[str, str], errors: list[RowError]) -> SessionRow:
    before = len(errors)
    row = CellReader(line, cells, errors)
    found = SessionRow(
        line=line,
        session_ref=row.read("session_ref", _ref, None),
        trainee_email=row.read("trainee_email", read_email, ""),
        session_date=row.read("session_date", read_day, date.min),
        phase=row.read("phase", read_phase, Phase.preparation),
        duration_minutes=row.read("duration_minutes", read_minutes, 0),
        recording=row.read("recording", bounded(MAX_RECORDING), ""),
        modalities=row.read("modalities", read_modalities, frozenset()),
        focus_tags=row.read("focus_tags", _tags, ()),
        co_therapist=row.read("co_therapist", read_flag, False),
        notes=row.read("notes", free_text(MAX_NOTES), ""),
        rubric=row.read("rubric", _rubric, DEFAULT_RUBRIC),
    )
    unread = frozenset(e.column for e in errors[before:])
    return replace(found, unread=unread) if unread else found


def parse_sessions_csv(text: str) -> ParsedSessions:
    """Read the whole file; a session listed twice is reported at its second line.

    Twice means the same ``session_ref``, or the same trainee, date, phase and recording.
    Rows with a cell that cannot be read are kept, marked, so that what the database must
    say about their other cells can still be reported.

    >>> parsed = parse_sessions_csv(
    ...     "trainee_email,session_date,phase,duration_minutes,recording\\n"
    ...     "t@x.org,2026-01-05,preparation,50,s1.mp4\\n"
    ...     "t@x.org,2026-01-05,Preparation,55,s1.mp4\\n"
    ... )
    >>> (parsed.rows, len(parsed.sessions), parsed.errors[0].render("s.csv"))
    (2, 1, 's.csv:3: recording: the same trainee, date, phase and recording as line 2')
    """
    table = CsvRows(text, REQUIRED_COLUMNS, OPTIONAL_COLUMNS)
    errors: list[RowError] = []
    sessions: list[SessionRow] = []
    by_ref: dict[str, int] = {}
    by_facts: dict[tuple[str, date, Phase, str], int] = {}
    for line, cells in table:
        found = _row(line, cells, errors)
        if not found.complete:
            sessions.append(found)
            continue
        if found.session_ref is not None:
            first = by_ref.setdefault(found.session_ref, line)
            if first != line:
                errors.append(
                    RowError(line, "session_ref", f"{shown(found.session_ref)} is also on line "
                             f"{first}")
                )  # fmt: skip
                continue
        facts = (found.trainee_email, found.session_date, found.phase, found.recording)
        first = by_facts.setdefault(facts, line)
        if first != line:
            errors.append(
                RowError(line, "recording", f"the same trainee, date, phase and recording as "
                         f"line {first}")
            )  # fmt: skip
            continue
        sessions.append(found)
    problems = sorted([*table.errors, *errors], key=lambda e: e.line)
    return ParsedSessions(table.rows, sessions, problems)
