"""Ratings files in and out, for a program's admins: importing historical ratings from CSV,
and exporting the program's ratings in the long format the import and `irr` read."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from app.api.deps import SessionDep
from app.api.policies import ProgramAdmin
from app.api.schemas.base import IsoDate
from app.api.schemas.imports import ImportProblemRead, ImportReportRead
from app.domain.csv_cells import file_name
from app.domain.rating_import import RowError, undecodable
from app.exports.ratings_csv import ratings_csv
from app.services.errors import InvalidInputError
from app.services.rating_export import export_ratings
from app.services.rating_import import ImportReport, RatingsImportError, import_ratings

router = APIRouter(tags=["ratings files"])

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# Room for the multipart boundaries and part headers around a file at the limit.
_MULTIPART_OVERHEAD = 64 * 1024

_BODIES: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The ratings file (docs/ratings-import.md), at most 10 MiB",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
        },
    }
}
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "model": ImportReportRead,
        "description": "Dry run of a valid file: what would be imported",
    },
    201: {"description": "Imported: everything in the file"},
    401: {"description": "Not signed in"},
    404: {"description": "No such program, or not one you administer"},
    413: {"description": "File larger than 10 MiB"},
    415: {"description": "Neither text/csv nor a multipart upload"},
    422: {"description": "A bad file: the report with every problem by line; nothing imported"},
}


def _too_large() -> HTTPException:
    return HTTPException(413, f"file: larger than {MAX_UPLOAD_BYTES // 2**20} MiB")


def _declared_length(request: Request) -> int | None:
    value = request.headers.get("content-length", "")
    return int(value) if value.isdigit() else None


async def _raw(request: Request) -> bytes:
    declared = _declared_length(request)
    if declared is not None and declared > MAX_UPLOAD_BYTES:
        raise _too_large()
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_UPLOAD_BYTES:
            raise _too_large()
    return bytes(data)


async def _upload(request: Request) -> tuple[bytes, str | None]:
    declared = _declared_length(request)
    if declared is not None and declared > MAX_UPLOAD_BYTES + _MULTIPART_OVERHEAD:
        raise _too_large()
    form = await request.form(max_files=1, max_fields=5)
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise InvalidInputError("file: upload the CSV file in the 'file' field")
    data = await upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise _too_large()
    return data, upload.filename


def _read(report: ImportReport) -> ImportReportRead:
    return ImportReportRead(
        message=report.summary, source=report.source, sha256=report.sha256,
        dry_run=report.dry_run, rows=report.rows, sessions=report.sessions,
        ratings=report.ratings, item_scores=report.item_scores, released=report.released,
        session_ids=list(report.session_ids),
        errors=[ImportProblemRead(line=e.line, column=e.column, message=e.message)
                for e in report.errors],
    )  # fmt: skip


def _refused(report: ImportReport) -> JSONResponse:
    return JSONResponse(status_code=422, content=_read(report).model_dump(mode="json"))


def _not_text(error: RowError) -> JSONResponse:
    problem = ImportProblemRead(line=error.line, column=error.column, message=error.message)
    return JSONResponse(
        status_code=422,
        content={"message": f"file: {error.message}", "errors": [problem.model_dump()]},
    )


@router.post(
    "/imports/ratings",
    status_code=201,
    response_model=ImportReportRead,
    openapi_extra=_BODIES,
    responses=_RESPONSES,
)
async def import_ratings_file(
    request: Request,
    ctx: ProgramAdmin,
    session: SessionDep,
    dry_run: bool = False,
    filename: Annotated[
        str | None, Query(max_length=255, description="The file's name, for a text/csv body")
    ] = None,
) -> JSONResponse:
    """Import historical ratings into the program named by ``program``: all, or none.

    With ``dry_run=true`` nothing is written and a valid file answers 200 with what would be
    imported. A bad file answers 422 with every problem by line, in either mode.
    """
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        data, uploaded_name = await _upload(request)
    elif content_type == "text/csv":
        data, uploaded_name = await _raw(request), None
    else:
        raise HTTPException(415, "content-type: send text/csv or multipart/form-data")
    problem = undecodable(data)
    if problem is not None:
        return _not_text(problem)
    try:
        report = await run_in_threadpool(
            import_ratings, session, ctx.program, ctx.user, data.decode("utf-8"),
            file_name(uploaded_name or filename, "upload.csv"), dry_run=dry_run,
        )  # fmt: skip
    except RatingsImportError as exc:
        # Refused before anything was written: the transaction has nothing to commit.
        return _refused(exc.report)
    if report.errors:
        return _refused(report)
    return JSONResponse(
        status_code=200 if dry_run else 201, content=_read(report).model_dump(mode="json")
    )


_CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "One item score a row"},
    401: {"description": "Not signed in"},
    404: {"description": "No such program, or not one you administer"},
    422: {"description": "No such cohort, or a malformed date"},
}


@router.get("/programs/{program}/ratings.csv", response_class=Response, responses=_CSV)
def export_ratings_file(
    ctx: ProgramAdmin,
    session: SessionDep,
    cohort: Annotated[str | None, Query(max_length=200, description="A cohort's name")] = None,
    since: Annotated[IsoDate | None, Query(description="Sessions on or after this date")] = None,
    until: Annotated[IsoDate | None, Query(description="Sessions on or before this date")] = None,
) -> Response:
    """Every submitted rating (master ratings aside), one item score a row.

    Sessions the caller is still to rate are left out, as blind rating requires.
    """
    scores = export_ratings(
        session, ctx.program, viewer=ctx.user, cohort=cohort, since=since, until=until
    )
    return Response(
        ratings_csv(scores),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{ctx.program.slug}-ratings.csv"'},
    )
