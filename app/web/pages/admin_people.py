"""People: the program's cohorts, its members by role, invitations with a one-time link,
and deactivating a role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.common import Id
from app.api.deps import SessionDep
from app.api.policies import ProgramContext
from app.db.models import Cohort, Membership, User
from app.domain.vocabulary import Role
from app.services import invitations as invitation_service
from app.services import programs as program_service
from app.services.errors import ConflictError, InvalidInputError, ServiceError
from app.services.invitations import Invitation, invite_user
from app.services.users import normalise_email
from app.web.form_values import optional_choice, optional_date, optional_id, required
from app.web.pages.admin import attempt, notice
from app.web.policies import AdminPage
from app.web.templating import render

router = APIRouter(prefix="/p/{program}/admin", include_in_schema=False)

ROLE_TITLES = {Role.admin: "Admins", Role.trainer: "Trainers", Role.trainee: "Trainees"}


def _status(error: ServiceError) -> int:
    return 409 if isinstance(error, ConflictError) else 422


@dataclass(frozen=True)
class Issued:
    """What the invitation form did: a new account's one-time link, or a role added."""

    name: str
    email: str
    role: Role
    link: str | None
    expires_at: datetime | None


def _issued(request: Request, invitation: Invitation, role: Role) -> Issued:
    """The one-time link as the admin hands it over, at the service's public address."""
    base = request.app.state.settings.public_url.rstrip("/")
    return Issued(
        invitation.user.full_name,
        invitation.user.email,
        role,
        f"{base}/invitation?token={invitation.token}",
        invitation.expires_at,
    )


def _people_page(
    request: Request,
    ctx: ProgramContext,
    session: Session,
    *,
    status_code: int = 200,
    issued: Issued | None = None,
    invite_error: str = "",
    invite_form: dict[str, str] | None = None,
    cohort_error: str = "",
    cohort_form: dict[str, str] | None = None,
) -> Response:
    members = program_service.members_of(session, ctx.program)
    by_role = {role: [m for m in members if m.role is role] for role in Role}
    params = request.query_params
    return render(
        request,
        "admin/people.html",
        {
            "cohorts": program_service.cohorts_of(session, ctx.program),
            "by_role": by_role,
            "role_titles": ROLE_TITLES,
            "issued": issued,
            "invite_error": invite_error,
            "invite_form": invite_form or {"email": "", "full_name": "", "role": "", "cohort": ""},
            "cohort_error": cohort_error,
            "cohort_form": cohort_form or {"name": "", "start_date": "", "end_date": ""},
            "notice": notice(params.get("done"), None),
            "me": ctx.user.id,
            "place_role": Role.admin,
            "section": "people",
        },
        status_code=status_code,
    )


@router.get("/people")
def people(request: Request, ctx: AdminPage, session: SessionDep) -> Response:
    return _people_page(request, ctx, session)


def _cohort(session: Session, ctx: ProgramContext, cohort_id: int | None) -> Cohort | None:
    if cohort_id is None:
        return None
    cohort = session.get(Cohort, cohort_id)
    if cohort is None or cohort.program_id != ctx.program.id:
        raise InvalidInputError(f"cohort: no cohort {cohort_id} in {ctx.program.slug}")
    return cohort


def _invite(
    request: Request,
    ctx: ProgramContext,
    session: Session,
    email: str,
    full_name: str,
    role_name: str,
    cohort_id: str,
) -> Issued:
    role = required(optional_choice(role_name, "role", Role), "role", "choose a role")
    cohort = _cohort(session, ctx, optional_id(cohort_id, "cohort"))
    existing = session.scalar(select(User).where(User.email == normalise_email(email)))
    if existing is not None:
        program_service.add_role(session, ctx.program, existing, role, cohort, ctx.user)
        return Issued(existing.full_name, existing.email, role, None, None)
    invitation = invite_user(
        session, email=email, full_name=full_name, program=ctx.program, role=role,
        cohort=cohort, invited_by=ctx.user,
    )  # fmt: skip
    return _issued(request, invitation, role)


