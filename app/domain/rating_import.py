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

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

from app.domain.identifiers import describe, find_identifiers
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
# A cell starting with one of these runs as a formula in a spreadsheet, so exports prefix it
# with an apostrophe; the import takes that apostrophe off again, so an export round-trips.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# The limits of the database columns and of the live rating API.
MAX_REF = 200
MAX_HARM_NOTE = 2000
MAX_COMMENT = 10_000
MAX_RECORDING = 1000
MAX_DURATION_MINUTES = 24 * 60
_PROGRESS_EVERY = 1000

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WHOLE = re.compile(r"^[+-]?\d+$")
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no", ""})

T = TypeVar("T")


@dataclass(frozen=True, order=True)
class RowError:
    """One thing to fix: the 1-based physical line of the file (the header is line 1)."""

    line: int
    column: str
    message: str

    def render(self, source: str) -> str:
        """As compilers print problems, so editors can jump to them.

        >>> RowError(7, "score", "9 is outside the scale 0..6").render("old.csv")
        'old.csv:7: score: 9 is outside the scale 0..6'
        """
        return f"{source}:{self.line}: {self.column}: {self.message}"


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


def undecodable(data: bytes) -> RowError | None:
    """Why ``data`` is not UTF-8 text, at the line of the first bad byte; None when it is.

    >>> undecodable(b"a,b\\nc,\\xff\\n")
    RowError(line=2, column='file', message='not UTF-8 text (byte 7); save the file as UTF-8')
    """
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return RowError(
            line, "file", f"not UTF-8 text (byte {exc.start + 1}); save the file as UTF-8"
        )
    return None


class _CellError(ValueError):
    """A cell that cannot be read; the message says what it should hold."""


def _shown(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:37] + "...")


def _ref(raw: str) -> str:
    ref = raw.strip()
    if not ref:
        raise _CellError("must not be empty")
    if len(ref) > MAX_REF:
        raise _CellError(f"longer than {MAX_REF} characters")
    return ref


def _email(raw: str) -> str:
    email = raw.strip().lower()
    if not _EMAIL.match(email):
        raise _CellError(f"{_shown(raw)} is not an e-mail address")
    return email


