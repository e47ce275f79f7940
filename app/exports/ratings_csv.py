"""A program's ratings as long-format CSV, one item score a row.

The file serves two readers at once: ``guidinghand irr`` reads ``subject`` (the session id),
``rater``, ``item`` and ``score`` and ignores the rest, and ``guidinghand import ratings``
reads the import columns (docs/ratings-import.md) and ignores the four it does not know, so a
program's export is another program's import.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from app.domain.rating_import import OPTIONAL_COLUMNS, REQUIRED_COLUMNS
from app.exports.cells import formula_safe
from app.services.rating_export import ExportedScore

COLUMNS = ("subject", "rater", "item", *REQUIRED_COLUMNS, *OPTIONAL_COLUMNS, "domain")


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _cells(s: ExportedScore) -> dict[str, str]:
    return {
        "subject": str(s.session_id),
        "rater": s.rater_email,
        "item": s.item_key,
        "session_ref": s.session_ref,
        "trainee_email": s.trainee_email,
        "session_date": s.session_date.isoformat(),
        "phase": s.phase.value,
        "duration_minutes": str(s.duration_minutes),
        "rater_email": s.rater_email,
        "item_key": s.item_key,
        "score": "" if s.score is None else str(s.score),
        "rubric": s.rubric,
        "rubric_version": s.rubric_version,
        "not_applicable": _flag(s.not_applicable),
        "harm_flag": _flag(s.harm_flag),
        "harm_note": s.harm_note,
        "modalities": ";".join(s.modalities),
        "co_therapist": _flag(s.co_therapist),
        "submitted_at": s.submitted_at.isoformat(),
        "comment": s.comment,
        "recording": s.recording,
        "domain": s.domain_key,
    }


def ratings_csv(scores: Iterable[ExportedScore]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for score in scores:
        cells = _cells(score)
        writer.writerow([formula_safe(cells[column]) for column in COLUMNS])
    return out.getvalue()
