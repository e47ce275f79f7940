"""Browser-facing protections: security headers on every response, CSRF on every form.

Pages use cookies, so a forged cross-site form could act for a signed-in user: every
unsafe request must carry the token asgi-csrf issues (a form field or the ``x-csrftoken``
header htmx sends). The JSON API authenticates with bearer tokens only, never the cookie,
so it is outside the CSRF check.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from asgi_csrf import Errors, asgi_csrf
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.web.templating import render_bytes

# No inline script anywhere (scripts are static files); inline style only for the SVG
# charts rendered on the server, which carry presentation attributes.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; media-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
_STATIC_PREFIX = "/static/"


class SecurityHeaders:
    """Adds the headers above; pages (personal data) are never stored by any cache."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith(_STATIC_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"cache-control"]
                headers += _HEADERS
                headers.append(
                    (b"cache-control", b"public, max-age=86400" if static else b"no-store")
                )
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _outside_csrf(scope: Scope) -> bool:
    path = str(scope.get("path", ""))
    return path.startswith("/api/")


async def _csrf_failed(scope: Scope, send: Send, message_id: Any) -> None:
    detail = (
        "The form had expired or came from another site. Go back, reload the page and try again."
        if message_id in (Errors.FORM_URLENCODED_MISMATCH, Errors.MULTIPART_MISMATCH)
        else "The form could not be checked. Reload the page and try again."
    )
    body = render_bytes("error.html", {"status": 403, "title": "Form refused", "detail": detail})
    await send(
        {
            "type": "http.response.start",
            "status": HTTPStatus.FORBIDDEN,
            "headers": [(b"content-type", b"text/html; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": body})


class CSRFProtection:
    """asgi-csrf as a Starlette middleware class, so the app stays a FastAPI instance."""

    def __init__(self, app: ASGIApp, secret: str, secure: bool) -> None:
        self.app = asgi_csrf(
            app,
            signing_secret=secret,
            skip_if_scope=_outside_csrf,
            cookie_secure=secure,
            cookie_samesite="Lax",
            send_csrf_failed=_csrf_failed,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
