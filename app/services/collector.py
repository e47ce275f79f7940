"""The cyclic garbage collector held off while a program-wide computation runs.

Readiness, rater quality, the G-study and the program IRR read a whole program (a million
item scores) and answer with tens of thousands of small objects: sessions, their ratings,
domain means. None of them forms a reference cycle, yet every 700 allocations the
collector walks the young objects and every few of those walks all of them: for readiness
of 2,400 trainees that was a fifth of the time, finding nothing to free. Held off, the
collector runs as usual afterwards and frees any cycle created meanwhile then.

The collector is one per process and requests run in threads, so the pause is counted:
it ends when the last computation holding it ends, and it never switches on a collector
that was off before the first one began.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_lock = threading.Lock()
_holders = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Hold the cyclic collector off for the body (reference counting frees as usual)."""
    global _holders, _was_enabled
    with _lock:
        if _holders == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _was_enabled:
                gc.enable()


def without_collector(function: Callable[P, R]) -> Callable[P, R]:
    """``function`` run inside :func:`collector_paused`."""

    @wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with collector_paused():
            return function(*args, **kwargs)

    return run
