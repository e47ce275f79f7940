"""Report and certificate files for admins in the browser: the API's renderings, reached
with the sign-in cookie instead of a bearer token."""

from __future__ import annotations

import json

from fastapi import APIRouter
from fastapi.responses import Response

from app.api.common import Id
from app.api.deps import SessionDep
from app.api.reports import CSV, PDF, attachment, release
from app.exports.pdf import certificate_pdf, program_report_pdf, trainee_report_pdf
from app.exports.report_csv import certificate_report_csv, program_report_csv, trainee_report_csv
from app.exports.report_json import program_report_json, trainee_report_json
from app.services import reports as report_service
from app.services.errors import NotFoundError
from app.web.policies import AdminPage

router = APIRouter(prefix="/p/{program}/admin", include_in_schema=False)
JSON = "application/json"


@router.get("/certificates/{certificate_id}.pdf")
def certificate_as_pdf(certificate_id: str, ctx: AdminPage, session: SessionDep) -> Response:
    report = report_service.certificate_report(session, ctx.program, certificate_id[:64],
                                               viewer=ctx.user, roles=ctx.roles)  # fmt: skip
    release(session)
    return attachment(certificate_pdf(report), PDF, f"{report.certificate_id}.pdf")


@router.get("/certificates/{certificate_id}.csv")
def certificate_as_csv(certificate_id: str, ctx: AdminPage, session: SessionDep) -> Response:
    report = report_service.certificate_report(session, ctx.program, certificate_id[:64],
                                               viewer=ctx.user, roles=ctx.roles)  # fmt: skip
    return attachment(certificate_report_csv(report), CSV, f"{report.certificate_id}.csv")


FORMATS = ("csv", "json", "pdf")


def _format(extension: str) -> str:
    if extension not in FORMATS:
        raise NotFoundError(f"format: {extension[:10]!r} is not one of {', '.join(FORMATS)}")
    return extension


@router.get("/trainees/{trainee_id}/report.{extension}")
def trainee_report(trainee_id: Id, extension: str, ctx: AdminPage, session: SessionDep) -> Response:
    kind = _format(extension)
    report = report_service.trainee_report(session, ctx.program, trainee_id, viewer=ctx.user,
                                           roles=ctx.roles)  # fmt: skip
    name = f"{ctx.program.slug}-trainee-{trainee_id}-report.{kind}"
    if kind == "csv":
        return attachment(trainee_report_csv(report), CSV, name)
    if kind == "json":
        return attachment(json.dumps(trainee_report_json(report), indent=2), JSON, name)
    release(session)
    return attachment(trainee_report_pdf(report), PDF, name)


@router.get("/reports/program.{extension}")
def program_report(extension: str, ctx: AdminPage, session: SessionDep) -> Response:
    kind = _format(extension)
    report = report_service.program_report(session, ctx.program)
    name = f"{ctx.program.slug}-program-report.{kind}"
    if kind == "csv":
        return attachment(program_report_csv(report), CSV, name)
    if kind == "json":
        return attachment(json.dumps(program_report_json(report), indent=2), JSON, name)
    release(session)
    return attachment(program_report_pdf(report), PDF, name)
