"""Report charts as SVG: byte-deterministic, and each with a text alternative.

The same SVG goes into the PDF and, inline, into web pages, so every chart carries a
``<title>`` and a ``<desc>`` (named by ``aria-labelledby``) that say in words what it shows:
a screen reader, or a reader of the PDF's text, loses nothing the picture holds.

Determinism is what makes golden-file tests possible: matplotlib's defaults are reset for
every chart (a local matplotlibrc changes nothing), element ids are hashed from the chart's
own id (``svg.hashsalt``) instead of random, the date and creator metadata are left out,
and text stays text (``svg.fonttype="none"``) laid out with the DejaVu Sans metrics that
matplotlib ships. matplotlib's settings are process-wide, so charts are drawn one at a time
under a lock: two requests drawing at once would otherwise swap each other's settings.
"""

from __future__ import annotations

import functools
import io
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from html import escape
from typing import Any, ParamSpec

import matplotlib
import matplotlib.style
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.typing import RcKeyType

__all__ = [
    "Chart",
    "DStudyCurve",
    "DomainBar",
    "DomainSeries",
    "d_study_chart",
    "domain_scores_chart",
    "domain_trends_chart",
    "irr_heatmap",
]

INK = "#1f2933"
MUTED = "#616e7c"
GRID = "#e4e7eb"
LINE = "#2b6a8e"
# Blue bars meet their minimum, orange ones fall below it (blue and orange stay apart for
# colour-blind readers); both are light, so the dark interval and minimum read on them.
MEETS_FILL = "#9ec3d9"
BELOW_FILL = "#f0b27a"
FONT = "DejaVu Sans"
WIDTH_IN = 6.3  # the text width of an A4 page with 2 cm margins, in inches
_LOCK = threading.Lock()
_CACHE_SIZE = 256
_DRAWN: OrderedDict[str, Chart] = OrderedDict()
_P = ParamSpec("_P")


def _memoized(draw: Callable[_P, Chart]) -> Callable[_P, Chart]:
    """Draw each distinct chart once per process.

    A chart is a pure function of its arguments (the golden tests hold it to the byte), and
    drawing costs tens to hundreds of milliseconds, while pages show the same figures to
    every reader until a rating changes them. The key is the arguments' repr: frozen
    dataclasses, tuples and numbers, which spell out every value.
    """

    @functools.wraps(draw)
    def cached(*args: _P.args, **kwargs: _P.kwargs) -> Chart:
        key = f"{draw.__name__}{args!r}{sorted(kwargs.items())!r}"
        with _LOCK:
            found = _DRAWN.get(key)
            if found is not None:
                _DRAWN.move_to_end(key)
                return found
        chart = draw(*args, **kwargs)
        with _LOCK:
            _DRAWN[key] = chart
            while len(_DRAWN) > _CACHE_SIZE:
                _DRAWN.popitem(last=False)
        return chart

    return cached


_RC: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",
    "font.family": FONT,
    "font.size": 8.0,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": INK,
    "axes.linewidth": 0.6,
    "axes.titlesize": 8.5,
    "axes.titlecolor": INK,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "xtick.labelcolor": INK,
    "ytick.labelcolor": INK,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "legend.frameon": False,
    "legend.fontsize": 7.5,
}
# Light to dark blue; agreement below 0 shares the lightest colour (the number says the rest).
_AGREEMENT = LinearSegmentedColormap.from_list("agreement", ["#f4f7fa", "#9ec3d9", "#1c4966"])


@dataclass(frozen=True)
class Chart:
    """An SVG element ready to inline, and the words that stand in for it."""

    svg: str
    title: str
    description: str


@dataclass(frozen=True)
class DomainBar:
    """A domain's score with its 95% interval and the minimum the policy sets (if any)."""

    key: str
    title: str
    score: float | None
    ci95: tuple[float, float] | None
    threshold: float | None


@dataclass(frozen=True)
class DomainSeries:
    """A domain's session means over time, with the trend per 30 days when estimable."""

    key: str
    title: str
    points: tuple[tuple[date, float], ...]
    threshold: float | None
    trend: float | None


@dataclass(frozen=True)
class DStudyCurve:
    """Phi for one number of raters over the numbers of sessions (None where undefined)."""

    n_raters: int
    sessions: tuple[int, ...]
    phi: tuple[float | None, ...]


