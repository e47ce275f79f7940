"""The trainee's pages: their readiness and what it rests on, their sessions, and the
released feedback on each. Every figure comes from ``app.services.trainee_view``, which
shows a trainee no more than the API does: released, complete sessions of their own."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.api.common import Id
from app.api.deps import SessionDep
from app.api.reports import PDF, attachment, release
from app.db.models import Rating
from app.domain.anchors import anchor_level
from app.domain.readiness import ReadinessResult
from app.domain.reliability.results import Estimate, Result
from app.domain.vocabulary import Role
from app.exports.charts import (
    Chart,
    DomainBar,
    DomainSeries,
    domain_scores_chart,
    domain_trends_chart,
)
from app.exports.pdf import trainee_report_pdf
from app.services.ratings import rubric_document
from app.services.readiness import decisions_of
from app.services.reports import trainee_report
from app.services.trainee_view import (
    TRAINEE,
    SessionFeedback,
    own_readiness,
    own_sessions,
    session_feedback,
)
from app.web.plain_words import explain
from app.web.policies import TraineePage
from app.web.templating import render

router = APIRouter(prefix="/p/{program}/trainee", include_in_schema=False)


@dataclass(frozen=True)
class DomainRow:
    """A domain's figures as the dashboard's table (and the charts' text) shows them."""

    key: str
    title: str
    n_sessions: int
    score: float | None
    ci95: tuple[float, float] | None
    threshold: float | None
    trend: float | None
    trend_ci95: tuple[float, float] | None

    @property
    def meets(self) -> bool | None:
        if self.threshold is None or self.score is None:
            return None
        return self.score >= self.threshold - 1e-9


@dataclass(frozen=True)
class TrendPoint:
    session_date: date
    means: dict[str, float]  # domain key -> that session's domain mean


def _value(result: Result) -> tuple[float | None, tuple[float, float] | None]:
    if isinstance(result, Estimate):
        return result.value, result.ci95
    return None, None


def _domain_rows(result: ReadinessResult) -> list[DomainRow]:
    rows = []
    for d in result.domains:
        score, ci = _value(d.score)
        trend, trend_ci = _value(d.trend)
        rows.append(DomainRow(d.key, d.title, d.n_sessions, score, ci, d.min_mean, trend, trend_ci))
    return rows


def _charts(
    rows: Sequence[DomainRow], result: ReadinessResult, scale: tuple[int, int]
) -> tuple[Chart, Chart]:
    """Domain scores against their minimums, and each domain's session means over time."""
    bars = [DomainBar(d.key, d.title, d.score, d.ci95, d.threshold) for d in rows]
    series = [
        DomainSeries(
            d.key,
            d.title,
            tuple(
                (s.session_date, s.domain_means[d.key])
                for s in result.sessions
                if d.key in s.domain_means
            ),
            d.threshold,
            d.trend,
        )
        for d in rows
    ]
    return domain_scores_chart(bars, scale), domain_trends_chart(series, scale)


def _rating_mean(rating: Rating) -> float | None:
    given = [s.score for s in rating.scores if s.score is not None]
    return sum(given) / len(given) if given else None


@router.get("")
def dashboard(request: Request, ctx: TraineePage, session: SessionDep) -> Response:
    mine = own_sessions(session, ctx.program, ctx.user)
    found = own_readiness(session, ctx.program, ctx.user)
    latest = next((s for s in mine if s.released), None)
    context: dict[str, object] = {
        "found": found,
        "latest": latest,
        "rating_mean": _rating_mean,
        "n_released": sum(s.released for s in mine),
        "n_waiting": sum(not s.released for s in mine),
        "decisions": decisions_of(session, ctx.program, ctx.user, TRAINEE, ctx.user.id),
        "place_role": Role.trainee,
        "section": "progress",
    }
    if found is not None:
        result = found.result
        rubric = rubric_document(found.version)
        domains = _domain_rows(result)
        scores_chart, trends_chart = _charts(domains, result, (rubric.scale.min, rubric.scale.max))
        context |= {
            "result": result,
            "rubric": rubric,
            "missing": explain(result.missing, rubric),
            "unmet": explain(result.unmet, rubric),
            "notes": explain(result.notes, rubric),
            "domains": domains,
            "scores_chart": scores_chart,
            "trends_chart": trends_chart,
            "trend": [TrendPoint(s.session_date, dict(s.domain_means)) for s in result.sessions],
        }
    return render(request, "trainee/dashboard.html", context)


@router.get("/report.pdf")
def report_pdf(ctx: TraineePage, session: SessionDep) -> Response:
    """The trainee's own readiness report as PDF, as the reports API gives it to them."""
    report = trainee_report(session, ctx.program, ctx.user.id, viewer=ctx.user, roles=TRAINEE)
    release(session)
    name = f"{ctx.program.slug}-my-readiness-report.pdf"
    return attachment(trainee_report_pdf(report), PDF, name)


@router.get("/sessions")
def sessions(request: Request, ctx: TraineePage, session: SessionDep) -> Response:
    found = own_readiness(session, ctx.program, ctx.user)
    assessed = {s.session_id: s for s in found.result.sessions} if found else {}
    return render(
        request,
        "trainee/sessions.html",
        {
            "mine": own_sessions(session, ctx.program, ctx.user),
            "assessed": assessed,
            "rating_mean": _rating_mean,
            "place_role": Role.trainee,
            "section": "sessions",
        },
    )


@dataclass(frozen=True)
class Given:
    """One rater's score of an item (None: not applicable in their view)."""

    rater: str
    score: int | None
    label: str


@dataclass(frozen=True)
class AnchorRow:
    """An anchor of the item that some score reaches, or that is a rater's next level."""

    score: int
    text: str
    reached: tuple[Given, ...]
    next_for: tuple[str, ...]  # raters for whom this anchor is the next level


@dataclass(frozen=True)
class RaterNote:
    """One rater's evidence on an item, and their harm flag if they raised one."""

    rater: str
    evidence: tuple[tuple[int, str], ...]
    harm_note: str | None


@dataclass(frozen=True)
class ItemView:
    key: str
    title: str
    safety_gate: bool
    given: tuple[Given, ...]
    anchors: tuple[AnchorRow, ...]
    notes: tuple[RaterNote, ...]


@dataclass(frozen=True)
class DomainView:
    key: str
    title: str
    items: tuple[ItemView, ...]


def _anchor_rows(anchors: dict[int, str], given: Sequence[Given]) -> tuple[AnchorRow, ...]:
    """Each anchor a score reaches and each rater's next level, once, lowest first: two
    raters a point apart often share an anchor, and one's next level is often the other's."""
    levels = [(g, anchor_level(anchors, g.score)) for g in given if g.score is not None]
    reached = {a.score for _, a in levels}
    wanted = reached | {a.next_score for _, a in levels if a.next_score is not None}
    return tuple(
        AnchorRow(
            score,
            anchors[score],
            tuple(g for g, a in levels if a.score == score),
            tuple(g.rater for g, a in levels if a.next_score == score),
        )
        for score in sorted(wanted)
    )


def _items(feedback: SessionFeedback) -> list[DomainView]:
    """Items in rubric order, each with its raters' scores, the anchors that describe them
    and the raters' notes; items no rater scored (not in this session's phase or
    modalities) are left out."""
    rubric = feedback.rubric
    labels = {p.value: p.label for p in rubric.scale.points}
    given: dict[str, list[Given]] = {}
    notes: dict[str, list[RaterNote]] = {}
    for rating in feedback.ratings:
        rater = feedback.raters[rating.id]
        for s in rating.scores:
            key = feedback.item_keys[s.item_id]
            label = labels.get(s.score, "") if s.score is not None else "Not applicable"
            given.setdefault(key, []).append(Given(rater, s.score, label))
            evidence = tuple((e.timestamp_seconds, e.note) for e in s.evidence)
            if evidence or s.harm_flag:
                harm = s.harm_note if s.harm_flag else None
                notes.setdefault(key, []).append(RaterNote(rater, evidence, harm))
    domains = []
    for domain in rubric.domains:
        items = tuple(
            ItemView(
                item.key,
                item.title,
                item.safety_gate,
                tuple(given[item.key]),
                _anchor_rows(item.anchors, given[item.key]),
                tuple(notes.get(item.key, ())),
            )
            for item in domain.items
            if item.key in given
        )
        if items:
            domains.append(DomainView(domain.key, domain.title, items))
    return domains


@dataclass(frozen=True)
class Change:
    """An amendment of a submitted rating, as the trainee reads it."""

    rater: str
    when: datetime
    by: str
    item: str | None
    field: str
    before: object
    after: object
    reason: str


@router.get("/sessions/{session_id}")
def session_page(
    request: Request, session_id: Id, ctx: TraineePage, session: SessionDep
) -> Response:
    feedback = session_feedback(session, ctx.program, ctx.user, session_id)
    changes = [
        Change(
            rater=feedback.raters[r.id],
            when=a.created_at,
            by=feedback.amenders[a.amended_by_id],
            item=feedback.item_keys[a.item_id] if a.item_id is not None else None,
            field=a.field.replace("_", " "),
            before=a.old_value,
            after=a.new_value,
            reason=a.reason,
        )
        for r in feedback.ratings
        for a in feedback.amendments[r.id]
    ]
    return render(
        request,
        "trainee/session.html",
        {
            "feedback": feedback,
            "recorded": feedback.recorded,
            "domains": _items(feedback),
            "changes": changes,
            "place_role": Role.trainee,
            "section": "sessions",
        },
    )
