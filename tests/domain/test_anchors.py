"""The anchor a score reaches describes it the way readiness describes an item's mean."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.domain.anchors import anchor_level
from app.domain.readiness import _anchors


@given(
    st.sets(st.integers(0, 10), min_size=1, max_size=6),
    st.floats(0, 10, allow_nan=False),
)
def test_a_score_and_an_item_mean_reach_the_same_anchor(points: set[int], score: float) -> None:
    anchors = {p: f"anchor {p}" for p in points}
    level = anchor_level(anchors, score)
    assert (level.score, level.next_score) == _anchors(tuple(sorted(points)), score)
    assert level.text == f"anchor {level.score}"
    assert level.next_text == (None if level.next_score is None else f"anchor {level.next_score}")


def test_a_score_between_anchors_is_described_by_the_one_below() -> None:
    anchors = {0: "unsafe", 2: "developing", 4: "skilled", 6: "exemplary"}
    level = anchor_level(anchors, 5)
    assert (level.text, level.next_text) == ("skilled", "exemplary")
