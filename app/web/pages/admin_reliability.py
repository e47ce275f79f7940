"""The reliability dashboard: IRR per item and domain for any selection, rater quality and
the D-study, with the same charts the program report prints."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.api.deps import SessionDep
from app.domain.vocabulary import Phase, Role
from app.exports.pdf import d_study_curves, item_heatmap
from app.services.errors import InvalidInputError
from app.services.evidence import current_version
from app.services.program_quality import generalizability, rater_quality
from app.services.program_reliability import RatingSelection, program_reliability
from app.services.programs import cohorts_of, members_of
from app.services.ratings import rubric_document
from app.services.reports import ItemReliability
from app.web.policies import AdminPage
from app.web.templating import render

router = APIRouter(prefix="/p/{program}/admin", include_in_schema=False)


def _date(text: str, field: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise InvalidInputError(f"{field}: {text[:20]!r} is not a date (YYYY-MM-DD)") from None


def _phase(text: str) -> Phase | None:
    try:
        return Phase(text) if text else None
    except ValueError:
        raise InvalidInputError(f"phase: {text[:20]!r} is not a phase") from None


@router.get("/reliability")
def dashboard(
    request: Request,
    ctx: AdminPage,
    session: SessionDep,
    cohort: str = "",
    phase: str = "",
    date_from: str = "",
    date_to: str = "",
) -> Response:
    """Filters narrow the IRR; rater quality and the G-study read the whole program, as
    their designs need every complete session."""
    cohorts = cohorts_of(session, ctx.program)
    cohort_id = int(cohort) if cohort.isdigit() else None
    chosen_phase = _phase(phase)
    start, end = _date(date_from, "date_from"), _date(date_to, "date_to")
    chosen = {"cohort": cohort_id, "phase": chosen_phase, "date_from": start, "date_to": end}
    version = current_version(session, ctx.program)
    context: dict[str, object] = {
        "cohorts": cohorts,
        "phases": list(Phase),
        "chosen": chosen,
        "version": version,
        "place_role": Role.admin,
        "section": "reliability",
    }
    if version is not None:
        rubric = rubric_document(version)
        found = program_reliability(
            session,
            RatingSelection(
                ctx.program.id,
                version.id,
                cohort_id=cohort_id,
                phase=chosen_phase,
                date_from=start,
                date_to=end,
                complete_only=True,
            ),
        )
        items = [
            ItemReliability(i.key, i.title, d.key, found.items.get(i.key))
            for d in rubric.domains
            for i in d.items
        ]
        quality = rater_quality(session, ctx.program)
        study = generalizability(session, ctx.program)
        names = {m.user.email: m.user.full_name for m in members_of(session, ctx.program)}
        context |= {
            "rubric": rubric,
            "found": found,
            "heatmap": item_heatmap(items),
            "quality": quality,
            "study": study,
            "d_chart": d_study_curves(study),
            "names": names,
        }
    return render(request, "admin/reliability.html", context)
