"""The rubric catalogue, read-only: rubrics change through their files, never in a browser.

Any signed-in user may read it (the catalogue is public through the API as well): raters
study the anchors, trainees what they are rated on, admins which version a program uses.
"""

from __future__ import annotations

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from app.api.deps import SessionDep
from app.services.ratings import rubric_document
from app.services.rubrics import get_rubric_version, latest_published, list_rubrics
from app.web.policies import PageUser
from app.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/rubrics")
def catalogue(request: Request, user: PageUser, session: SessionDep) -> Response:
    rubrics = list_rubrics(session)
    return render(
        request,
        "rubrics/index.html",
        {"rubrics": [(r, latest_published(r)) for r in rubrics]},
    )


@router.get("/rubrics/{rubric_id}/{version}")
def rubric_version(
    request: Request,
    user: PageUser,
    session: SessionDep,
    rubric_id: str = Path(max_length=64),
    version: str = Path(max_length=32),
) -> Response:
    found = get_rubric_version(session, rubric_id, version)
    document = rubric_document(found)
    return render(
        request,
        "rubrics/version.html",
        {
            "found": found,
            "rubric": document,
            "versions": found.rubric.versions,
            "scale": {p.value: p for p in document.scale.points},
        },
    )
