"""Friendly error pages: the same statuses as the API, explained in words, never a traceback."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import cast
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import WebSocketRequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.web.policies import NotSignedInError
from app.web.templating import render

Handler = Callable[[Request, Exception], Awaitable[Response]]

_NOT_PAGES = ("/api/", "/healthz", "/keys/", "/openapi.json", "/docs", "/static/")

TITLES = {
    400: "That request was not understood",
    401: "Please sign in",
    403: "Not allowed",
    404: "Page not found",
    405: "Not allowed here",
    409: "That changed in the meantime",
    422: "Please check what you entered",
    429: "Too many attempts",
    500: "Something went wrong on our side",
}


def is_page(request: Request) -> bool:
    """Whether an error should be answered as a page: a browser asking for one of ours."""
    path = request.url.path
    if path.startswith(_NOT_PAGES):
        return False
    return "text/html" in request.headers.get("accept", "") or "hx-request" in request.headers


def error_page(request: Request, status: int, detail: str) -> HTMLResponse:
    if status == 500:
        detail = "The error has been logged. Please try again in a moment."
    title = TITLES.get(status, "Something went wrong")
    if "hx-request" in request.headers:
        # htmx shows this fragment in the page's message area (see static/app.js).
        return render(
            request, "_message.html", {"kind": "error", "text": detail}, status_code=status
        )
    return render(
        request,
        "error.html",
        {"status": status, "title": title, "detail": detail},
        status_code=status,
    )


async def sign_in_redirect(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NotSignedInError)
    target = "/login"
    if exc.next_path.startswith("/") and not exc.next_path.startswith("//"):
        target += "?next=" + quote(exc.next_path, safe="/")
    if "hx-request" in request.headers:
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def install_page_errors(app: FastAPI) -> None:
    """Answer a page's errors as pages, with the API handler's status and message.

    Each JSON handler the API installed stays the single source of statuses and wording;
    this only changes the form of the answer when a browser asked for a page.
    """
    for exc_class, installed in list(app.exception_handlers.items()):
        if (
            not isinstance(exc_class, type)
            or not issubclass(exc_class, Exception)
            or issubclass(exc_class, WebSocketRequestValidationError)
        ):
            continue
        json_handler = cast(Handler, installed)

        async def handler(
            request: Request, exc: Exception, json_handler: Handler = json_handler
        ) -> Response:
            answer = await json_handler(request, exc)
            if not is_page(request):
                return answer
            message = json.loads(bytes(answer.body)).get("message", "") if answer.body else ""
            return error_page(request, answer.status_code, str(message))

        app.add_exception_handler(exc_class, handler)
    app.add_exception_handler(NotSignedInError, sign_in_redirect)