@router.post("/members")
def invite(
    request: Request,
    ctx: AdminPage,
    session: SessionDep,
    email: Annotated[str, Form(max_length=320)] = "",
    full_name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
    cohort: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Invite a new person (their one-time link is shown on this answer only) or give an
    existing account a role here."""
    outcome = attempt(
        session, lambda: _invite(request, ctx, session, email, full_name, role, cohort)
    )
    if isinstance(outcome, ServiceError):
        form = {"email": email, "full_name": full_name, "role": role, "cohort": cohort}
        return _people_page(
            request, ctx, session, status_code=_status(outcome), invite_error=str(outcome),
            invite_form=form,
        )  # fmt: skip
    return _people_page(request, ctx, session, issued=outcome)


@router.post("/members/{membership_id}/invitation")
def renew_invitation(
    request: Request, membership_id: Id, ctx: AdminPage, session: SessionDep
) -> Response:
    """A new one-time link for a member who never chose a password; the old one stops."""
    invitation = invitation_service.renew_invitation(session, ctx.program, ctx.user, membership_id)
    membership = session.get(Membership, membership_id)  # loaded by the service just now
    assert membership is not None
    return _people_page(request, ctx, session, issued=_issued(request, invitation, membership.role))


@router.post("/members/{membership_id}/deactivate")
def deactivate(membership_id: Id, ctx: AdminPage, session: SessionDep) -> Response:
    program_service.deactivate_membership(session, ctx.program, membership_id, ctx.user)
    return RedirectResponse(
        f"/p/{ctx.program.slug}/admin/people?done=deactivated#members", status_code=303
    )


@router.post("/members/{membership_id}/reactivate")
def reactivate(membership_id: Id, ctx: AdminPage, session: SessionDep) -> Response:
    program_service.reactivate_membership(session, ctx.program, membership_id, ctx.user)
    return RedirectResponse(
        f"/p/{ctx.program.slug}/admin/people?done=reactivated#members", status_code=303
    )


@router.post("/cohorts")
def create_cohort(
    request: Request,
    ctx: AdminPage,
    session: SessionDep,
    name: Annotated[str, Form(max_length=200)] = "",
    start_date: Annotated[str, Form(max_length=20)] = "",
    end_date: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    def create() -> Cohort:
        if not name.strip():
            raise InvalidInputError("name: give the cohort a name")
        start = required(
            optional_date(start_date, "start_date"), "start_date", "give the start date"
        )
        return program_service.create_cohort(
            session, ctx.program, name=name.strip(), start_date=start,
            end_date=optional_date(end_date, "end_date"), actor=ctx.user,
        )  # fmt: skip

    outcome = attempt(session, create)
    if isinstance(outcome, ServiceError):
        form = {"name": name, "start_date": start_date, "end_date": end_date}
        return _people_page(
            request, ctx, session, status_code=_status(outcome), cohort_error=str(outcome),
            cohort_form=form,
        )  # fmt: skip
    return RedirectResponse(
        f"/p/{ctx.program.slug}/admin/people?done=cohort-created#cohorts", status_code=303
    )


@router.post("/cohorts/{cohort_id}")
def update_cohort(
    cohort_id: Id,
    ctx: AdminPage,
    session: SessionDep,
    name: Annotated[str, Form(max_length=200)] = "",
    end_date: Annotated[str, Form(max_length=20)] = "",
    active: Annotated[str, Form(max_length=5)] = "yes",
) -> Response:
    """Rename a cohort, set its end date, or close (and reopen) it."""
    program_service.update_cohort(
        session, ctx.program, ctx.user, cohort_id, name=name.strip() or None,
        end_date=optional_date(end_date, "end_date"), active=active != "no",
    )  # fmt: skip
    return RedirectResponse(
        f"/p/{ctx.program.slug}/admin/people?done=cohort-updated#cohorts", status_code=303
    )
