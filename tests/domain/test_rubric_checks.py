"""Cross-field rules of the rubric format, each reported with the path of the field at fault."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.domain.rubrics.checks import check_rubric, format_path
from app.domain.rubrics.model import RubricDocument

MINI = (
    Path(__file__).resolve().parents[1] / "fixtures" / "rubrics" / "valid" / "mini-rubric.v1.yaml"
)

Edit = Callable[[dict[str, Any]], None]


def _issues(edit: Edit) -> list[tuple[str, str]]:
    data: dict[str, Any] = yaml.safe_load(MINI.read_text(encoding="utf-8"))
    edit(data)
    doc = RubricDocument.model_validate(data)
    return [(issue.path, issue.message) for issue in check_rubric(doc)]


def _item(data: dict[str, Any], domain: int, item: int) -> dict[str, Any]:
    found: dict[str, Any] = data["domains"][domain]["items"][item]
    return found


def _points(data: dict[str, Any], values: list[int]) -> None:
    data["scale"]["points"] = [{"value": v, "label": f"L{v}", "band": f"b{v}"} for v in values]


def _session(data: dict[str, Any]) -> dict[str, Any]:
    rule: dict[str, Any] = data["readiness"]["session_rule"]
    return rule


def _program(data: dict[str, Any]) -> dict[str, Any]:
    rule: dict[str, Any] = data["readiness"]["program_rule"]
    return rule


def test_the_mini_rubric_has_no_issues() -> None:
    assert _issues(lambda data: None) == []


def test_duplicate_domain_key() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["domains"][1]["key"] = "A"
        _program(data)["domain_min_mean"] = {}

    assert _issues(edit) == [("domains[1].key", "domain key 'A' is already used by domains[0]")]


def test_duplicate_item_key_within_a_domain() -> None:
    def edit(data: dict[str, Any]) -> None:
        _item(data, 1, 1)["key"] = "B1"

    assert _issues(edit) == [
        ("domains[1].items[1].key", "item key 'B1' is already used by domains[1].items[0]")
    ]


def test_duplicate_item_key_across_domains_is_reported_once_per_repeat() -> None:
    def edit(data: dict[str, Any]) -> None:
        _item(data, 1, 0)["key"] = "A1"
        _item(data, 1, 1)["key"] = "A1"

    assert _issues(edit) == [
        ("domains[1].items[0].key", "item key 'A1' is already used by domains[0].items[0]"),
        ("domains[1].items[1].key", "item key 'A1' is already used by domains[0].items[0]"),
    ]


def test_duplicate_source_key() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["sources"][1]["key"] = "paper"

    assert _issues(edit) == [("sources[1].key", "source key 'paper' is already used by sources[0]")]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            [0, 1, 2, 4, 5, 6],
            [("scale.points", "the scale has no point for 3; every integer in 0..6 needs one")],
        ),
        (
            [0, 1, 2, 3, 4, 5],
            [("scale.points", "the scale has no point for 6; every integer in 0..6 needs one")],
        ),
        (
            [0, 1, 2, 3, 3, 4, 5, 6],
            [("scale.points[4].value", "scale point 3 is repeated (first at scale.points[3])")],
        ),
        (
            [0, 1, 3, 2, 4, 5, 6],
            [("scale.points[3].value", "scale point 2 comes after 3; list points in order")],
        ),
        (
            [0, 1, 2, 3, 4, 5, 6, 7],
            [("scale.points[7].value", "scale point 7 is outside min..max (0..6)")],
        ),
        (
            [-1, 0, 1, 2, 3, 4, 5, 6],
            [("scale.points[0].value", "scale point -1 is outside min..max (0..6)")],
        ),
    ],
)
def test_scale_points_cover_min_to_max_once_in_order(
    values: list[int], expected: list[tuple[str, str]]
) -> None:
    assert _issues(lambda data: _points(data, values)) == expected


def test_a_scale_whose_max_is_not_above_min_hides_the_checks_that_depend_on_it() -> None:
    def edit(data: dict[str, Any]) -> None:
        data["scale"]["min"] = 6
        _session(data)["min_item"] = 99

    assert _issues(edit) == [("scale.max", "max (6) must be greater than min (6)")]


def test_anchors_outside_the_scale() -> None:
    def edit(data: dict[str, Any]) -> None:
        _item(data, 0, 1)["anchors"][-1] = "Below."
        _item(data, 0, 1)["anchors"][7] = "Above."

    assert _issues(edit) == [
        ("domains[0].items[1].anchors[-1]", "anchor -1 is outside the scale 0..6"),
        ("domains[0].items[1].anchors[7]", "anchor 7 is outside the scale 0..6"),
    ]


def test_anchors_missing_at_required_points() -> None:
    def edit(data: dict[str, Any]) -> None:
        anchors = _item(data, 1, 0)["anchors"]
        del anchors[0], anchors[4]

    assert _issues(edit) == [
        (
            "domains[1].items[0].anchors",
            "no anchor at 0 and 4; anchors are required at 0, 2, 4 and 6",
        )
    ]


def test_anchors_in_between_are_optional() -> None:
    def edit(data: dict[str, Any]) -> None:
        _item(data, 0, 0)["anchors"].update({1: "One.", 3: "Three.", 5: "Five."})

    assert _issues(edit) == []


@pytest.mark.parametrize(
    ("low", "high", "required"),
    [(0, 5, "0, 2, 4 and 5"), (1, 5, "1, 3 and 5"), (0, 1, "0 and 1"), (1, 4, "1, 3 and 4")],
)
def test_required_anchors_are_both_ends_and_every_second_point(
    low: int, high: int, required: str
) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["scale"].update({"min": low, "max": high})
        _points(data, list(range(low, high + 1)))
        data["readiness"] = {
            "session_rule": {
                **_session(data),
                "min_mean": low,
                "min_item": low,
                "min_safety_gate": low,
                "item_minimums": {},
            },
            "program_rule": {**_program(data), "domain_min_mean": {}},
        }
        for domain in data["domains"]:
            for item in domain["items"]:
                item["anchors"] = {low: "Low."}

    issues = _issues(edit)
    assert len(issues) == 4
    for _, message in issues:
        assert message.endswith(f"anchors are required at {required}")


def test_not_applicable_when_is_required_when_na_is_allowed() -> None:
    def edit(data: dict[str, Any]) -> None:
        _item(data, 0, 0)["allow_not_applicable"] = True

    assert _issues(edit) == [
        (
            "domains[0].items[0].not_applicable_when",
            "not_applicable_when must say when the item does not apply, "
            "because allow_not_applicable is true",
        )
    ]


def test_repeated_phases() -> None:
    def edit(data: dict[str, Any]) -> None:
        _item(data, 0, 1)["phases"] = ["medication", "medication"]
        _program(data)["required_phases"] = ["preparation", "integration", "preparation"]

    assert _issues(edit) == [
        ("domains[0].items[1].phases[1]", "phase 'medication' is listed more than once"),
        (
            "readiness.program_rule.required_phases[2]",
            "phase 'preparation' is listed more than once",
        ),
    ]


def test_policy_names_unknown_items_and_domains() -> None:
    def edit(data: dict[str, Any]) -> None:
        _session(data)["item_minimums"] = {"A1": 3, "Z9": 3}
        _program(data)["domain_min_mean"] = {"B": 3.0, "Q": 3.0}

    assert _issues(edit) == [
        ("readiness.session_rule.item_minimums.Z9", "item_minimums names an unknown item 'Z9'"),
        ("readiness.program_rule.domain_min_mean.Q", "domain_min_mean names an unknown domain 'Q'"),
    ]


def test_thresholds_outside_the_scale() -> None:
    def edit(data: dict[str, Any]) -> None:
        _session(data).update(
            {"min_mean": 6.5, "min_item": -1, "min_safety_gate": 7, "item_minimums": {"A1": 9}}
        )
        _program(data)["domain_min_mean"] = {"B": -0.5}

    assert _issues(edit) == [
        ("readiness.session_rule.min_mean", "session_rule.min_mean is 6.5, outside the scale 0..6"),
        ("readiness.session_rule.min_item", "session_rule.min_item is -1, outside the scale 0..6"),
        (
            "readiness.session_rule.min_safety_gate",
            "session_rule.min_safety_gate is 7, outside the scale 0..6",
        ),
        (
            "readiness.session_rule.item_minimums.A1",
            "item_minimums.A1 is 9, outside the scale 0..6",
        ),
        (
            "readiness.program_rule.domain_min_mean.B",
            "domain_min_mean.B is -0.5, outside the scale 0..6",
        ),
    ]


def test_thresholds_at_the_ends_of_the_scale_are_allowed() -> None:
    def edit(data: dict[str, Any]) -> None:
        _session(data).update({"min_mean": 6.0, "min_item": 0, "min_safety_gate": 6})

    assert _issues(edit) == []


@pytest.mark.parametrize(
    ("loc", "path"),
    [
        ((), ""),
        (("id",), "id"),
        (("domains", 2, "items", 0, "anchors", 7), "domains[2].items[0].anchors[7]"),
        (
            ("readiness", "program_rule", "domain_min_mean", "B"),
            "readiness.program_rule.domain_min_mean.B",
        ),
    ],
)
def test_format_path(loc: tuple[str | int, ...], path: str) -> None:
    assert format_path(loc) == path
