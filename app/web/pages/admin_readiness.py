"""The admin's view of readiness: the cohort matrix, one trainee's report with the sign-off
form, and the certificates issued on signed-off READY decisions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.api.common import Id
from app.api.deps import SessionDep
from app.domain.readiness import Decision
from app.domain.vocabulary import Role
from app.services import certificates as certificate_service
from app.services.programs import cohorts_of, members_of
from app.services.readiness import decisions_of, readiness_of, sign_off, trainee_readiness
from app.web.policies import AdminPage
from app.web.templating import render

router = APIRouter(prefix="/p/{program}/admin", include_in_schema=False)

_ADMIN = frozenset({Role.admin})


@router.get("/readiness")
def matrix(request: Request, ctx: AdminPage, session: SessionDep, cohort: str = "") -> Response:
    cohorts = cohorts_of(session, ctx.program)
    chosen_cohort = int(cohort) if cohort.isdigit() else None  # "" is every cohort
    cohort_of = {
        m.user_id: m.cohort
        for m in members_of(session, ctx.program)
        if m.role is Role.trainee and m.active
    }
    chosen = [
        uid
        for uid, c in cohort_of.items()
        if chosen_cohort is None or (c and c.id == chosen_cohort)
    ]
    rows = readiness_of(session, ctx.program, trainee_ids=chosen) if chosen else []
    domains = rows[0].result.domains if rows else ()
    counts = {d.value: sum(r.result.decision is d for r in rows) for d in Decision}
    return render(
        request,
        "admin/readiness.html",
        {
            "rows": rows,
            "domains": domains,
            "cohorts": cohorts,
            "cohort": chosen_cohort,
            "cohort_of": cohort_of,
            "counts": counts,
            "place_role": Role.admin,
            "section": "readiness",
        },
    )


@router.get("/trainees/{trainee_id}")
def trainee_report(
    request: Request, trainee_id: Id, ctx: AdminPage, session: SessionDep
) -> Response:
    found = trainee_readiness(session, ctx.program, ctx.user, _ADMIN, trainee_id)
    decisions = decisions_of(session, ctx.program, ctx.user, _ADMIN, trainee_id)
    certificates = [
        c
        for c in certificate_service.certificates_of(session, ctx.program)
        if c.trainee_id == trainee_id
    ]
    return render(
        request,
        "admin/trainee.html",
        {
            "found": found,
            "result": found.result,
            "decisions": decisions,
            "certificates": certificates,
            "latest": decisions[0] if decisions else None,
            "place_role": Role.admin,
            "section": "readiness",
        },
    )


@router.post("/trainees/{trainee_id}/sign-off")
def sign_off_page(
    trainee_id: Id,
    ctx: AdminPage,
    session: SessionDep,
    entrustment_level: Annotated[str, Form(max_length=2)] = "",
    committee_comment: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    level = int(entrustment_level) if entrustment_level.isdigit() else None
    sign_off(
        session,
        ctx.program,
        ctx.user,
        trainee_id,
        committee_comment=committee_comment,
        entrustment_level=level,
    )
    return RedirectResponse(
        f"/p/{ctx.program.slug}/admin/trainees/{trainee_id}#decisions", status_code=303
    )


@router.post("/trainees/{trainee_id}/certificates")
def issue(trainee_id: Id, ctx: AdminPage, session: SessionDep) -> Response:
    certificate = certificate_service.issue_certificate(session, ctx.program, ctx.user, trainee_id)
    return RedirectResponse(
        f"/p/{ctx.program.slug}/admin/certificates#c-{certificate.public_id}", status_code=303
    )


@router.get("/certificates")
def certificates(request: Request, ctx: AdminPage, session: SessionDep) -> Response:
    found = certificate_service.certificates_of(session, ctx.program)
    names = {m.user_id: m.user.full_name for m in members_of(session, ctx.program)}
    return render(
        request,
        "admin/certificates.html",
        {
            "certificates": found,
            "names": names,
            "public_url": request.app.state.settings.public_url,
            "place_role": Role.admin,
            "section": "certificates",
        },
    )


@router.get("/certificates/{certificate_id}.json")
def certificate_file(certificate_id: str, ctx: AdminPage, session: SessionDep) -> Response:
    certificate = certificate_service.program_certificate(session, ctx.program, certificate_id[:64])
    name = f"certificate-{certificate.public_id}.json"
    return Response(
        certificate_service.signed_document(certificate, ctx.program),
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


@router.post("/certificates/{certificate_id}/revoke")
def revoke(
    certificate_id: str,
    ctx: AdminPage,
    session: SessionDep,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    certificate_service.revoke(session, ctx.program, ctx.user, certificate_id[:64], reason)
    return RedirectResponse(
        f"/p/{ctx.program.slug}/admin/certificates#c-{certificate_id[:64]}", status_code=303
    )
