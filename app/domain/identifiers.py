"""Spot obvious patient identifiers in free-text session notes.

Trainers attach free-text notes to recorded sessions. Those notes must never carry
patient identifiers, so the obvious ones -- an e-mail address, a phone number, a
date of birth -- are rejected before anything is stored. This is a safety net for
honest mistakes, not a de-identification engine: it is tuned to catch the usual
formats while letting ordinary clinical text through (doses, durations, scores,
session numbers, years, times, ranges, item keys, timestamps, session dates).

The rules, kept deliberately small so a reviewer can check them:

* **e-mail** -- the usual ``local@domain.tld`` shape.
* **phone** -- 9 to 15 digits in one of three shapes: international (``+`` and a
  country code), North American (``(202) 555-0143``, ``202-555-0143``) or UK
  national (a leading ``0``, 10 or 11 digits, e.g. ``020 7946 0958``). Digit runs
  without one of these shapes (score lists, dose ladders, years) are left alone.
* **date of birth** -- (1) any date right after a birth cue (``DOB``, ``D.O.B.``,
  ``date of birth``, ``born``, ``b.``), in any common format; or (2) a full
  calendar date with a four-digit year from 1900 to ten years before the current
  year when a birth word (``born``, ``birth``, ``birthday``, ``DOB``, ``age``,
  ``aged``) sits within 30 characters of it. A date with no birth cue -- "session
  on 2026-03-12" -- is a session date, and sessions have dates, so it passes.

Matches carry only their kind and position, never the matched text, so no error
message built from them can echo the identifier back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

IdentifierKind = Literal["email", "phone", "date_of_birth"]

__all__ = ["IdentifierKind", "IdentifierMatch", "describe", "find_identifiers"]


@dataclass(frozen=True, slots=True)
class IdentifierMatch:
    """Where an identifier was found: ``text[start:end]``, but never the text itself.

    Keeping the substring out of the result means nothing downstream (error
    messages, logs, API responses) can leak the identifier it was meant to stop.
    """

    kind: IdentifierKind
    start: int
    end: int


# --- e-mail -----------------------------------------------------------------

# Each domain label ends with a dot, so the repetition is unambiguous (no ReDoS).
_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?![\w-]|\.[A-Za-z0-9])"
)

# --- phone ------------------------------------------------------------------

# A phone number must not be glued to other digits or words on either side; the
# trailing guard also refuses to stop just before ``.5`` or ``-3`` of a longer run.
_PHONE_BEFORE = r"(?<![\w+/.-])"
_PHONE_AFTER = r"(?![\w/]|[.-]?\d)"

_PHONE_PATTERNS: tuple[re.Pattern[str], ...] = (
    # International: +44 20 7946 0958, +1-202-555-0143, +44 (0)20 7946 0958.
    re.compile(r"(?<![\w+])\+\d{1,3}(?:[ .-]?\(\d{1,4}\))?(?:[ .-]?\d{1,5}){2,6}" + _PHONE_AFTER),
    # North American: (202) 555-0143, 202-555-0143, 202.555.0143, 1-202-555-0143.
    re.compile(
        _PHONE_BEFORE + r"(?:1[ .-])?(?:\(\d{3}\)[ .]?|\d{3}[ .-])\d{3}[ .-]\d{4}" + _PHONE_AFTER
    ),
    # UK national: 020 7946 0958, 07700 900123, (0161) 496 0000.
    re.compile(
        _PHONE_BEFORE + r"(?:\(0\d{2,4}\)[ .]?|0\d{2,4}[ .-]?)\d{3,4}[ .-]?\d{3,4}" + _PHONE_AFTER
    ),
)

_UK_NATIONAL_DIGITS = (10, 11)
_MIN_PHONE_DIGITS = 9
_MAX_PHONE_DIGITS = 15  # E.164 maximum.

# --- dates ------------------------------------------------------------------

_MONTHS: dict[str, int] = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_MONTH_NAME = (
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?"
)
_ORDINAL = r"(?:st|nd|rd|th)?"
# A date must not be part of a longer number (a version "2.10.3.4", a fraction "1/12/2024/7").
_DATE_BEFORE = r"(?<![\w/-])(?<!\d\.)"
_DATE_AFTER = r"(?![\w/]|[.-]\d)"

_DATE_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(_DATE_BEFORE + body + _DATE_AFTER, re.IGNORECASE)
    for body in (
        # 12/03/1985, 3-4-85, 12.03.1985 (day and month in either order).
        r"(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})",
        # 1985-03-12, 1985/3/12.
        r"(?P<y>\d{4})(?P<sep>[/.-])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})",
        # 12 March 1985, 1st of May 1990, 12 Mar. 1985.
        r"(?P<d>\d{1,2})" + _ORDINAL + r"\s+(?:of\s+)?" + _MONTH_NAME + r",?\s+(?P<y>\d{4})",
        # March 12, 1985; Mar 12th 1985.
        _MONTH_NAME + r"\s+(?P<d>\d{1,2})" + _ORDINAL + r",?\s+(?P<y>\d{4})",
    )
)

# Rule 1: a cue immediately before the date. "b." is lower-case only, so that
# "Section B. 12/03/2025" is not read as "born".
_BIRTH_CUE = re.compile(
    r"(?:\bDOB\b|\bD\.O\.B\b\.?|\bdate\s+of\s+birth\b|\bborn\b|(?<![\w.])(?-i:b)\.)"
    r"(?:\s*[:=\-–]\s*|\s*)"
    r"(?:(?:on|is|was)\s+)?",
    re.IGNORECASE,
)

# Rule 2: a birth word near a plausible birth date.
_BIRTH_WORD = re.compile(r"\b(?:born|birth|birthday|birthdate|dob|age|aged)\b", re.IGNORECASE)
_BIRTH_WORD_WINDOW = 30
_MIN_BIRTH_YEAR = 1900
_MIN_AGE_YEARS = 10


def _calendar_year(match: re.Match[str]) -> int | None:
    """The year of a date match if day and month are possible, else ``None``.

    Two-digit years come back as written (e.g. ``85``), which rule 2 then refuses
    because it wants a full four-digit year.
    """
    groups = match.groupdict()
    if groups.get("a") is not None:
        first, second = int(groups["a"]), int(groups["b"])
        # Day-first (UK) or month-first (US): accept if either reading is a date.
        valid = (1 <= first <= 31 and 1 <= second <= 12) or (1 <= first <= 12 and 1 <= second <= 31)
    else:
        month = _MONTHS[groups["mon"][:3].lower()] if groups.get("mon") else int(groups["m"])
        valid = 1 <= month <= 12 and 1 <= int(groups["d"]) <= 31
    return int(groups["y"]) if valid else None


def _dates(text: str) -> Iterator[tuple[re.Match[str], int]]:
    """Every plausible calendar date in ``text`` with its year."""
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            year = _calendar_year(match)
            if year is not None:
                yield match, year


def _dates_of_birth(text: str, current_year: int) -> Iterator[IdentifierMatch]:
    # Rule 1: any date introduced by a birth cue.
    for cue in _BIRTH_CUE.finditer(text):
        for pattern in _DATE_PATTERNS:
            found = pattern.match(text, cue.end())
            if found is not None and _calendar_year(found) is not None:
                yield IdentifierMatch("date_of_birth", found.start(), found.end())
                break
    # Rule 2: a full date in a plausible birth-year range with a birth word nearby.
    latest = current_year - _MIN_AGE_YEARS
    for found, year in _dates(text):
        if not _MIN_BIRTH_YEAR <= year <= latest:
            continue
        before = text[max(0, found.start() - _BIRTH_WORD_WINDOW) : found.start()]
        after = text[found.end() : found.end() + _BIRTH_WORD_WINDOW]
        if _BIRTH_WORD.search(before) or _BIRTH_WORD.search(after):
            yield IdentifierMatch("date_of_birth", found.start(), found.end())


def _phones(text: str) -> Iterator[IdentifierMatch]:
    for index, pattern in enumerate(_PHONE_PATTERNS):
        for found in pattern.finditer(text):
            digits = sum(char.isdigit() for char in found.group())
            if not _MIN_PHONE_DIGITS <= digits <= _MAX_PHONE_DIGITS:
                continue
            if index == len(_PHONE_PATTERNS) - 1 and digits not in _UK_NATIONAL_DIGITS:
                continue
            yield IdentifierMatch("phone", found.start(), found.end())


def _without_overlaps(matches: Iterable[IdentifierMatch]) -> list[IdentifierMatch]:
    """Keep the earliest (then longest) of overlapping matches, in text order.

    Two rules can flag the same span (a cued date near the word "birth"); the
    user should see each stretch of text reported once.
    """
    kept: list[IdentifierMatch] = []
    for match in sorted(matches, key=lambda m: (m.start, -m.end)):
        if kept and match.start < kept[-1].end:
            continue
        kept.append(match)
    return kept


def find_identifiers(text: str, *, current_year: int | None = None) -> list[IdentifierMatch]:
    """Find e-mail addresses, phone numbers and dates of birth in ``text``.

    ``current_year`` bounds the plausible birth years of rule 2 (see the module
    docstring); it defaults to today's year and is a parameter so that callers and
    tests can pin it. The result is sorted by position and has no overlaps.

    >>> find_identifiers("Reached her on +44 20 7946 0958 after the 45 min session.")
    [IdentifierMatch(kind='phone', start=15, end=31)]
    >>> find_identifiers("PHQ-9 = 14; dosing session on 2026-03-12, 25 mg at 10:30.")
    []
    """
    year = date.today().year if current_year is None else current_year
    matches: list[IdentifierMatch] = [
        IdentifierMatch("email", found.start(), found.end()) for found in _EMAIL.finditer(text)
    ]
    matches.extend(_phones(text))
    matches.extend(_dates_of_birth(text, year))
    return _without_overlaps(matches)


_KIND_PHRASES: dict[IdentifierKind, str] = {
    "email": "an e-mail address",
    "phone": "a phone number",
    "date_of_birth": "a date of birth",
}


def describe(matches: Sequence[IdentifierMatch], field: str = "notes") -> str:
    """A message telling the user what to remove, without repeating it.

    Positions are 1-based and inclusive, as a person counts characters. Only the
    kind and position of each match are used, so the identifier itself can never
    end up in the message.

    >>> print(describe([IdentifierMatch("phone", 39, 52)]))
    notes: looks like it contains a phone number (characters 40-52); remove patient identifiers
    """
    if not matches:
        raise ValueError("describe() needs at least one match")
    parts = [
        f"{_KIND_PHRASES[match.kind]} (characters {match.start + 1}-{match.end})"
        for match in matches
    ]
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"{field}: looks like it contains {listed}; remove patient identifiers"
