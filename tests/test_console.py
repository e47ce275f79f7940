"""The CLI's progress bar stays silent for quick work and shows for long work."""

from __future__ import annotations

import io
import time

from rich.console import Console

from app.console import DelayedProgress


def _console(buffer: io.StringIO) -> Console:
    return Console(file=buffer, force_terminal=True, width=80)


def test_quick_work_prints_nothing() -> None:
    buffer = io.StringIO()
    with DelayedProgress("bootstrap", delay_seconds=10, console=_console(buffer)) as progress:
        for done in range(0, 1001, 50):
            progress.update(done, 1000)
    assert buffer.getvalue() == ""


def test_long_work_shows_a_bar() -> None:
    buffer = io.StringIO()
    with DelayedProgress("bootstrap", delay_seconds=0.01, console=_console(buffer)) as progress:
        progress.update(50, 1000)
        time.sleep(0.02)
        progress.update(500, 1000)
        progress.update(900, 1000)
    output = buffer.getvalue()
    assert "bootstrap" in output
    assert "900/1000" in output
