"""Program administration: the program itself, its cohorts and its members."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import APIRouter
from sqlalchemy import select

from app.api.common import HIDDEN, WRITE, Id
from app.api.deps import SessionDep
from app.api.policies import CurrentUser, ProgramAdmin, ProgramMember, ProgramStaff
from app.api.schemas.programs import (
    CohortCreate,
    CohortRead,
    CohortUpdate,
    MemberCreate,
    MemberCreated,
    MemberRead,
    ProgramRead,
    ProgramUpdate,
)
from app.db.models import Membership, Program, User
from app.domain.vocabulary import Role
from app.services import programs as program_service
from app.services.invitations import invite_user
from app.services.users import normalise_email

router = APIRouter(prefix="/programs", tags=["programs"])


def _member(m: Membership) -> MemberRead:
    return MemberRead(
        id=m.id, email=m.user.email, full_name=m.user.full_name, role=m.role,
        cohort=m.cohort.name if m.cohort else None, active=m.active,
    )  # fmt: skip


def _program(p: Program, roles: Iterable[Role]) -> ProgramRead:
    return ProgramRead(
        slug=p.slug, name=p.name, description=p.description, active=p.active,
        auto_release=p.auto_release, amendment_window_days=p.amendment_window_days,
        roles=sorted(roles),
    )  # fmt: skip


@router.get("", responses={401: {"description": "Not signed in"}})
def list_programs(user: CurrentUser, session: SessionDep) -> list[ProgramRead]:
    return [_program(p, roles) for p, roles in program_service.programs_of(session, user)]


@router.get("/{program}", responses=HIDDEN)
def read_program(ctx: ProgramMember) -> ProgramRead:
    return _program(ctx.program, ctx.roles)


@router.patch("/{program}", responses=WRITE)
def update_program(body: ProgramUpdate, ctx: ProgramAdmin, session: SessionDep) -> ProgramRead:
    """Rename, describe, (de)activate, or change release and amendment settings."""
    p = program_service.update_program(
        session, ctx.program, ctx.user, **body.model_dump(exclude_unset=True)
    )
    return _program(p, ctx.roles)


@router.get("/{program}/cohorts", responses=HIDDEN)
def list_cohorts(ctx: ProgramStaff, session: SessionDep) -> list[CohortRead]:
    return [CohortRead.model_validate(c) for c in program_service.cohorts_of(session, ctx.program)]


@router.post("/{program}/cohorts", status_code=201, responses=WRITE)
def create_cohort(body: CohortCreate, ctx: ProgramAdmin, session: SessionDep) -> CohortRead:
    cohort = program_service.create_cohort(
        session, ctx.program, name=body.name, start_date=body.start_date,
        end_date=body.end_date, actor=ctx.user,
    )  # fmt: skip
    return CohortRead.model_validate(cohort)


@router.patch("/{program}/cohorts/{cohort_id}", responses=WRITE)
def update_cohort(
    cohort_id: Id, body: CohortUpdate, ctx: ProgramAdmin, session: SessionDep
) -> CohortRead:
    """Rename a cohort, set its end date, or deactivate it."""
    cohort = program_service.update_cohort(
        session, ctx.program, ctx.user, cohort_id, **body.model_dump(exclude_unset=True)
    )
    return CohortRead.model_validate(cohort)


@router.get("/{program}/members", responses=HIDDEN)
def list_members(ctx: ProgramAdmin, session: SessionDep) -> list[MemberRead]:
    return [_member(m) for m in program_service.members_of(session, ctx.program)]


@router.post("/{program}/members", status_code=201, responses=WRITE)
def add_member(body: MemberCreate, ctx: ProgramAdmin, session: SessionDep) -> MemberCreated:
    """Invite a new person (answering with their one-time token) or add a role to a user."""
    cohort = program_service.get_cohort(session, ctx.program, body.cohort) if body.cohort else None
    existing = session.scalar(select(User).where(User.email == normalise_email(body.email)))
    if existing is not None:
        membership = program_service.add_role(
            session, ctx.program, existing, body.role, cohort, ctx.user
        )
        return MemberCreated(member=_member(membership), password_set_token=None,
                             token_expires_at=None)  # fmt: skip
    invitation = invite_user(
        session, email=body.email, full_name=body.full_name, program=ctx.program,
        role=body.role, cohort=cohort, invited_by=ctx.user,
    )  # fmt: skip
    membership = invitation.user.memberships[0]
    return MemberCreated(member=_member(membership), password_set_token=invitation.token,
                         token_expires_at=invitation.expires_at)  # fmt: skip


@router.post("/{program}/members/{membership_id}/deactivate", responses=WRITE)
def deactivate_member(membership_id: Id, ctx: ProgramAdmin, session: SessionDep) -> MemberRead:
    membership = program_service.deactivate_membership(
        session, ctx.program, membership_id, ctx.user
    )
    return _member(membership)
