"""The report of a ratings import: counts, and every problem by line of the file."""

from __future__ import annotations

from pydantic import Field

from app.api.schemas.base import ReadModel


class ImportProblemRead(ReadModel):
    line: int = Field(description="1-based line of the file; the header is line 1")
    column: str
    message: str


class ImportReportRead(ReadModel):
    message: str = Field(description="One line: what was (or would be) imported, or why not")
    source: str = Field(description="The file name recorded in the audit trail")
    sha256: str = Field(description="SHA-256 of the file as uploaded")
    dry_run: bool
    rows: int
    sessions: int
    ratings: int
    item_scores: int
    released: bool = Field(description="Whether the sessions are (or would be) released")
    session_ids: list[int] = Field(description="The sessions created; empty on a dry run")
    errors: list[ImportProblemRead] = Field(description="Every problem, by line; empty if valid")
