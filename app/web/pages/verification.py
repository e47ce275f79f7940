"""The public verification page: what a third party sees when they follow a certificate's URL.

The address is the one printed on certificates, ``/verify/{id}``, which also answers JSON
to programs; browsers asking for HTML get this page (see app/api/certificates.py).
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from app.services.certificates import PublicStatus
from app.web.templating import render


def wants_page(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept.split("text/html")[0]


def verification_page(request: Request, found: PublicStatus) -> HTMLResponse:
    return render(request, "verify.html", {"found": found})
