"""Historical ratings from a CSV file (a REDCap export, a spreadsheet), read without a database.

The file has one row per item score; the rows of one ``session_ref`` describe one recorded
session and the rows of one (``session_ref``, ``rater_email``) one submitted rating. Reading
never stops at the first problem: an import is all or nothing, so the person fixing the file
needs every bad row at once, each as a line of the file and the column to change.

What needs the database (who the people are, which rubric versions exist, which sessions the
program already holds) is checked by ``app.services.rating_import``; the rules of a rating
against its rubric are the same as for a live submission (``app.domain.scoring``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta

from app.domain.csv_cells import (
    FORMULA_PREFIXES,
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
    read_whole,
    shown,
    undecodable,
)
from app.domain.rubrics.model import RubricDocument
from app.domain.scoring import ItemScoreInput, SessionContext, validate_scores
from app.domain.vocabulary import Modality, Phase

__all__ = [
    "DEFAULT_RUBRIC",
    "EXPORT_ONLY_COLUMNS",
    "FORMULA_PREFIXES",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "ImportedRating",
    "ImportedScore",
    "ImportedSession",
    "ParsedRatings",
    "RowError",
    "native_ref",
    "parse_ratings_csv",
    "rubric_problems",
    "undecodable",
]

REQUIRED_COLUMNS = (
    "session_ref", "trainee_email", "session_date", "phase", "duration_minutes",
    "rater_email", "item_key", "score",
)  # fmt: skip
OPTIONAL_COLUMNS = (
    "rubric", "rubric_version", "not_applicable", "harm_flag", "harm_note", "modalities",
    "co_therapist", "submitted_at", "comment", "recording",
)  # fmt: skip
# Written by the export so that `guidinghand irr` and a reader can use the file as it is; an
# import of that file ignores them, since the other columns say the same.
EXPORT_ONLY_COLUMNS = ("subject", "rater", "item", "domain")
DEFAULT_RUBRIC = "pat-competency"
# The limits of the database columns and of the live rating API.
MAX_REF = 200
MAX_HARM_NOTE = 2000
MAX_COMMENT = 10_000
MAX_RECORDING = 1000
_PROGRESS_EVERY = 1000

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class ImportedScore:
    line: int
    entry: ItemScoreInput


@dataclass
class ImportedRating:
    """The rows of one rater for one session, which become one submitted rating."""

    rater_email: str
    line: int
    submitted_at: datetime
    comment: str = ""
    scores: list[ImportedScore] = field(default_factory=list)
    # False when one of its rows could not be read: checking the rest against the rubric
    # would only report that row's item again, as missing.
    complete: bool = True


@dataclass
class ImportedSession:
    ref: str
    line: int
    trainee_email: str
    session_date: date
    phase: Phase
    duration_minutes: int
    rubric: str
    rubric_version: str | None
    modalities: frozenset[Modality]
    co_therapist: bool
    recording: str
    ratings: list[ImportedRating] = field(default_factory=list)

    @property
    def context(self) -> SessionContext:
        return SessionContext(self.phase, self.modalities, self.duration_minutes * 60)


@dataclass(frozen=True)
class ParsedRatings:
    rows: int
    sessions: list[ImportedSession]
    errors: list[RowError]


def native_ref(program_slug: str, session_id: int) -> str:
    """The reference an export gives a session that was not imported, so that importing the
    export back into the same program is refused as a repeat rather than doubled.

    >>> native_ref("alpha", 12)
    'alpha/12'
    """
    return f"{program_slug}/{session_id}"


def _ref(raw: str) -> str:
    ref = raw.strip()
    if not ref:
        raise CellError("must not be empty")
    if len(ref) > MAX_REF:
        raise CellError(f"longer than {MAX_REF} characters")
    return ref


def _key(raw: str) -> str:
    key = raw.strip()
    if not key:
        raise CellError("must not be empty")
    return key


def _rubric(raw: str) -> str:
    return raw.strip() or DEFAULT_RUBRIC


def _version(raw: str) -> str | None:
    return raw.strip() or None


def _moment(raw: str) -> datetime | None:
    """A date (midnight UTC) or a date and time; without an offset the time is UTC."""
    text = raw.strip()
    if not text:
        return None
    try:
        if _DAY.match(text):
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CellError(f"{shown(raw)} is not an ISO date or date and time") from None
    # The offset as written is kept: its calendar date is the one to compare with the session.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class _SessionFacts:
    """What the rows of one session must agree on; field names are the column names."""

    trainee_email: str
    session_date: date
    phase: Phase
    duration_minutes: int
    rubric: str
    rubric_version: str | None
    modalities: frozenset[Modality]
    co_therapist: bool
    recording: str


@dataclass(frozen=True)
class _RatingFacts:
    """What the rows of one rating must agree on."""

    comment: str
    submitted_at: datetime | None


def _show(value: object) -> str:
    if value is None or value == "" or value == frozenset():
        return "it empty"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, frozenset):
        return repr(";".join(sorted(str(v) for v in value)))
    if isinstance(value, date | datetime):
        return value.isoformat()
    return shown(str(value))


@dataclass(frozen=True)
class _Seen:
    """Facts as first read for a session or a rating, and the line they were read from."""

    line: int
    facts: _SessionFacts | _RatingFacts

    def differences(
        self, line: int, later: _SessionFacts | _RatingFacts, where: str
    ) -> list[RowError]:
        return [
            RowError(line, f.name, f"differs from line {self.line} of {where}, which has "
                     f"{_show(getattr(self.facts, f.name))}")
            for f in fields(later)
            if getattr(self.facts, f.name) != getattr(later, f.name)
        ]  # fmt: skip


class _Builder:
    def __init__(self, now: datetime, columns: dict[str, int]) -> None:
        self.now = now
        self.columns = columns
        self.errors: list[RowError] = []
        self.sessions: dict[str, ImportedSession] = {}
        self.session_facts: dict[str, _Seen] = {}
        self.ratings: dict[tuple[str, str], ImportedRating] = {}
        self.rating_facts: dict[tuple[str, str], _Seen] = {}
        self.scored: dict[tuple[str, str, str], int] = {}
        # Sessions with a row whose rater could not be read: any of their ratings may lack it.
        self.unattributed: set[str] = set()

    def add(self, line: int, cells: dict[str, str]) -> None:
        row = CellReader(line, cells, self.errors)
        ref = row.read("session_ref", _ref, "")
        rater = row.read("rater_email", read_email, "")
        session = self._session_facts(row)
        rating = self._rating_facts(row, session)
        score = self._score(row)
        if not ref:
            return
        if session is not None:
            self._session(line, ref, session)
        if not rater:
            self.unattributed.add(ref)
            return
        key = (ref, rater)
        imported = self.ratings.setdefault(key, ImportedRating(rater, line, self.now))
        if rating is not None:
            self._rating(line, key, imported, rating)
        if score is not None:
            self._add_score(line, key, imported, score)
        if row.problems:
            imported.complete = False

    def _session_facts(self, row: CellReader) -> _SessionFacts | None:
        before = row.problems
        facts = _SessionFacts(
            trainee_email=row.read("trainee_email", read_email, ""),
            session_date=row.read("session_date", read_day, date.min),
            phase=row.read("phase", read_phase, Phase.preparation),
            duration_minutes=row.read("duration_minutes", read_minutes, 0),
            rubric=row.read("rubric", _rubric, ""),
            rubric_version=row.read("rubric_version", _version, None),
            modalities=row.read("modalities", read_modalities, frozenset()),
            co_therapist=row.read("co_therapist", read_flag, False),
            recording=row.read("recording", bounded(MAX_RECORDING), ""),
        )
        return facts if row.problems == before else None

    def _rating_facts(self, row: CellReader, session: _SessionFacts | None) -> _RatingFacts | None:
        before = row.problems
        facts = _RatingFacts(
            comment=row.read("comment", free_text(MAX_COMMENT), ""),
            submitted_at=row.read("submitted_at", _moment, None),
        )
        if row.problems != before:
            return None
        moment = facts.submitted_at
        if moment is not None and moment > self.now:
            row.fail("submitted_at", "is in the future")
        elif session is None:
            pass
        elif moment is not None and moment.date() < session.session_date:
            row.fail("submitted_at", f"{moment.date().isoformat()} is before the session date "
                                     f"{session.session_date.isoformat()}")  # fmt: skip
        # A day of slack: "today" somewhere east of UTC is already tomorrow there.
        elif moment is None and session.session_date > (self.now + timedelta(days=1)).date():
            row.fail("session_date", "is in the future")
        return facts if row.problems == before else None

    def _score(self, row: CellReader) -> ItemScoreInput | None:
        before = row.problems
        entry = ItemScoreInput(
            item_key=row.read("item_key", _key, ""),
            score=row.read("score", read_whole, None),
            not_applicable=row.read("not_applicable", read_flag, False),
            harm_flag=row.read("harm_flag", read_flag, False),
            harm_note=row.read("harm_note", free_text(MAX_HARM_NOTE), ""),
        )
        return entry if row.problems == before else None

    def _session(self, line: int, ref: str, facts: _SessionFacts) -> None:
        first = self.session_facts.get(ref)
        if first is None:
            self.session_facts[ref] = _Seen(line, facts)
            self.sessions[ref] = ImportedSession(ref=ref, line=line, **vars(facts))
        else:
            self.errors.extend(first.differences(line, facts, f"session {shown(ref)}"))

    def _rating(
        self, line: int, key: tuple[str, str], imported: ImportedRating, facts: _RatingFacts
    ) -> None:
        first = self.rating_facts.get(key)
        if first is None:
            self.rating_facts[key] = _Seen(line, facts)
            imported.comment = facts.comment
            imported.submitted_at = facts.submitted_at or self.now
        else:
            where = f"{key[1]}'s rating of session {shown(key[0])}"
            self.errors.extend(first.differences(line, facts, where))

    def _add_score(
        self, line: int, key: tuple[str, str], imported: ImportedRating, entry: ItemScoreInput
    ) -> None:
        scored = (*key, entry.item_key)
        earlier = self.scored.get(scored)
        if earlier is not None:
            self.errors.append(
                RowError(line, "item_key",
                         f"{entry.item_key} is already scored by {key[1]} for session "
                         f"{shown(key[0])} at line {earlier}")
            )  # fmt: skip
            imported.complete = False
            return
        self.scored[scored] = line
        imported.scores.append(ImportedScore(line, entry))

    def result(self, rows: int) -> ParsedRatings:
        for (ref, _), rating in self.ratings.items():
            session = self.sessions.get(ref)
            if session is not None:
                rating.complete = rating.complete and ref not in self.unattributed
                session.ratings.append(rating)
        # Line by line, and left to right within a line, as the person reads the file.
        errors = sorted(self.errors, key=lambda e: (e.line, self.columns.get(e.column, -1)))
        return ParsedRatings(rows, list(self.sessions.values()), errors)


def parse_ratings_csv(
    text: str, *, now: datetime, progress: Callable[[int, int], None] | None = None
) -> ParsedRatings:
    """Read the whole file; ``now`` is the import time (the default ``submitted_at``).

    ``progress`` hears (lines read, lines in the file) now and then, for a progress bar.

    >>> parsed = parse_ratings_csv(
    ...     "session_ref,trainee_email,session_date,phase,duration_minutes,rater_email,"
    ...     "item_key,score\\nR1,t@x.org,2026-01-05,preparation,50,r@x.org,A1,9\\n",
    ...     now=datetime(2026, 2, 1, tzinfo=UTC),
    ... )
    >>> (parsed.rows, parsed.sessions[0].ref, parsed.sessions[0].ratings[0].scores[0].entry.score)
    (1, 'R1', 9)
    """
    table = CsvRows(
        text, REQUIRED_COLUMNS, OPTIONAL_COLUMNS, EXPORT_ONLY_COLUMNS,
        progress=progress, progress_every=_PROGRESS_EVERY,
    )  # fmt: skip
    if table.errors:
        return ParsedRatings(0, [], table.errors)
    builder = _Builder(now, table.index)
    for line, cells in table:
        builder.add(line, cells)
    builder.errors.extend(table.errors)
    return builder.result(table.rows)


def rubric_problems(
    rubric: RubricDocument, session: ImportedSession, rating: ImportedRating
) -> list[RowError]:
    """The rules of a live submission, each problem at the row of its item.

    An item the rating has no row for is reported at the rating's first row.
    """
    lines = {s.entry.item_key: s.line for s in rating.scores}
    problems = validate_scores(
        rubric, session.context, [s.entry for s in rating.scores], final=True
    )
    out: list[RowError] = []
    for problem in problems:
        line = lines.get(problem.item_key or "")
        if line is None:
            out.append(
                RowError(rating.line, "item_key",
                         f"no row for {problem.item_key} in {rating.rater_email}'s rating of "
                         f"session {shown(session.ref)}: {problem.message}")
            )  # fmt: skip
        else:
            out.append(RowError(line, problem.field or "item_key", problem.message))
    return out
