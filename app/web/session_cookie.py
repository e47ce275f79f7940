"""The sign-in cookie: the API's opaque token, kept where page scripts cannot read it."""

from __future__ import annotations

from datetime import datetime

from fastapi import Request, Response

from app.db.base import utcnow

COOKIE = "gh_session"


def is_https(request: Request) -> bool:
    """Whether the browser reached us over https (directly, or through a trusted proxy)."""
    return request.url.scheme == "https"


def set_session_cookie(
    request: Request, response: Response, token: str, expires_at: datetime
) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=max(0, int((expires_at - utcnow()).total_seconds())),
        path="/",
        httponly=True,
        secure=is_https(request),
        samesite="lax",
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        COOKIE, path="/", httponly=True, secure=is_https(request), samesite="lax"
    )