def _day(raw: str) -> date:
    text = raw.strip()
    try:
        if _DAY.match(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise _CellError(f"{_shown(raw)} is not a date in YYYY-MM-DD form")


def _phase(raw: str) -> Phase:
    try:
        return Phase(raw.strip().lower())
    except ValueError:
        raise _CellError(f"{_shown(raw)} is not one of {', '.join(Phase)}") from None


def _minutes(raw: str) -> int:
    text = raw.strip()
    if not _WHOLE.match(text) or not 0 < int(text) <= MAX_DURATION_MINUTES:
        raise _CellError(
            f"{_shown(raw)} is not a whole number of minutes 1..{MAX_DURATION_MINUTES}"
        )
    return int(text)


def _key(raw: str) -> str:
    key = raw.strip()
    if not key:
        raise _CellError("must not be empty")
    return key


def _score(raw: str) -> int | None:
    text = raw.strip()
    if not text:
        return None
    if not _WHOLE.match(text):
        raise _CellError(
            f"{_shown(raw)} is not a whole number (leave it empty when not applicable)"
        )
    return int(text)


def _flag(raw: str) -> bool:
    text = raw.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _CellError(f"{_shown(raw)} is not true or false (1/0, yes/no, or empty for false)")


def _rubric(raw: str) -> str:
    return raw.strip() or DEFAULT_RUBRIC


def _version(raw: str) -> str | None:
    return raw.strip() or None


def _modalities(raw: str) -> frozenset[Modality]:
    found: set[Modality] = set()
    for part in raw.split(";"):
        name = part.strip().lower()
        if not name:
            continue
        try:
            found.add(Modality(name))
        except ValueError:
            raise _CellError(
                f"{_shown(part.strip())} is not one of {', '.join(Modality)} "
                "(separate several with ';')"
            ) from None
    return frozenset(found)


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
        raise _CellError(f"{_shown(raw)} is not an ISO date or date and time") from None
    # The offset as written is kept: its calendar date is the one to compare with the session.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _free_text(limit: int) -> Callable[[str], str]:
    def read(raw: str) -> str:
        text = raw.strip()
        if len(text) > limit:
            raise _CellError(f"longer than {limit} characters")
        found = find_identifiers(text)
        if found:
            # describe() names only the kind and position, never the identifier itself.
            raise _CellError(describe(found, "text").removeprefix("text: "))
        return text

    return read


def _recording(raw: str) -> str:
    text = raw.strip()
    if len(text) > MAX_RECORDING:
        raise _CellError(f"longer than {MAX_RECORDING} characters")
    return text


def _unescape(cell: str) -> str:
    """Undo the apostrophe an export puts before a cell a spreadsheet would run as a formula.

    >>> [_unescape(c) for c in ("'=1+1", "'plain", "-2")]
    ['=1+1', "'plain", '-2']
    """
    if cell[:1] == "'" and cell[1:2] in FORMULA_PREFIXES:
        return cell[1:]
    return cell


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
    return _shown(str(value))


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


class _Row:
    """One data row's cells, read column by column so that every bad cell is reported."""

    def __init__(self, line: int, cells: dict[str, str], errors: list[RowError]) -> None:
        self.line = line
        self._cells = cells
        self._errors = errors
        self.problems = 0

    def read(self, column: str, parse: Callable[[str], T], fallback: T) -> T:
        try:
            return parse(self._cells.get(column, ""))
        except _CellError as exc:
            self.fail(column, str(exc))
            return fallback

    def fail(self, column: str, message: str) -> None:
        self._errors.append(RowError(self.line, column, message))
        self.problems += 1


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
        row = _Row(line, cells, self.errors)
        ref = row.read("session_ref", _ref, "")
        rater = row.read("rater_email", _email, "")
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

    def _session_facts(self, row: _Row) -> _SessionFacts | None:
        before = row.problems
        facts = _SessionFacts(
            trainee_email=row.read("trainee_email", _email, ""),
            session_date=row.read("session_date", _day, date.min),
            phase=row.read("phase", _phase, Phase.preparation),
            duration_minutes=row.read("duration_minutes", _minutes, 0),
            rubric=row.read("rubric", _rubric, ""),
            rubric_version=row.read("rubric_version", _version, None),
            modalities=row.read("modalities", _modalities, frozenset()),
            co_therapist=row.read("co_therapist", _flag, False),
            recording=row.read("recording", _recording, ""),
        )
        return facts if row.problems == before else None

    def _rating_facts(self, row: _Row, session: _SessionFacts | None) -> _RatingFacts | None:
        before = row.problems
        facts = _RatingFacts(
            comment=row.read("comment", _free_text(MAX_COMMENT), ""),
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

    def _score(self, row: _Row) -> ItemScoreInput | None:
        before = row.problems
        entry = ItemScoreInput(
            item_key=row.read("item_key", _key, ""),
            score=row.read("score", _score, None),
            not_applicable=row.read("not_applicable", _flag, False),
            harm_flag=row.read("harm_flag", _flag, False),
            harm_note=row.read("harm_note", _free_text(MAX_HARM_NOTE), ""),
        )
        return entry if row.problems == before else None

    def _session(self, line: int, ref: str, facts: _SessionFacts) -> None:
        first = self.session_facts.get(ref)
        if first is None:
            self.session_facts[ref] = _Seen(line, facts)
            self.sessions[ref] = ImportedSession(ref=ref, line=line, **vars(facts))
        else:
            self.errors.extend(first.differences(line, facts, f"session {_shown(ref)}"))

    def _rating(
        self, line: int, key: tuple[str, str], imported: ImportedRating, facts: _RatingFacts
    ) -> None:
        first = self.rating_facts.get(key)
        if first is None:
            self.rating_facts[key] = _Seen(line, facts)
            imported.comment = facts.comment
            imported.submitted_at = facts.submitted_at or self.now
        else:
            where = f"{key[1]}'s rating of session {_shown(key[0])}"
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
                         f"{_shown(key[0])} at line {earlier}")
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


def _header(header: list[str]) -> tuple[dict[str, int], list[RowError]]:
    names = [_unescape(h).strip().lower() for h in header]
    known = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
    errors: list[RowError] = []
    index: dict[str, int] = {}
    for position, name in enumerate(names):
        if not name:
            errors.append(RowError(1, f"column {position + 1}", "has no name in the header"))
        elif name in index:
            errors.append(RowError(1, name, "appears twice in the header"))
        elif name in EXPORT_ONLY_COLUMNS:
            index[name] = position  # ignored, but still counted as present
        elif name not in known:
            errors.append(
                RowError(1, name, f"unknown column; the columns are {', '.join(known)} "
                         f"(and {', '.join(EXPORT_ONLY_COLUMNS)}, which are ignored)")
            )  # fmt: skip
        else:
            index[name] = position
    errors.extend(
        RowError(1, name, "required column missing from the header")
        for name in REQUIRED_COLUMNS
        if name not in index
    )
    return {n: i for n, i in index.items() if n not in EXPORT_ONLY_COLUMNS}, errors


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
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return ParsedRatings(0, [], [RowError(1, "file", "is empty; expected a header row")])
    except csv.Error as exc:
        return ParsedRatings(0, [], [RowError(1, "file", f"not CSV: {exc}")])
    index, errors = _header(header)
    if errors:
        return ParsedRatings(0, [], errors)
    width = len(header)
    builder = _Builder(now, index)
    rows = 0
    lines = text.count("\n") + 1
    start = reader.line_num + 1
    try:
        for record in reader:
            # A quoted cell may span lines: a row is named by the line it starts on.
            line, start = start, reader.line_num + 1
            if progress is not None and line % _PROGRESS_EVERY == 0:
                progress(line, lines)
            if not any(cell.strip() for cell in record):
                continue
            rows += 1
            if len(record) != width:
                builder.errors.append(
                    RowError(line, "row", f"has {len(record)} cells; the header has {width}")
                )
                continue
            builder.add(line, {name: _unescape(record[i]) for name, i in index.items()})
    except csv.Error as exc:
        builder.errors.append(RowError(start, "file", f"not CSV: {exc}"))
    if rows == 0 and not builder.errors:
        builder.errors.append(RowError(1, "file", "has a header but no rows"))
    return builder.result(rows)


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
                         f"session {_shown(session.ref)}: {problem.message}")
            )  # fmt: skip
        else:
            out.append(RowError(line, problem.field or "item_key", problem.message))
    return out
