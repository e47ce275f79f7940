"""The ratings CSV: readable by `irr` and by the import as it is, and never a formula."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

from app.domain.rating_import import REQUIRED_COLUMNS, parse_ratings_csv
from app.domain.reliability.long_format import read_ratings_csv
from app.domain.vocabulary import Modality, Phase
from app.exports.ratings_csv import COLUMNS, ratings_csv
from app.services.rating_export import ExportedScore

SUBMITTED = datetime(2026, 3, 20, 10, 15, tzinfo=UTC)


def _score(
    rater: str, item: str, score: int | None, harm_note: str = "", comment: str = ""
) -> ExportedScore:
    return ExportedScore(
        session_id=7, session_ref="R-7", trainee_email="t@example.org",
        session_date=date(2026, 3, 9), phase=Phase.integration, duration_minutes=55,
        modalities=("act", "cbt"), co_therapist=True, recording="media/r7.mp4",
        rater_email=rater, rubric="pat-competency", rubric_version="1.0.0", domain_key="D",
        item_key=item, score=score, not_applicable=score is None, harm_flag=bool(harm_note),
        harm_note=harm_note, comment=comment, submitted_at=SUBMITTED,
    )  # fmt: skip


SCORES = [
    _score("a@example.org", "D2", 4),
    _score("a@example.org", "D3", None),
    _score("b@example.org", "D2", 5, harm_note="=HYPERLINK(\"x\")", comment="-2 on pacing"),
    _score("b@example.org", "D3", 3, comment="-2 on pacing"),
]  # fmt: skip


def _rows() -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(ratings_csv(SCORES))))


def test_columns_serve_irr_and_the_import() -> None:
    assert COLUMNS[:3] == ("subject", "rater", "item")
    assert set(REQUIRED_COLUMNS) <= set(COLUMNS)
    assert len(set(COLUMNS)) == len(COLUMNS)
    first, not_applicable, _, _ = _rows()
    assert (first["subject"], first["rater"], first["item"], first["score"]) == (
        "7", "a@example.org", "D2", "4",
    )  # fmt: skip
    assert (first["not_applicable"], first["co_therapist"], first["harm_flag"]) == (
        "false", "true", "false",
    )  # fmt: skip
    assert first["modalities"] == "act;cbt"
    assert first["submitted_at"] == "2026-03-20T10:15:00+00:00"
    assert first["domain"] == "D"
    assert (not_applicable["score"], not_applicable["not_applicable"]) == ("", "true")


def test_cells_that_would_be_formulas_are_quoted() -> None:
    flagged = _rows()[2]
    assert flagged["harm_note"] == '\'=HYPERLINK("x")'
    assert flagged["comment"] == "'-2 on pacing"


def test_irr_reads_the_file_and_skips_not_applicable_items() -> None:
    ratings = read_ratings_csv(ratings_csv(SCORES).splitlines())
    assert ratings.subjects == ["7", "7", "7"]
    assert ratings.raters == ["a@example.org", "b@example.org", "b@example.org"]
    assert ratings.items == ["D2", "D2", "D3"]
    assert ratings.scores == [4.0, 5.0, 3.0]


def test_the_import_reads_back_what_was_exported() -> None:
    parsed = parse_ratings_csv(ratings_csv(SCORES), now=datetime(2026, 4, 1, tzinfo=UTC))
    assert parsed.errors == []
    (session,) = parsed.sessions
    assert (session.ref, session.phase, session.co_therapist, session.recording) == (
        "R-7", Phase.integration, True, "media/r7.mp4",
    )  # fmt: skip
    assert session.modalities == frozenset({Modality.act, Modality.cbt})
    first, second = session.ratings
    assert [s.entry for s in first.scores][1].not_applicable
    assert second.comment == "-2 on pacing"
    assert second.scores[0].entry.harm_note == '=HYPERLINK("x")'
    assert second.submitted_at == SUBMITTED
