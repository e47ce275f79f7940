"""When a login may be tried again after failures: delays that grow, but never forever.

Each scope (an account from one address, an account from anywhere, one client address)
allows some free failures within a window, then doubles a delay from the last failure up to
a cap. A cap, not a lock: an attacker can slow a user down but never shut them out for good,
and failures older than the window are forgotten.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ThrottleRule:
    free_failures: int
    base_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(minutes=15)
    window: timedelta = timedelta(hours=1)


# An account from one address is the usual guesser; an account from many addresses and an
# address trying many accounts are the distributed and spraying variants.
ACCOUNT_FROM_ADDRESS = ThrottleRule(free_failures=5)
ACCOUNT = ThrottleRule(free_failures=20)
ADDRESS = ThrottleRule(free_failures=20)


def retry_after(failures: Sequence[datetime], now: datetime, rule: ThrottleRule) -> timedelta:
    """How long to wait before the next attempt; zero when it may go ahead.

    ``failures`` are the failed attempts since the last success, oldest first.

    >>> from datetime import UTC
    >>> t0 = datetime(2026, 1, 1, tzinfo=UTC)
    >>> rule = ThrottleRule(free_failures=2)
    >>> retry_after([t0, t0], t0 + timedelta(seconds=10), rule)
    datetime.timedelta(seconds=20)
    >>> retry_after([t0, t0], t0 + timedelta(seconds=31), rule)
    datetime.timedelta(0)
    """
    recent = [t for t in failures if now - t < rule.window]
    excess = len(recent) - rule.free_failures
    if excess < 0:
        return timedelta(0)
    delay = min(rule.base_delay * (1 << excess), rule.max_delay)
    return max(recent[-1] + delay - now, timedelta(0))