# --- drawing --------------------------------------------------------------------------


@contextmanager
def _drawing(chart_id: str) -> Iterator[None]:
    with _LOCK, matplotlib.style.context("default"), matplotlib.rc_context():
        matplotlib.rcParams.update(_RC)
        matplotlib.rcParams["svg.hashsalt"] = chart_id
        yield


def _render(fig: Figure, chart_id: str, title: str, description: str) -> Chart:
    """The figure as an inline ``<svg>`` with its title and description first."""
    FigureCanvasSVG(fig)
    out = io.StringIO()
    fig.savefig(
        out, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None}
    )
    text = out.getvalue()
    svg = text[text.index("<svg") :].rstrip() + "\n"
    # Inline beside other charts, ids must be unique in the page: prefix them all (and the
    # references to them), and scope matplotlib's catch-all style to this chart.
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{chart_id}-\1"', svg)
    svg = svg.replace("url(#", f"url(#{chart_id}-").replace('href="#', f'href="#{chart_id}-')
    svg = svg.replace('<style type="text/css">*{', f'<style type="text/css">#{chart_id} *{{', 1)
    labels = f"{chart_id}-title {chart_id}-desc"
    opening = re.match(r"<svg[^>]*>", svg)
    assert opening is not None
    head = opening.group(0)[:-1] + f' id="{chart_id}" role="img" aria-labelledby="{labels}">'
    alternative = (
        f'\n <title id="{chart_id}-title">{escape(title, quote=False)}</title>'
        f'\n <desc id="{chart_id}-desc">{escape(description, quote=False)}</desc>'
    )
    return Chart(head + alternative + svg[opening.end() :], title, description)


def _figure(height_in: float) -> Figure:
    return Figure(figsize=(WIDTH_IN, height_in), layout="constrained")


def _quiet(ax: Axes) -> None:
    """Only the left and bottom spines: less ink, the same information."""
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(length=3)


def _number(value: float | None, decimals: int = 2) -> str:
    return "not estimable" if value is None or not math.isfinite(value) else f"{value:.{decimals}f}"


def _signed(value: float) -> str:
    return f"{value:+.2f}"


# --- the charts -----------------------------------------------------------------------


@_memoized
def domain_scores_chart(
    bars: Sequence[DomainBar], scale: tuple[int, int], *, chart_id: str = "domain-scores"
) -> Chart:
    """Horizontal bars of domain scores with their intervals; a dark tick marks each minimum.

    A bar below its minimum is orange, one that meets it blue; a domain without a score
    shows the words "no score" instead of a bar.
    """
    title = "Domain scores against their minimums"
    parts = []
    for b in bars:
        score = "no score" if b.score is None else f"{b.score:.2f}"
        ci = f" (95% CI {b.ci95[0]:.2f} to {b.ci95[1]:.2f})" if b.ci95 is not None else ""
        minimum = f", minimum {b.threshold:.2f}" if b.threshold is not None else ""
        status = ""
        if b.score is not None and b.threshold is not None:
            status = ", below the minimum" if b.score < b.threshold - 1e-9 else ", meets it"
        parts.append(f"{b.key}. {b.title}: {score}{ci}{minimum}{status}")
    description = (
        f"Bar chart on the rubric scale {scale[0]} to {scale[1]}. " + "; ".join(parts) + "."
    )
    with _drawing(chart_id):
        fig = _figure(0.45 + 0.36 * max(1, len(bars)))
        ax = fig.add_subplot()
        ys = list(range(len(bars)))[::-1]
        for y, b in zip(ys, bars, strict=True):
            if b.score is None:
                ax.text(scale[0] + 0.05, y, "no score", va="center", color=MUTED, fontsize=7.5)
            else:
                below = b.threshold is not None and b.score < b.threshold - 1e-9
                ax.barh(y, b.score - scale[0], left=scale[0], height=0.58,
                        color=BELOW_FILL if below else MEETS_FILL)  # fmt: skip
                # The figure sits at the bar's foot, where no interval line crosses it.
                inside = b.score - scale[0] >= 0.12 * (scale[1] - scale[0])
                ax.text(scale[0] + 0.02 * (scale[1] - scale[0]) if inside else b.score + 0.05,
                        y, f"{b.score:.2f}", va="center", fontsize=7, color=INK)  # fmt: skip
            if b.ci95 is not None:
                low, high = (min(max(v, scale[0]), scale[1]) for v in b.ci95)
                ax.plot([low, high], [y, y], color=INK, linewidth=0.9, solid_capstyle="butt")
            if b.threshold is not None:
                ax.plot([b.threshold] * 2, [y - 0.38, y + 0.38], color=INK, linewidth=1.6)
        ax.set_yticks(ys, [f"{b.key}. {b.title}" for b in bars])
        ax.set_xlim(scale[0], scale[1])
        ax.set_ylim(-0.6, len(bars) - 0.4)
        ax.set_xlabel("mean over sessions (bar), 95% interval (line), minimum (dark tick)")
        ax.grid(axis="x", color=GRID, linewidth=0.6)
        ax.set_axisbelow(True)
        _quiet(ax)
        return _render(fig, chart_id, title, description)


