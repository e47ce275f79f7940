"""Balanced allocation: every rule holds for any batch, and loads stay even."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.allocation import AllocationError, Slot, allocate


@st.composite
def batches(draw: st.DrawFn) -> tuple[list[Slot], dict[int, int], frozenset[tuple[int, int]]]:
    raters = draw(st.lists(st.integers(100, 130), min_size=1, max_size=12, unique=True))
    trainees = draw(st.lists(st.integers(1, 8), min_size=1, max_size=5, unique=True))
    sessions = draw(st.lists(st.sampled_from(trainees), min_size=1, max_size=25))
    needed = draw(st.integers(1, 3))
    slots = [Slot(i + 1, trainee, needed) for i, trainee in enumerate(sessions)]
    loads = {r: draw(st.integers(0, 4)) for r in raters}
    conflicts = draw(
        st.frozensets(st.tuples(st.sampled_from(raters), st.sampled_from(trainees)), max_size=6)
    )
    return slots, loads, conflicts


@settings(max_examples=300, deadline=None)
@given(batches(), st.integers(0, 2**16))
def test_rules_always_hold(
    batch: tuple[list[Slot], dict[int, int], frozenset[tuple[int, int]]], seed: int
) -> None:
    slots, loads, conflicts = batch
    try:
        plan = allocate(slots, loads, conflicts=conflicts, already=frozenset(), seed=seed)
    except AllocationError as exc:
        for session_id, (needed, eligible) in exc.short.items():
            slot = next(s for s in slots if s.session_id == session_id)
            assert eligible < needed == slot.needed
            assert eligible == sum(1 for r in loads if (r, slot.trainee) not in conflicts)
        return
    for slot in slots:
        chosen = plan[slot.session_id]
        assert len(chosen) == len(set(chosen)) == slot.needed
        assert all((r, slot.trainee) not in conflicts for r in chosen)
        assert all(r in loads for r in chosen)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 10), st.integers(1, 40), st.integers(1, 3), st.integers(0, 2**16))
def test_without_constraints_loads_differ_by_at_most_one(
    raters: int, sessions: int, needed: int, seed: int
) -> None:
    needed = min(needed, raters)
    slots = [Slot(i, trainee=1, needed=needed) for i in range(sessions)]
    loads = dict.fromkeys(range(100, 100 + raters), 0)
    plan = allocate(slots, loads, conflicts=frozenset(), already=frozenset(), seed=seed)
    counts = dict.fromkeys(loads, 0)
    for chosen in plan.values():
        for r in chosen:
            counts[r] += 1
    assert max(counts.values()) - min(counts.values()) <= 1


def test_existing_load_is_evened_out() -> None:
    """A rater with a full queue gets nothing until the others catch up."""
    plan = allocate(
        [Slot(i, trainee=1, needed=1) for i in range(4)],
        {10: 5, 11: 1, 12: 1},
        conflicts=frozenset(), already=frozenset(), seed=0,
    )  # fmt: skip
    assigned = [r for chosen in plan.values() for r in chosen]
    assert 10 not in assigned
    assert sorted(assigned.count(r) for r in (11, 12)) == [2, 2]


def test_constrained_sessions_are_served_first() -> None:
    """Session 2's trainee conflicts with all but rater 11; it must still get rater 11."""
    plan = allocate(
        [Slot(1, trainee=1, needed=1), Slot(2, trainee=2, needed=1)],
        {10: 0, 11: 0},
        conflicts=frozenset({(10, 2)}), already=frozenset(), seed=3,
    )  # fmt: skip
    assert plan == {2: [11], 1: [10]}


def test_never_the_trainee_nor_a_repeat() -> None:
    plan = allocate(
        [Slot(1, trainee=10, needed=1)], {10: 0, 11: 0, 12: 0},
        conflicts=frozenset(), already=frozenset({(1, 11)}), seed=0,
    )  # fmt: skip
    assert plan == {1: [12]}


def test_shortfall_names_every_session() -> None:
    with pytest.raises(AllocationError) as caught:
        allocate(
            [Slot(1, trainee=1, needed=3), Slot(2, trainee=2, needed=1), Slot(3, 3, 2)],
            {10: 0, 11: 0},
            conflicts=frozenset({(10, 2), (11, 2)}), already=frozenset(), seed=0,
        )  # fmt: skip
    assert caught.value.short == {1: (3, 2), 2: (1, 0)}
    assert str(caught.value) == (
        "session 1 needs 3 more raters but 2 eligible raters remain; "
        "session 2 needs 1 more rater but no eligible raters remain"
    )
