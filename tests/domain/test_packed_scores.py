"""Packed item scores: what goes in comes out, in item order, whatever the batch."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.packed_scores import pack, unpack

# A rating's scores: distinct item ids, each with a score or None (not applicable), a flag.
ratings = st.dictionaries(
    st.integers(1, 2**31 - 1),
    st.tuples(st.none() | st.integers(0, 1000), st.booleans()),
    max_size=40,
)


@given(st.lists(ratings, max_size=8))
def test_every_score_comes_back_with_its_rating_in_item_order(
    batch: list[dict[int, tuple[int | None, bool]]],
) -> None:
    found = unpack([pack((i, s, f) for i, (s, f) in scores.items()) for scores in batch])
    expected = [
        (row, item, -1 if score is None else score, int(flag))
        for row, scores in enumerate(batch)
        for item, (score, flag) in sorted(scores.items())
    ]
    got = list(
        zip(found.row.tolist(), found.item_id.tolist(), found.score.tolist(),
            found.harm_flag.tolist(), strict=True)
    )  # fmt: skip
    assert got == expected


def test_the_same_scores_pack_to_the_same_bytes_in_any_order() -> None:
    scores = [(9, 4, False), (2, None, True), (5, 0, False)]
    assert pack(scores) == pack(reversed(scores))
    assert pack([]) == b""


def test_a_value_that_is_not_whole_records_is_refused() -> None:
    with pytest.raises(ValueError, match="value 1 is 13 bytes, not whole records"):
        unpack([pack([(1, 2, False)]), pack([(1, 2, False)]) + b"x"])
