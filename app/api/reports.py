"""Reports as JSON, CSV and PDF: a trainee's readiness report and the program report.

A trainee reads their own report (from released sessions), staff any trainee's; the program
report is for its admins. The certificate report sits with the certificates
(app/api/certificates.py).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from sqlalchemy.orm import Session

from app.api.common import HIDDEN, Id
from app.api.deps import SessionDep
from app.api.policies import ProgramAdmin, ProgramContext, ProgramMember
from app.exports.pdf import program_report_pdf, trainee_report_pdf
from app.exports.report_csv import program_report_csv, trainee_report_csv
from app.exports.report_json import program_report_json, trainee_report_json
from app.services import reports as report_service
from app.services.reports import TraineeReport

router = APIRouter(prefix="/programs/{program}", tags=["reports"])


def file_responses(media_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    return {**HIDDEN, 200: {"content": {media_type: {}}, "description": description}}


PDF = "application/pdf"
CSV = "text/csv; charset=utf-8"
_CSV_ROWS = "One figure a row: section, subject, measure, value, interval, threshold, n"


def attachment(content: bytes | str, media_type: str, filename: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def release(session: Session) -> None:
    """End the reading transaction before rendering a PDF.

    On SQLite every transaction takes the write lock up front (app/db/engine.py), so a
    program report rendering for seconds would keep every rater's submission waiting. The
    figures are read by then; nothing is written, so committing ends the read early.
    """
    session.commit()


def _trainee(ctx: ProgramContext, session: SessionDep, trainee_id: int) -> TraineeReport:
    return report_service.trainee_report(
        session, ctx.program, trainee_id, viewer=ctx.user, roles=ctx.roles
    )


def _trainee_file(ctx: ProgramContext, trainee_id: int, extension: str) -> str:
    return f"{ctx.program.slug}-trainee-{trainee_id}-report.{extension}"


@router.get("/trainees/{trainee_id}/report.json", responses=HIDDEN)
def trainee_report(trainee_id: Id, ctx: ProgramMember, session: SessionDep) -> dict[str, Any]:
    """A trainee's readiness report: the decision and its reasons, the domains against their
    minimums, strengths and growth areas, and the sessions used as evidence."""
    return trainee_report_json(_trainee(ctx, session, trainee_id))


@router.get(
    "/trainees/{trainee_id}/report.csv",
    response_class=Response,
    responses=file_responses("text/csv", _CSV_ROWS),
)
def trainee_report_as_csv(trainee_id: Id, ctx: ProgramMember, session: SessionDep) -> Response:
    """The trainee's report as CSV, one figure a row."""
    text = trainee_report_csv(_trainee(ctx, session, trainee_id))
    return attachment(text, CSV, _trainee_file(ctx, trainee_id, "csv"))


@router.get(
    "/trainees/{trainee_id}/report.pdf",
    response_class=Response,
    responses=file_responses(PDF, "The report on A4, with charts"),
)
def trainee_report_as_pdf(trainee_id: Id, ctx: ProgramMember, session: SessionDep) -> Response:
    """The trainee's report as PDF."""
    report = _trainee(ctx, session, trainee_id)
    release(session)
    pdf = trainee_report_pdf(report)
    return attachment(pdf, PDF, _trainee_file(ctx, trainee_id, "pdf"))


@router.get("/reports/program.json", responses=HIDDEN)
def program_report(ctx: ProgramAdmin, session: SessionDep) -> dict[str, Any]:
    """The program report: the cohort readiness matrix, inter-rater reliability per item,
    rater quality and the D-study, all from complete sessions."""
    return program_report_json(report_service.program_report(session, ctx.program))


@router.get(
    "/reports/program.csv",
    response_class=Response,
    responses=file_responses("text/csv", _CSV_ROWS),
)
def program_report_as_csv(ctx: ProgramAdmin, session: SessionDep) -> Response:
    """The program report as CSV, one figure a row."""
    text = program_report_csv(report_service.program_report(session, ctx.program))
    return attachment(text, CSV, f"{ctx.program.slug}-program-report.csv")


@router.get(
    "/reports/program.pdf",
    response_class=Response,
    responses=file_responses(PDF, "The report on A4, with charts"),
)
def program_report_as_pdf(ctx: ProgramAdmin, session: SessionDep) -> Response:
    """The program report as PDF."""
    report = report_service.program_report(session, ctx.program)
    release(session)
    pdf = program_report_pdf(report)
    return attachment(pdf, PDF, f"{ctx.program.slug}-program-report.pdf")
