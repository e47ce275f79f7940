"""Browser-facing protections: security headers on every response, CSRF on every form.

Pages use cookies, so a forged cross-site form could act for a signed-in user: every
unsafe request must carry the token asgi-csrf issues (a form field or the ``x-csrftoken``
header htmx sends). The JSON API authenticates with bearer tokens only, never the cookie,
so it is outside the CSRF check.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from asgi_csrf import DEFAULT_COOKIE_NAME as COOKIE_NAME
from asgi_csrf import DEFAULT_SIGNING_NAMESPACE as SIGNING_NAMESPACE
from asgi_csrf import Errors, asgi_csrf
from itsdangerous import BadSignature, URLSafeSerializer
from python_multipart import FormParser
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import Field
from starlette.requests import cookie_parser
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
HEADER_NAME = b"x-csrftoken"


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


# Set on a request whose multipart form this module has already checked (see below).
_CHECKED = "guidinghand.csrf_checked"
# A form whose token is not within this many bytes is refused rather than read further.
_MAX_BEFORE_TOKEN = 64 * 1024 * 1024


def _outside_csrf(scope: Scope) -> bool:
    path = str(scope.get("path", ""))
    return path.startswith("/api/") or bool(scope.get(_CHECKED))


@dataclass
class _Reading:
    token: str | None = None
    file_first: bool = False


async def _multipart_token(
    content_type: bytes, receive: Receive
) -> tuple[str | None, Errors | None, Receive]:
    """The form's ``csrftoken`` field, read from the body up to it; then the whole body again.

    The token must come before any file, as asgi-csrf requires, so that an upload is never
    read in full on behalf of a forged form.
    """
    boundary = content_type.partition(b"boundary=")[2].split(b";")[0].strip().strip(b'"')
    messages: list[Message] = []
    reading = _Reading()

    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    def on_field(field: Field) -> None:
        if field.field_name == b"csrftoken" and reading.token is None:
            reading.token = (field.value or b"").decode("utf-8", "replace")

    def on_file(_: object) -> None:
        reading.file_first = reading.file_first or reading.token is None

    parser = FormParser("multipart/form-data", on_field, on_file, boundary=boundary)
    seen, more = 0, True
    while more:
        message = await receive()
        messages.append(message)
        chunk = message.get("body", b"")
        seen += len(chunk)
        if seen > _MAX_BEFORE_TOKEN:
            return None, Errors.MULTIPART_MISMATCH, replay
        try:
            parser.write(chunk)
        except FormParserError:
            return None, Errors.MULTIPART_MISMATCH, replay
        if reading.file_first:
            return None, Errors.FILE_BEFORE_TOKEN, replay
        if reading.token is not None:
            return reading.token, None, replay
        more = message.get("more_body", False)
    return None, Errors.MULTIPART_MISMATCH, replay


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
    """asgi-csrf as a Starlette middleware class, so the app stays a FastAPI instance.

    asgi-csrf 0.11 cannot read multipart forms with python-multipart 0.0.26 and later (its
    FormParser call fails: simonw/asgi-csrf#38), and the versions before carry known
    vulnerabilities. So the token of a multipart form (a file upload) is checked here, the
    way asgi-csrf checks it: the form's field must equal the signed token in the cookie.
    """

    def __init__(self, app: ASGIApp, secret: str, secure: bool) -> None:
        self._signer = URLSafeSerializer(secret)
        self._api = app
        self.app = asgi_csrf(
            app,
            signing_secret=secret,
            skip_if_scope=_outside_csrf,
            cookie_secure=secure,
            cookie_samesite="Lax",
            send_csrf_failed=_csrf_failed,
        )

    def _cookie_token(self, scope: Scope) -> str | None:
        headers = dict(scope.get("headers") or [])
        token = cookie_parser(headers.get(b"cookie", b"").decode("latin-1")).get(COOKIE_NAME)
        if not token:
            return None
        try:
            self._signer.loads(token, SIGNING_NAMESPACE)
        except BadSignature:
            return None
        return token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if str(scope.get("path", "")).startswith("/api/"):
            # Bearer tokens, never cookies, authenticate the API: there is nothing to forge,
            # and no page needs the token cookie asgi-csrf would otherwise set on the answer.
            await self._api(scope, receive, send)
            return
        headers = dict(scope.get("headers") or []) if scope["type"] == "http" else {}
        content_type = headers.get(b"content-type", b"")
        if (
            scope["type"] == "http"
            and scope["method"] not in ("GET", "HEAD", "OPTIONS", "TRACE")
            and content_type.split(b";")[0].strip().lower() == b"multipart/form-data"
            and b"cookie" in headers
            and not _outside_csrf(scope)
        ):
            expected = self._cookie_token(scope)
            sent = headers.get(HEADER_NAME, b"").decode("latin-1")
            problem: Errors | None = None
            if not (expected and secrets.compare_digest(sent, expected)):
                token, problem, receive = await _multipart_token(content_type, receive)
                if problem is None and not (
                    expected and token is not None and secrets.compare_digest(token, expected)
                ):
                    problem = Errors.MULTIPART_MISMATCH
            if problem is not None:
                await _csrf_failed(scope, send, problem)
                return
            scope = {**scope, _CHECKED: True}
        await self.app(scope, receive, send)