@_memoized
def domain_trends_chart(
    series: Sequence[DomainSeries], scale: tuple[int, int], *, chart_id: str = "domain-trends"
) -> Chart:
    """One small panel per domain: its session means by date, and its minimum dashed."""
    title = "Domain means per session over time"
    parts = []
    for s in series:
        points = ", ".join(f"{d.isoformat()} {v:.2f}" for d, v in s.points) or "no session"
        trend = (
            f"; trend {_signed(s.trend)} per 30 days" if s.trend is not None and math.isfinite(
                s.trend) else ""
        )  # fmt: skip
        parts.append(f"{s.key}. {s.title}: {points}{trend}")
    description = (
        f"Line charts on the rubric scale {scale[0]} to {scale[1]}, one per domain. "
        + "; ".join(parts)
        + "."
    )
    columns = 3
    rows = max(1, math.ceil(len(series) / columns))
    with _drawing(chart_id):
        fig = _figure(0.3 + 1.55 * rows)
        axes = fig.subplots(rows, columns, squeeze=False, sharey=True)
        for i, ax in enumerate(axes.flat):
            if i >= len(series):
                ax.set_axis_off()
                continue
            s = series[i]
            heading = f"{s.key}. {s.title}"
            if len(heading) > 30:
                heading = heading[:29].rstrip() + "…"
            ax.set_title(heading, loc="left")
            if s.threshold is not None:
                ax.axhline(s.threshold, color=INK, linewidth=0.8, linestyle=(0, (4, 2)))
            if s.points:
                xs = [d.toordinal() for d, _ in s.points]
                ys = [v for _, v in s.points]
                ax.plot(xs, ys, color=LINE, linewidth=1.2, marker="o", markersize=2.8)
                first, last = min(xs), max(xs)
                pad = max(3, (last - first) // 12)
                ax.set_xlim(first - pad, last + pad)
                ticks = sorted({first, last})
                ax.set_xticks(ticks, [date.fromordinal(t).strftime("%d %b %y") for t in ticks])
            else:
                ax.set_xticks([])
                ax.text(0.5, 0.8, "no session", transform=ax.transAxes, ha="center",
                        color=MUTED)  # fmt: skip
            if s.trend is not None and math.isfinite(s.trend):
                ax.text(0.98, 0.04, f"{_signed(s.trend)} / 30 d", transform=ax.transAxes,
                        ha="right", fontsize=7, color=MUTED)  # fmt: skip
            ax.set_ylim(scale[0], scale[1])
            ax.grid(axis="y", color=GRID, linewidth=0.6)
            ax.set_axisbelow(True)
            _quiet(ax)
        return _render(fig, chart_id, title, description)


@_memoized
def irr_heatmap(
    items: Sequence[tuple[str, str]],
    coefficients: Sequence[tuple[str, str]],
    values: Sequence[Sequence[float | None]],
    *,
    chart_id: str = "irr-heatmap",
) -> Chart:
    """Agreement per item (rows: key and title) and coefficient (columns: name and label).

    Cells are shaded from 0 (light) to 1 (dark) and carry their value; an undefined
    coefficient is a blank grey cell marked with a dash.
    """
    title = "Inter-rater reliability per item"
    labels = [label for _, label in coefficients]
    rows = []
    for (key, _), row in zip(items, values, strict=True):
        cells = ", ".join(f"{label} {_number(v)}" for label, v in zip(labels, row, strict=True))
        rows.append(f"{key}: {cells}")
    description = (
        "Heat map of agreement coefficients per rubric item, shaded from 0 (light) to 1 "
        "(dark). " + ("; ".join(rows) if rows else "No item has ratings from two raters") + "."
    )
    with _drawing(chart_id):
        fig = _figure(0.9 + 0.2 * max(1, len(items)))
        ax = fig.add_subplot()
        grid = np.ma.masked_invalid(
            np.array(
                [[math.nan if v is None else v for v in row] for row in values], dtype=float
            ).reshape(len(values), len(coefficients))
        )
        cmap = _AGREEMENT.with_extremes(bad="#eceff1")
        image = ax.pcolormesh(grid, cmap=cmap, vmin=0.0, vmax=1.0, edgecolors="white",
                              linewidth=0.8)  # fmt: skip
        ax.set_xlim(0, len(coefficients))
        ax.set_ylim(max(1, len(values)), 0)
        for r, row in enumerate(values):
            for c, v in enumerate(row):
                shown = "–" if v is None or not math.isfinite(v) else f"{v:.2f}"
                dark = v is not None and math.isfinite(v) and v > 0.62
                ax.text(c + 0.5, r + 0.5, shown, ha="center", va="center", fontsize=6.5,
                        color="white" if dark else INK)  # fmt: skip
        names = [f"{k}  {t[:34] + '…' if len(t) > 35 else t}" for k, t in items]
        ax.set_yticks([r + 0.5 for r in range(len(items))], names)
        ax.set_xticks([c + 0.5 for c in range(len(coefficients))],
                      [label.replace(" ", "\n", 1) for label in labels])  # fmt: skip
        ax.xaxis.tick_top()
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        bar = fig.colorbar(image, ax=ax, shrink=0.6, pad=0.02, aspect=30)
        bar.outline.set_visible(False)
        bar.ax.tick_params(length=0, labelsize=6.5)
        return _render(fig, chart_id, title, description)


@_memoized
def d_study_chart(
    curves: Sequence[DStudyCurve], target: float, *, chart_id: str = "d-study"
) -> Chart:
    """Phi against the number of sessions per trainee, one line per number of raters."""
    title = "D-study: dependability by raters and sessions"
    parts = []
    for c in curves:
        reached = next(
            (n for n, p in zip(c.sessions, c.phi, strict=True) if p is not None and p >= target),
            None,
        )
        at = (
            f"reaches {target:.2f} at {reached} sessions" if reached is not None
            else f"stays below {target:.2f} up to {max(c.sessions)} sessions"
        )  # fmt: skip
        last = c.phi[-1] if c.phi else None
        parts.append(
            f"{c.n_raters} rater{'s' if c.n_raters != 1 else ''}: {at} "
            f"(Phi {_number(last)} at {max(c.sessions)})"
        )
    description = (
        f"Line chart of Phi against sessions per trainee; target {target:.2f} dashed. "
        + "; ".join(parts)
        + "."
    )
    shades = ["#9ec3d9", "#6aa2c4", "#2b6a8e", "#1c4966", "#0d2a3d"]
    with _drawing(chart_id):
        fig = _figure(2.5)
        ax = fig.add_subplot()
        for i, c in enumerate(curves):
            points = [(n, p) for n, p in zip(c.sessions, c.phi, strict=True) if p is not None]
            if not points:
                continue
            ax.plot([n for n, _ in points], [p for _, p in points], marker="o", markersize=2.5,
                    linewidth=1.2, color=shades[min(i, len(shades) - 1)],
                    label=f"{c.n_raters} rater{'s' if c.n_raters != 1 else ''}")  # fmt: skip
        ax.axhline(target, color=INK, linewidth=0.8, linestyle=(0, (4, 2)))
        ax.text(0.01, target + 0.015, f"target {target:.2f}", transform=ax.get_yaxis_transform(),
                va="bottom", fontsize=7, color=INK)  # fmt: skip
        ax.set_ylim(0, 1)
        ax.set_xlabel("sessions per trainee")
        ax.set_ylabel("Phi")
        if curves:
            ax.set_xticks(sorted({n for c in curves for n in c.sessions}))
        ax.grid(color=GRID, linewidth=0.6)
        ax.set_axisbelow(True)
        ax.legend(loc="lower right")
        _quiet(ax)
        return _render(fig, chart_id, title, description)
