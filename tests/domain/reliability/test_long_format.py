"""Reading ratings files: every defect is named with its line."""

from __future__ import annotations

import pytest

from app.domain.reliability.data import RatingsInputError
from app.domain.reliability.long_format import RatingsFileError, read_ratings_csv


def _lines(text: str) -> list[str]:
    return text.splitlines()


def test_reads_records_and_skips_missing_scores() -> None:
    r = read_ratings_csv(_lines("Subject,Rater,Score,Item\ns1,a,3,A1\ns1,b,,A1\n\ns2,a,4.5,A1"))
    assert (r.subjects, r.raters, r.scores, r.items) == (["s1", "s2"], ["a", "a"], [3.0, 4.5],
                                                          ["A1", "A1"])  # fmt: skip
    assert r.lines == [2, 5]


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("", 1, "the file is empty"),
        ("subject,rater\ns1,a", 1, "missing column(s) score"),
        ("subject,rater,score\ns1,a,3\ns1,b,high", 3, "score 'high' is not a number"),
        ("subject,rater,score\ns1,a,nan", 2, "not a finite number"),
        ("subject,rater,score\ns1,a,3,extra", 2, "expected 3 fields, found 4"),
        ("subject,rater,score\n,a,3", 2, "must not be empty"),
        ("subject,rater,score\n", 1, "holds no ratings"),
        ('subject,rater,score\n"s1,a,3', 2, "not CSV"),
    ],
)
def test_defects_name_their_line(text: str, line: int, fragment: str) -> None:
    with pytest.raises(RatingsFileError) as caught:
        read_ratings_csv(_lines(text) if text else [])
    assert caught.value.line == line
    assert fragment in caught.value.detail


def test_the_same_rater_scoring_a_subject_twice_names_the_later_line() -> None:
    r = read_ratings_csv(_lines("subject,rater,score\ns1,a,1\ns2,a,2\ns1,b,3\ns1,a,4"))
    with pytest.raises(RatingsInputError) as caught:
        r.to_matrix()
    assert caught.value.row is not None
    assert r.lines[caught.value.row] == 5
    assert "rater 'a' scored subject 's1' more than once" in str(caught.value)


def test_items_become_units_and_can_be_selected() -> None:
    r = read_ratings_csv(_lines("subject,rater,score,item\ns1,a,1,X\ns1,a,2,Y\ns1,b,1,X\ns1,b,3,Y"))
    assert r.to_matrix().values.shape == (2, 2)
    only = r.select_item("Y").to_matrix()
    assert only.values.tolist() == [[2.0, 3.0]]
    with pytest.raises(RatingsInputError, match="no ratings for item 'Z'"):
        r.select_item("Z")


def test_scale_bounds_are_checked_with_the_line() -> None:
    r = read_ratings_csv(_lines("subject,rater,score\ns1,a,1\ns1,b,9"))
    with pytest.raises(RatingsInputError) as caught:
        r.to_matrix((0, 6))
    assert caught.value.row is not None
    assert r.lines[caught.value.row] == 3
    matrix = r.to_matrix((0, 9))
    assert matrix.categories().tolist() == [float(v) for v in range(10)]
