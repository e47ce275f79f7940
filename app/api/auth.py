"""OAuth2 password flow: a bearer token for an e-mail and password; logout; password change."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response

from app.api.deps import SessionDep
from app.api.policies import PUBLIC, CurrentUser, bearer_token
from app.api.schemas.auth import MembershipRead, MeRead, PasswordChange, PasswordSet, TokenRead
from app.services import auth as auth_service
from app.services.invitations import set_password_with_token

router = APIRouter(tags=["auth"])

_LOGIN_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Incorrect e-mail or password (which one is not said)"},
    429: {"description": "Too many failed attempts; see Retry-After"},
}


@router.post("/auth/token", dependencies=[PUBLIC], responses=_LOGIN_ERRORS)
def issue_token(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=320, description="E-mail address")],
    password: Annotated[str, Form(max_length=1024)],
) -> TokenRead:
    client = request.client.host if request.client else "unknown"
    outcome = auth_service.login(session, username, password, client)
    if outcome.retry_after_seconds:
        raise HTTPException(
            429,
            f"too many failed attempts; try again in {outcome.retry_after_seconds} s",
            headers={"Retry-After": str(outcome.retry_after_seconds)},
        )
    if outcome.token is None or outcome.expires_at is None:
        # The failed attempt must be kept for throttling: commit before answering.
        session.commit()
        raise HTTPException(
            401, auth_service.GENERIC_FAILURE, headers={"WWW-Authenticate": "Bearer"}
        )
    return TokenRead(access_token=outcome.token, expires_at=outcome.expires_at)


@router.post("/auth/logout", status_code=204, responses={401: {"description": "Not signed in"}})
def revoke_token(
    user: CurrentUser, session: SessionDep, token: Annotated[str, Depends(bearer_token)]
) -> Response:
    auth_service.logout(session, token)
    return Response(status_code=204)


@router.post(
    "/auth/password",
    status_code=204,
    responses={401: {"description": "Not signed in"}, 422: {"description": "Rejected"}},
)
def change_password(
    body: PasswordChange,
    user: CurrentUser,
    session: SessionDep,
    token: Annotated[str, Depends(bearer_token)],
) -> Response:
    auth_service.change_password(session, user, body.current_password, body.new_password, token)
    return Response(status_code=204)


@router.post(
    "/auth/password-set",
    status_code=204,
    dependencies=[PUBLIC],
    responses={422: {"description": "Invalid, used or expired token, or a weak password"}},
)
def set_password(body: PasswordSet, session: SessionDep) -> Response:
    """Spend an invitation's one-time token to choose a password; then log in as usual."""
    set_password_with_token(session, body.token, body.new_password)
    return Response(status_code=204)


@router.get("/me", responses={401: {"description": "Not signed in"}})
def me(user: CurrentUser) -> MeRead:
    return MeRead(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        memberships=[
            MembershipRead(
                program=m.program.slug, role=m.role, cohort=m.cohort.name if m.cohort else None
            )
            for m in user.memberships
            if m.active
        ],
    )
