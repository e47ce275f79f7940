"""Access policies of the pages: the API's rules, read from the sign-in cookie.

They subclass the API's ``Policy`` so that the route-table test holds pages to the same
deny-by-default rule. A visitor who is not signed in is sent to the sign-in page; a member
asking for what they may not see gets the same 404 as for something that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from app.api.deps import SessionDep
from app.api.policies import Policy, ProgramContext
from app.db.models import User
from app.domain.vocabulary import Role
from app.services.access import places_of, roles_in_program
from app.services.auth import user_for_token
from app.web.session_cookie import COOKIE


@dataclass(frozen=True)
class Visitor:
    """Who is signed in, as plain values: error pages render after the transaction ended."""

    id: int
    full_name: str
    email: str


@dataclass(frozen=True)
class ProgramView:
    slug: str
    name: str
    active: bool


class NotSignedInError(Exception):
    """Raised for an anonymous visitor; answered with a redirect to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class PagePublic(Policy):
    """Open to anyone: the sign-in and invitation pages, certificate verification."""

    name = "public"

    def __call__(self, request: Request, session: SessionDep) -> User | None:
        # Public pages still greet a signed-in visitor by name and offer their home.
        token = request.cookies.get(COOKIE)
        user = user_for_token(session, token) if token else None
        request.state.user = Visitor(user.id, user.full_name, user.email) if user else None
        request.state.places = places_of(session, user) if user else []
        return user


class SignedIn(Policy):
    """Any signed-in, active user; the page itself narrows to what that user may see."""

    name = "page:authenticated"

    def __call__(self, request: Request, session: SessionDep) -> User:
        token = request.cookies.get(COOKIE)
        user = user_for_token(session, token) if token else None
        if user is None:
            raise NotSignedInError(request.url.path)
        request.state.user = Visitor(user.id, user.full_name, user.email)
        request.state.places = places_of(session, user)
        return user


class PageRole(Policy):
    """A member of the program in the path with one of ``roles``; 404 for anyone else."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)
        self.name = "page:program:" + "|".join(sorted(r.value for r in roles))

    def __call__(
        self,
        program: str,
        request: Request,
        session: SessionDep,
        user: Annotated[User, Depends(SignedIn())],
    ) -> ProgramContext:
        found, held = roles_in_program(session, user, program)
        if found is None or not held & self.roles:
            raise HTTPException(404, "There is no such page.")
        if not found.active and request.method not in ("GET", "HEAD"):
            raise HTTPException(409, "This program is closed: its record can be read, not changed.")
        request.state.program = ProgramView(found.slug, found.name, found.active)
        request.state.roles = held
        return ProgramContext(found, user, held)


PAGE_PUBLIC = Depends(PagePublic())
MaybeUser = Annotated[User | None, PAGE_PUBLIC]
PageUser = Annotated[User, Depends(SignedIn())]
AdminPage = Annotated[ProgramContext, Depends(PageRole(Role.admin))]
StaffPage = Annotated[ProgramContext, Depends(PageRole(Role.admin, Role.trainer))]
TraineePage = Annotated[ProgramContext, Depends(PageRole(Role.trainee))]
MemberPage = Annotated[ProgramContext, Depends(PageRole(Role.admin, Role.trainer, Role.trainee))]
