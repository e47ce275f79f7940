"""The home page: straight to the user's work when they have one role, a choice otherwise."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from app.services.access import Place
from app.web.policies import PageUser
from app.web.templating import render

router = APIRouter(include_in_schema=False)


def home_of(place: Place) -> str:
    return f"/p/{place.program_slug}/{place.role.value}"


@router.get("/")
def home(request: Request, user: PageUser) -> Response:
    places = request.state.places
    if len(places) == 1:
        return RedirectResponse(home_of(places[0]), status_code=303)
    return render(request, "home.html", {"choices": [(p, home_of(p)) for p in places]})
