"""Reading the cells of an import file: one reader per kind of cell, every problem kept.

Imports are all or nothing, so a file is read to the end and each bad cell is reported as
the line of the file and the column to change. The ratings import and the sessions import
read the same kinds of cells (e-mail addresses, dates, phases, approaches, free text), so
they read them with the same words.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import PurePosixPath
from typing import TypeVar

from app.domain.identifiers import describe, find_identifiers
from app.domain.vocabulary import Modality, Phase

# A cell starting with one of these runs as a formula in a spreadsheet, so exports prefix it
# with an apostrophe; the import takes that apostrophe off again, so an export round-trips.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MAX_DURATION_MINUTES = 24 * 60

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


def file_name(name: str | None, default: str) -> str:
    """An uploaded file's own name, for messages and the audit trail: never the client's
    folders, and not empty.

    >>> file_name("C:/Users/me/old ratings.csv", "upload.csv"), file_name("", "upload.csv")
    ('old ratings.csv', 'upload.csv')
    """
    base = PurePosixPath((name or "").replace("\\", "/")).name.strip()
    return base[:200] or default


class CellError(ValueError):
    """A cell that cannot be read; the message says what it should hold."""


def shown(value: str) -> str:
    """A cell's content as quoted in a message, cut short when long."""
    return repr(value if len(value) <= 40 else value[:37] + "...")


def unescape(cell: str) -> str:
    """Undo the apostrophe an export puts before a cell a spreadsheet would run as a formula.

    >>> [unescape(c) for c in ("'=1+1", "'plain", "-2")]
    ['=1+1', "'plain", '-2']
    """
    if cell[:1] == "'" and cell[1:2] in FORMULA_PREFIXES:
        return cell[1:]
    return cell


def read_email(raw: str) -> str:
    email = raw.strip().lower()
    if not _EMAIL.match(email):
        raise CellError(f"{shown(raw)} is not an e-mail address")
    return email


