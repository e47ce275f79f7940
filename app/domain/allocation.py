"""Balanced allocation of raters to sessions: N per session, least-loaded first.

Raters are scarce and their queues should stay even, so each slot goes to the eligible rater
with the fewest open assignments at that moment (ties to the one drawn first from a seeded
shuffle, so no rater is always picked first). Sessions with the fewest eligible raters are
filled first, so that a constrained session is not starved by easy ones. Without
constraints the resulting loads differ by at most one:

>>> plan = allocate(
...     [Slot(1, trainee=10, needed=2), Slot(2, trainee=11, needed=2)],
...     {20: 0, 21: 0, 22: 0, 23: 0},
...     conflicts=frozenset(), already=frozenset(), seed=1,
... )
>>> sorted(len(raters) for raters in plan.values())
[2, 2]
>>> len({r for raters in plan.values() for r in raters})
4
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Slot:
    """A session that needs ``needed`` more raters; its trainee can never rate it."""

    session_id: int
    trainee: int
    needed: int


class AllocationError(ValueError):
    """Some sessions cannot get enough eligible raters; nothing should be assigned."""

    def __init__(self, short: Mapping[int, tuple[int, int]]) -> None:
        self.short = dict(short)
        detail = "; ".join(
            f"session {sid} needs {needed} more rater{'s' * (needed != 1)}"
            f" but {eligible or 'no'} eligible rater{'s' * (eligible != 1)} remain"
            for sid, (needed, eligible) in sorted(self.short.items())
        )
        super().__init__(detail)


def allocate(
    slots: list[Slot],
    loads: Mapping[int, int],
    *,
    conflicts: frozenset[tuple[int, int]],
    already: frozenset[tuple[int, int]],
    seed: int | None = None,
) -> dict[int, list[int]]:
    """Raters for each session: ``loads`` maps each candidate to their open assignments.

    ``conflicts`` holds (rater, trainee) pairs that must never meet; ``already`` holds
    (session, rater) pairs assigned before, which are not assigned twice.
    """
    order = list(loads)
    random.Random(seed).shuffle(order)
    rank = {rater: i for i, rater in enumerate(order)}
    load = dict(loads)

    def eligible(slot: Slot) -> list[int]:
        return [
            r
            for r in order
            if r != slot.trainee
            and (r, slot.trainee) not in conflicts
            and (slot.session_id, r) not in already
        ]

    candidates = {slot.session_id: eligible(slot) for slot in slots}
    short = {
        s.session_id: (s.needed, len(candidates[s.session_id]))
        for s in slots
        if len(candidates[s.session_id]) < s.needed
    }
    if short:
        raise AllocationError(short)
    plan: dict[int, list[int]] = {}
    for slot in sorted(slots, key=lambda s: (len(candidates[s.session_id]), s.session_id)):
        chosen = sorted(candidates[slot.session_id], key=lambda r: (load[r], rank[r]))
        plan[slot.session_id] = chosen[: slot.needed]
        for rater in plan[slot.session_id]:
            load[rater] += 1
    return plan
