"""Signing in and out, and accepting an invitation, in the browser."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.api.deps import SessionDep
from app.services import auth as auth_service
from app.services.errors import InvalidInputError
from app.services.invitations import set_password_with_token
from app.web.policies import PAGE_PUBLIC, MaybeUser
from app.web.session_cookie import COOKIE, clear_session_cookie, set_session_cookie
from app.web.templating import render

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only a path on this site: an open redirect would make our sign-in page a phishing aid."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


@router.get("/login")
def login_page(request: Request, user: MaybeUser, next: str | None = None) -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", {"next": safe_next(next), "email": "", "error": ""})


@router.post("/login", dependencies=[PAGE_PUBLIC])
def login(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    client = request.client.host if request.client else "unknown"
    outcome = auth_service.login(session, email, password, client)
    if outcome.token is None or outcome.expires_at is None:
        # The failed attempt counts towards throttling, so it is kept.
        session.commit()
        error = (
            f"Too many failed attempts. Please wait {outcome.retry_after_seconds} seconds."
            if outcome.retry_after_seconds
            else "Incorrect email or password."
        )
        status = 429 if outcome.retry_after_seconds else 401
        return render(
            request,
            "login.html",
            {"next": safe_next(next), "email": email, "error": error},
            status_code=status,
        )
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(request, response, outcome.token, outcome.expires_at)
    return response


@router.post("/logout", dependencies=[PAGE_PUBLIC])
def logout(request: Request, session: SessionDep) -> Response:
    token = request.cookies.get(COOKIE)
    if token:
        auth_service.logout(session, token)
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(request, response)
    return response


@router.get("/invitation", dependencies=[PAGE_PUBLIC])
def invitation_page(request: Request, token: str = "") -> Response:
    return render(request, "invitation.html", {"token": token, "error": ""})


@router.post("/invitation", dependencies=[PAGE_PUBLIC])
def accept_invitation(
    request: Request,
    session: SessionDep,
    token: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1024)],
    confirm: Annotated[str, Form(max_length=1024)],
) -> Response:
    if password != confirm:
        return render(
            request,
            "invitation.html",
            {"token": token, "error": "The two passwords differ."},
            status_code=422,
        )
    try:
        user = set_password_with_token(session, token, password)
    except InvalidInputError as exc:
        return render(
            request, "invitation.html", {"token": token, "error": str(exc)}, status_code=422
        )
    return render(
        request,
        "login.html",
        {
            "next": "/",
            "email": user.email,
            "error": "",
            "notice": "Your password is set. Please sign in.",
        },
    )
