"""Access policies: each route depends on exactly one, which both declares and enforces it.

A route without a policy is a test failure (tests/api/test_route_policies.py), so access is
denied by default: nothing becomes reachable by forgetting to protect it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from app.api.deps import SessionDep
from app.db.models import Program, User
from app.domain.vocabulary import Role
from app.services.access import roles_in_program
from app.services.auth import user_for_token

_bearer = HTTPBearer(auto_error=False, description="A token from POST /api/v1/auth/token")
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


class Policy:
    """Base of every policy; ``name`` is what the route table test and the docs show."""

    name = "policy"


class Public(Policy):
    """Open to anyone: health, the openly licensed rubric catalogue, reliability arithmetic."""

    name = "public"

    def __call__(self) -> None:
        return None


async def bearer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    if credentials is None:
        raise HTTPException(401, "authentication required", headers=_CHALLENGE)
    return credentials.credentials


def authenticate(request: Request, session: Session, token: str) -> User:
    user = user_for_token(session, token)
    if user is None:
        raise HTTPException(401, "invalid or expired token", headers=_CHALLENGE)
    request.state.user = user
    return user


class Authenticated(Policy):
    """Any signed-in, active user; the route itself narrows to what that user may see."""

    name = "authenticated"

    def __call__(
        self,
        request: Request,
        session: SessionDep,
        token: Annotated[str, Depends(bearer_token)],
    ) -> User:
        return authenticate(request, session, token)


@dataclass(frozen=True)
class ProgramContext:
    """The program named in the path, and the roles the caller holds in it."""

    program: Program
    user: User
    roles: frozenset[Role]


class ProgramRole(Policy):
    """A member of the program in the path with one of ``roles``.

    Anyone else, including admins of other programs, gets 404 as if the program did not
    exist, so that the API never confirms what a caller may not see.
    """

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)
        self.name = "program:" + "|".join(sorted(r.value for r in roles))

    def __call__(
        self,
        program: str,
        request: Request,
        session: SessionDep,
        token: Annotated[str, Depends(bearer_token)],
    ) -> ProgramContext:
        # Authenticated in the same call rather than as a dependency of its own: each sync
        # dependency is a trip through the thread pool, and every program route pays it.
        user = authenticate(request, session, token)
        found, held = roles_in_program(session, user, program)
        if found is None or not held & self.roles:
            raise HTTPException(404, f"program: no program {program!r}")
        if not found.active and request.method not in _READS and not _reactivation(request):
            # A closed program's record stays readable and unchanged; only its admins'
            # settings change (which is how it is reopened).
            raise HTTPException(409, f"program: {program!r} is deactivated; reactivate it first")
        return ProgramContext(found, user, held)


_READS = frozenset({"GET", "HEAD", "OPTIONS"})


def _reactivation(request: Request) -> bool:
    return request.method == "PATCH" and request.url.path.rstrip("/").endswith(
        f"/programs/{request.path_params.get('program', '')}"
    )


PUBLIC = Depends(Public())
AUTHENTICATED = Depends(Authenticated())
CurrentUser = Annotated[User, AUTHENTICATED]
ProgramAdmin = Annotated[ProgramContext, Depends(ProgramRole(Role.admin))]
ProgramStaff = Annotated[ProgramContext, Depends(ProgramRole(Role.admin, Role.trainer))]
ProgramMember = Annotated[
    ProgramContext, Depends(ProgramRole(Role.admin, Role.trainer, Role.trainee))
]
