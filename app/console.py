"""Terminal presentation for the CLI: result tables on stdout, progress on stderr."""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
from rich.table import Table

from app.domain.reliability.panel import ReliabilityReport


class DelayedProgress:
    """A progress bar on stderr that appears only once work has taken more than a moment.

    Short runs stay silent, so scripted use and quick calls print nothing extra.
    """

    def __init__(
        self, label: str, delay_seconds: float = 0.3, console: Console | None = None
    ) -> None:
        self._label = label
        self._delay = delay_seconds
        self._console = console or Console(stderr=True)
        self._started = time.monotonic()
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> DelayedProgress:
        self._started = time.monotonic()
        return self

    def update(self, done: int, total: int) -> None:
        if self._bar is None:
            if time.monotonic() - self._started < self._delay or done >= total:
                return
            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total}"),
                TimeRemainingColumn(),
                console=self._console,
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task(self._label, total=total)
        assert self._task is not None
        self._bar.update(self._task, completed=done, total=total)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def render_report(report: ReliabilityReport, console: Console | None = None) -> None:
    out = console or Console()
    out.print(
        f"{report.n_subjects} subjects, {report.n_raters} raters, {report.n_ratings} ratings; "
        f"level {report.level}"
    )
    table = Table(show_edge=False, header_style="bold")
    for column in ("coefficient", "value", "95% CI", "interpretation"):
        table.add_column(column, justify="right" if column == "value" else "left")
    methods: dict[str, list[str]] = {}
    for name, c in report.coefficients.items():
        e = c.estimate
        ci = f"[{_fmt(e.ci95[0])}, {_fmt(e.ci95[1])}]" if e.ci95 else "-"
        table.add_row(name, _fmt(e.value), ci, c.interpretation.label)
        methods.setdefault(e.ci_method, []).append(name)
    out.print(table)
    for method, names in methods.items():
        out.print(f"CI {', '.join(names)}: {method}", style="dim", highlight=False)
    for note in report.notes:
        out.print(f"note: {note}", highlight=False)
    sources = sorted({c.interpretation.source for c in report.coefficients.values()})
    for source in sources:
        out.print(f"labels: {source}", style="dim", highlight=False)
