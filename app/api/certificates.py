"""Certificates: issued and revoked by a program's admins, verifiable by anyone."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import Field

from app.api.common import HIDDEN, WRITE, Id
from app.api.deps import SessionDep
from app.api.policies import PUBLIC, ProgramAdmin, ProgramMember
from app.api.reports import CSV, PDF, attachment, file_responses, release
from app.api.schemas.base import ReadModel, RequestModel
from app.db.models import Certificate
from app.domain.certificates import verification_code
from app.exports.pdf import certificate_pdf
from app.exports.report_csv import certificate_report_csv
from app.services import certificates as certificate_service
from app.services.reports import certificate_report
from app.services.signing_keys import public_key_pem
from app.services.users import get_program_by_slug
from app.web.pages.verification import verification_page, wants_page

router = APIRouter(prefix="/programs/{program}", tags=["certificates"])
public = APIRouter(tags=["certificates"])

CertificateId = Path(min_length=1, max_length=36, pattern=r"^[0-9a-f-]+$")


class CertificateRead(ReadModel):
    certificate_id: str
    trainee_id: int
    trainee: str
    issued_at: datetime
    sha256: str
    verification_code: str
    verify_url: str
    revoked_at: datetime | None
    revocation_reason: str


class RevocationCreate(RequestModel):
    reason: str = Field(min_length=1, max_length=2000)


class VerificationRead(ReadModel):
    status: str = Field(description="valid, revoked or unknown")
    certificate_id: str
    trainee: str | None
    program: str | None
    decision: str | None
    issued_at: datetime | None
    revoked_at: datetime | None
    revocation_reason: str | None
    verification_code: str | None


def _read(c: Certificate) -> CertificateRead:
    return CertificateRead(
        certificate_id=c.public_id, trainee_id=c.trainee_id,
        trainee=c.snapshot["trainee"]["name"], issued_at=c.issued_at, sha256=c.sha256,
        verification_code=verification_code(c.public_id, c.sha256),
        verify_url=c.snapshot["verify_url"], revoked_at=c.revoked_at,
        revocation_reason=c.revocation_reason,
    )  # fmt: skip


@router.post("/trainees/{trainee_id}/certificates", status_code=201, responses=WRITE)
def issue(trainee_id: Id, ctx: ProgramAdmin, session: SessionDep) -> CertificateRead:
    """Issue a signed certificate; the trainee's latest signed-off decision must be READY."""
    return _read(certificate_service.issue_certificate(session, ctx.program, ctx.user, trainee_id))


@router.get("/certificates", responses=HIDDEN)
def list_certificates(ctx: ProgramAdmin, session: SessionDep) -> list[CertificateRead]:
    return [_read(c) for c in certificate_service.certificates_of(session, ctx.program)]


@router.get(
    "/certificates/{certificate_id}.json",
    response_class=Response,
    responses={**HIDDEN, 200: {"content": {"application/json": {}},
                               "description": "The signed certificate file"}},
)  # fmt: skip
def download(
    ctx: ProgramMember, session: SessionDep, certificate_id: str = CertificateId
) -> Response:
    """The signed file (canonical JSON), for the program's admins and its own trainee."""
    certificate = certificate_service.visible_certificate(
        session, ctx.program, certificate_id, viewer=ctx.user, roles=ctx.roles
    )
    return Response(
        certificate_service.signed_document(certificate, ctx.program),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{certificate_id}.json"'},
    )


@router.get(
    "/certificates/{certificate_id}.pdf",
    response_class=Response,
    responses=file_responses(PDF, "The certificate on A4, with its verification code"),
)
def download_pdf(
    ctx: ProgramMember, session: SessionDep, certificate_id: str = CertificateId
) -> Response:
    """The certificate to print: trainee, program, rubric and decision, the evidence and its
    reliability, the issuer, and the code and address that verify it."""
    report = certificate_report(session, ctx.program, certificate_id, viewer=ctx.user,
                                roles=ctx.roles)  # fmt: skip
    release(session)
    return attachment(certificate_pdf(report), PDF, f"{certificate_id}.pdf")


@router.get(
    "/certificates/{certificate_id}.csv",
    response_class=Response,
    responses=file_responses("text/csv", "The certificate's fields, one a row"),
)
def download_csv(
    ctx: ProgramMember, session: SessionDep, certificate_id: str = CertificateId
) -> Response:
    """The certificate's content as CSV, for the program's records."""
    report = certificate_report(session, ctx.program, certificate_id, viewer=ctx.user,
                                roles=ctx.roles)  # fmt: skip
    return attachment(certificate_report_csv(report), CSV, f"{certificate_id}.csv")


@router.post("/certificates/{certificate_id}/revoke", responses=WRITE)
def revoke(
    body: RevocationCreate,
    ctx: ProgramAdmin,
    session: SessionDep,
    certificate_id: str = CertificateId,
) -> CertificateRead:
    """Revoke with a reason; /verify then answers "revoked"."""
    return _read(
        certificate_service.revoke(session, ctx.program, ctx.user, certificate_id, body.reason)
    )


@public.get(
    "/verify/{certificate_id}",
    dependencies=[PUBLIC],
    response_model=VerificationRead,
    responses={200: {"content": {"text/html": {}}, "description": "JSON, or a page for browsers"}},
)
def verify(
    request: Request, session: SessionDep, certificate_id: str = Path(max_length=64)
) -> VerificationRead | HTMLResponse:
    """Anyone may check a certificate: valid, revoked (with the reason) or unknown.

    The printed URL is followed by people as well as programs, so a browser asking for
    HTML gets the verification page rather than JSON.
    """
    found = certificate_service.public_status(session, certificate_id)
    if wants_page(request):
        return verification_page(request, found)
    return VerificationRead(
        status=found.status, certificate_id=found.certificate_id, trainee=found.trainee,
        program=found.program, decision=found.decision, issued_at=found.issued_at,
        revoked_at=found.revoked_at, revocation_reason=found.revocation_reason,
        verification_code=found.verification_code,
    )  # fmt: skip


@public.get(
    "/keys/{program}.pem",
    dependencies=[PUBLIC],
    response_class=Response,
    responses={200: {"content": {"application/x-pem-file": {}}}, 404: {"description": "None"}},
)
def program_public_key(session: SessionDep, program: str = Path(max_length=64)) -> Response:
    """The program's public key, to verify its certificate files offline."""
    found = get_program_by_slug(session, program)
    return Response(public_key_pem(found.slug), media_type="application/x-pem-file")