def read_day(raw: str) -> date:
    text = raw.strip()
    try:
        if _DAY.match(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise CellError(f"{shown(raw)} is not a date in YYYY-MM-DD form")


def read_phase(raw: str) -> Phase:
    try:
        return Phase(raw.strip().lower())
    except ValueError:
        raise CellError(f"{shown(raw)} is not one of {', '.join(Phase)}") from None


def read_minutes(raw: str) -> int:
    text = raw.strip()
    if not _WHOLE.match(text) or not 0 < int(text) <= MAX_DURATION_MINUTES:
        raise CellError(f"{shown(raw)} is not a whole number of minutes 1..{MAX_DURATION_MINUTES}")
    return int(text)


def read_whole(raw: str) -> int | None:
    """A whole number, or None for an empty cell."""
    text = raw.strip()
    if not text:
        return None
    if not _WHOLE.match(text):
        raise CellError(f"{shown(raw)} is not a whole number (leave it empty when not applicable)")
    return int(text)


def read_flag(raw: str) -> bool:
    text = raw.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError(f"{shown(raw)} is not true or false (1/0, yes/no, or empty for false)")


def read_modalities(raw: str) -> frozenset[Modality]:
    found: set[Modality] = set()
    for part in raw.split(";"):
        name = part.strip().lower()
        if not name:
            continue
        try:
            found.add(Modality(name))
        except ValueError:
            raise CellError(
                f"{shown(part.strip())} is not one of {', '.join(Modality)} "
                "(separate several with ';')"
            ) from None
    return frozenset(found)


def free_text(limit: int) -> Callable[[str], str]:
    """A reader of text that is kept: bounded, and never naming a patient."""

    def read(raw: str) -> str:
        text = raw.strip()
        if len(text) > limit:
            raise CellError(f"longer than {limit} characters")
        found = find_identifiers(text)
        if found:
            # describe() names only the kind and position, never the identifier itself.
            raise CellError(describe(found, "text").removeprefix("text: "))
        return text

    return read


def bounded(limit: int) -> Callable[[str], str]:
    """A reader of a short text, such as a recording's address, checked later for meaning."""

    def read(raw: str) -> str:
        text = raw.strip()
        if len(text) > limit:
            raise CellError(f"longer than {limit} characters")
        return text

    return read


class CellReader:
    """One data row's cells, read column by column so that every bad cell is reported."""

    def __init__(self, line: int, cells: dict[str, str], errors: list[RowError]) -> None:
        self.line = line
        self._cells = cells
        self._errors = errors
        self.problems = 0

    def read(self, column: str, parse: Callable[[str], T], fallback: T) -> T:
        try:
            return parse(self._cells.get(column, ""))
        except CellError as exc:
            self.fail(column, str(exc))
            return fallback

    def fail(self, column: str, message: str) -> None:
        self._errors.append(RowError(self.line, column, message))
        self.problems += 1


def read_header(
    header: list[str],
    required: Sequence[str],
    optional: Sequence[str],
    ignored: Sequence[str] = (),
) -> tuple[dict[str, int], list[RowError]]:
    """Where each known column is, and every problem with the header row.

    Columns in ``ignored`` may appear (an export writes them) and are not read.

    >>> read_header(["b", "a", "c"], ["a"], ["b"])[1]
    [RowError(line=1, column='c', message='unknown column; the columns are a, b')]
    """
    names = [unescape(h).strip().lower() for h in header]
    known = (*required, *optional)
    errors: list[RowError] = []
    index: dict[str, int] = {}
    for position, name in enumerate(names):
        if not name:
            errors.append(RowError(1, f"column {position + 1}", "has no name in the header"))
        elif name in index:
            errors.append(RowError(1, name, "appears twice in the header"))
        elif name in ignored:
            index[name] = position  # not read, but still counted as present
        elif name not in known:
            also = f" (and {', '.join(ignored)}, which are ignored)" if ignored else ""
            errors.append(
                RowError(1, name, f"unknown column; the columns are {', '.join(known)}{also}")
            )
        else:
            index[name] = position
    errors.extend(
        RowError(1, name, "required column missing from the header")
        for name in required
        if name not in index
    )
    return {n: i for n, i in index.items() if n not in ignored}, errors


class CsvRows:
    """The data rows of a CSV file with a header row, each as its line and its known cells.

    Iterating reads the file once; problems with the file itself (its header, a row of the
    wrong width, broken quoting, no rows at all) collect in ``errors`` rather than stopping
    the reading, and blank rows are skipped. A quoted cell may span lines: a row is named
    by the line it starts on.

    >>> rows = CsvRows("a,b\\n1,2\\n\\n3\\n", ["a"], ["b"])
    >>> list(rows), rows.rows
    ([(2, {'a': '1', 'b': '2'})], 2)
    >>> rows.errors
    [RowError(line=4, column='row', message='has 1 cells; the header has 2')]
    """

    def __init__(
        self,
        text: str,
        required: Sequence[str],
        optional: Sequence[str],
        ignored: Sequence[str] = (),
        *,
        progress: Callable[[int, int], None] | None = None,
        progress_every: int = 1000,
    ) -> None:
        self._text = text
        self._reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), strict=True)
        self._progress = progress
        self._every = progress_every
        self.rows = 0
        self.errors: list[RowError] = []
        self.index: dict[str, int] = {}
        try:
            self._header = next(self._reader)
        except StopIteration:
            self.errors.append(RowError(1, "file", "is empty; expected a header row"))
            return
        except csv.Error as exc:
            self.errors.append(RowError(1, "file", f"not CSV: {exc}"))
            return
        self.index, problems = read_header(self._header, required, optional, ignored)
        self.errors.extend(problems)

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        if self.errors:
            return
        width = len(self._header)
        lines = self._text.count("\n") + 1
        start = self._reader.line_num + 1
        try:
            for record in self._reader:
                line, start = start, self._reader.line_num + 1
                if self._progress is not None and line % self._every == 0:
                    self._progress(line, lines)
                if not any(cell.strip() for cell in record):
                    continue
                self.rows += 1
                if len(record) != width:
                    self.errors.append(
                        RowError(line, "row", f"has {len(record)} cells; the header has {width}")
                    )
                    continue
                yield line, {name: unescape(record[i]) for name, i in self.index.items()}
        except csv.Error as exc:
            self.errors.append(RowError(start, "file", f"not CSV: {exc}"))
        if self.rows == 0 and not self.errors:
            self.errors.append(RowError(1, "file", "has a header but no rows"))
