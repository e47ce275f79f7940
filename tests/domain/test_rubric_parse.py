"""Parsing rubric YAML: every problem located at the line, column and path an author must fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.rubrics.model import RubricDocument
from app.domain.rubrics.parse import RubricProblem, identity_from_filename, parse_rubric

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "rubrics"
MINI = FIXTURES / "valid" / "mini-rubric.v1.yaml"
FLAGSHIP = ROOT / "rubrics" / "pat-competency.v1.yaml"

# file name -> (line, column, path, message fragment) of its one problem
BROKEN = {
    "yaml-syntax-error.v1.yaml": (
        72,
        17,
        "",
        "invalid YAML: while parsing a flow sequence on line 71",
    ),
    "unknown-field.v1.yaml": (
        50,
        9,
        "domains[0].items[1].colour",
        "unknown field 'colour': extra field not permitted",
    ),
    "missing-required-field.v1.yaml": (
        68,
        9,
        "domains[1].items[0].harm_guidance",
        "required field 'harm_guidance' is missing",
    ),
    "wrong-type.v1.yaml": (
        76,
        9,
        "domains[1].items[0].weight",
        "input should be a valid number, not 'heavy'",
    ),
    "duplicate-item-key.v1.yaml": (
        68,
        9,
        "domains[1].items[0].key",
        "item key 'A2' is already used by domains[0].items[1]",
    ),
    "duplicate-yaml-key.v1.yaml": (
        32,
        9,
        "domains[0].items[0].title",
        "key 'title' appears twice in this mapping (first on line 30)",
    ),
    "duplicate-source-key.v1.yaml": (
        11,
        5,
        "sources[1].key",
        "source key 'paper' is already used by sources[0]",
    ),
    "anchor-outside-scale.v1.yaml": (
        64,
        11,
        "domains[0].items[1].anchors[7]",
        "anchor 7 is outside the scale 0..6",
    ),
    "missing-anchor.v1.yaml": (
        79,
        9,
        "domains[1].items[0].anchors",
        "no anchor at 4; anchors are required at 0, 2, 4 and 6",
    ),
    "unknown-phase.v1.yaml": (51, 30, "domains[0].items[1].phases[1]", "unknown phase 'dosing'"),
    "repeated-phase.v1.yaml": (
        87,
        43,
        "domains[1].items[1].phases[2]",
        "phase 'preparation' is listed more than once",
    ),
    "unknown-modality.v1.yaml": (
        52,
        9,
        "domains[0].items[1].modality",
        "unknown modality 'gestalt'",
    ),
    "unknown-coefficient.v1.yaml": (
        112,
        23,
        "readiness.program_rule.min_reliability.coefficient",
        "unknown reliability coefficient 'kappa'",
    ),
    "unknown-item-minimum.v1.yaml": (
        106,
        21,
        "readiness.session_rule.item_minimums.Z9",
        "item_minimums names an unknown item 'Z9'",
    ),
    "unknown-domain-minimum.v1.yaml": (
        113,
        23,
        "readiness.program_rule.domain_min_mean.Z",
        "domain_min_mean names an unknown domain 'Z'",
    ),
    "threshold-outside-scale.v1.yaml": (
        103,
        5,
        "readiness.session_rule.min_item",
        "min_item is 7, outside the scale 0..6",
    ),
    "scale-points-not-contiguous.v1.yaml": (16, 3, "scale.points", "the scale has no point for 3"),
    "missing-not-applicable-when.v1.yaml": (
        90,
        9,
        "domains[1].items[1].not_applicable_when",
        "must say when the item does not apply",
    ),
    "id-not-matching-file-name.v1.yaml": (
        2,
        1,
        "id",
        "id 'mini-rubric' does not match the file name, which says 'id-not-matching-file-name'",
    ),
    "version-not-matching-file-name.v2.yaml": (
        3,
        1,
        "version",
        "version '1.0.0' does not match the file name, which says '2.0.0'",
    ),
    "bad-semver.v1.yaml": (3, 1, "version", "'1.0' is not a semantic version MAJOR.MINOR.PATCH"),
}


def _parse_file(path: Path) -> RubricDocument | list[RubricProblem]:
    identity = identity_from_filename(path.name)
    assert not isinstance(identity, RubricProblem), identity
    rubric_id, version = identity
    text = path.read_text(encoding="utf-8")
    return parse_rubric(text, expected_id=rubric_id, expected_version=version)


def _mini(old: str, new: str) -> str:
    text = MINI.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1)


def _problems(text: str) -> list[tuple[int, int, str, str]]:
    result = parse_rubric(text)
    assert isinstance(result, list), "expected problems"
    return [(p.line, p.column, p.path, p.message) for p in result]


def test_the_mini_rubric_is_valid() -> None:
    doc = _parse_file(MINI)
    assert isinstance(doc, RubricDocument), doc
    assert (doc.id, doc.version) == ("mini-rubric", "1.0.0")


def test_the_flagship_rubric_is_valid() -> None:
    doc = _parse_file(FLAGSHIP)
    assert isinstance(doc, RubricDocument), doc
    assert (doc.id, doc.version) == ("pat-competency", "1.0.0")


def test_every_broken_fixture_has_an_expectation() -> None:
    assert sorted(p.name for p in (FIXTURES / "broken").glob("*.yaml")) == sorted(BROKEN)


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_fixture_reports_its_one_defect_where_it_is(name: str) -> None:
    line, column, path, fragment = BROKEN[name]
    result = _parse_file(FIXTURES / "broken" / name)
    assert isinstance(result, list), "a broken fixture parsed as valid"
    assert len(result) == 1, result
    (problem,) = result
    assert (problem.line, problem.column, problem.path) == (line, column, path)
    assert fragment in problem.message


@pytest.mark.parametrize(
    ("name", "identity"),
    [
        ("pat-competency.v1.yaml", ("pat-competency", "1.0.0")),
        ("pat-competency.v1.1.yaml", ("pat-competency", "1.1.0")),
        ("x.v1.2.yaml", ("x", "1.2.0")),
        ("x.v1.2.3.yaml", ("x", "1.2.3")),
        ("x.v0.yml", ("x", "0.0.0")),
        ("x.v10.20.30.yaml", ("x", "10.20.30")),
    ],
)
def test_identity_from_filename(name: str, identity: tuple[str, str]) -> None:
    assert identity_from_filename(name) == identity


@pytest.mark.parametrize(
    "name",
    [
        "pat-competency.yaml",
        "pat-competency.v1.json",
        "Pat.v1.yaml",
        "x.v01.yaml",
        "x.v1.2.3.4.yaml",
        "x.1.yaml",
        "x.v1.yaml.bak",
        "dir/x.v1.yaml",
        "x.v1-beta.yaml",
        "x.v.yaml",
    ],
)
def test_bad_file_names_are_problems(name: str) -> None:
    problem = identity_from_filename(name)
    assert isinstance(problem, RubricProblem)
    assert (problem.line, problem.column, problem.path) == (1, 1, "")
    assert name in problem.message
    assert "{id}.v{version}.yaml" in problem.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", (1, 1, "", "the file is empty; a rubric is a YAML mapping")),
        ("# only a comment\n", (1, 1, "", "the file is empty; a rubric is a YAML mapping")),
        ("- id: x\n", (1, 1, "", "a rubric is a YAML mapping, not a list")),
        ("\n\njust text\n", (3, 1, "", "a rubric is a YAML mapping, not a single value")),
        (
            "id: x\n---\nid: y\n",
            (
                2,
                1,
                "",
                "invalid YAML: expected a single document in the "
                "stream on line 1, but found another document",
            ),
        ),
        (
            "id: x\n\tversion: 1\n",
            (
                2,
                1,
                "",
                "invalid YAML: while scanning a plain scalar on line 1, "
                "found a tab character that violates indentation",
            ),
        ),
        (
            "id: x\nversion: a\x07\n",
            (2, 11, "", "invalid YAML: control characters are not allowed (U+0007)"),
        ),
        (
            "id: !python/object x\n",
            (
                1,
                5,
                "",
                "invalid YAML: could not determine a constructor for the tag '!python/object'",
            ),
        ),
        (
            "{[a]: 1}\n",
            (
                1,
                2,
                "",
                "invalid YAML: while constructing a mapping on line 1, found unhashable key",
            ),
        ),
    ],
)
def test_documents_that_are_not_a_yaml_mapping(
    text: str, expected: tuple[int, int, str, str]
) -> None:
    assert _problems(text) == [expected]


def test_duplicate_integer_keys_are_found_by_value() -> None:
    text = _mini(
        "          2: Polite but procedural.\n",
        "          2: Polite but procedural.\n          0x2: Also two.\n",
    )
    assert _problems(text) == [
        (
            46,
            11,
            "domains[0].items[0].anchors[2]",
            "key 2 appears twice in this mapping (first on line 45); "
            "YAML would silently keep only the last",
        ),
    ]


def test_every_duplicate_key_is_reported_and_nothing_else() -> None:
    text = _mini("id: mini-rubric\n", "id: mini-rubric\nid: other\n").replace(
        "  max: 6\n", "  max: 6\n  max: 7\n"
    )
    assert [(line, path) for line, _, path, _ in _problems(text)] == [(3, "id"), (17, "scale.max")]


def test_merge_keys_may_be_overridden_without_a_duplicate_problem() -> None:
    text = _mini(
        "  - key: B\n    title: Safety\n", "  - <<: {title: Draft}\n    key: B\n    title: Safety\n"
    )
    doc = parse_rubric(text)
    assert isinstance(doc, RubricDocument), doc
    assert doc.domains[1].title == "Safety"


def test_aliases_are_followed() -> None:
    text = _mini(
        "phases: [preparation, medication, integration]\n        modality",
        "phases: &all [preparation, medication, integration]\n        modality",
    ).replace("phases: [medication, integration]", "phases: *all")
    doc = parse_rubric(text)
    assert isinstance(doc, RubricDocument), doc
    assert doc.item("A2").phases == doc.item("A1").phases


def test_missing_fields_point_at_the_key_or_entry_that_lacks_them() -> None:
    text = (
        _mini("  min: 0\n", "")
        .replace("title: Mini rubric for tests\n", "")
        .replace('        source: "scale: somatic items"\n', "")
    )
    assert _problems(text) == [
        (2, 1, "title", "required field 'title' is missing"),
        (12, 1, "scale.min", "required field 'min' is missing"),
        (46, 9, "domains[0].items[1].source", "required field 'source' is missing"),
    ]


def test_problems_come_in_file_order_with_friendly_messages() -> None:
    text = (
        _mini("version: 1.0.0\n", "version: 1.0.0\ncolour: blue\n")
        .replace("title: Mini rubric for tests", 'title: "  "')
        .replace("  min: 0\n", '  min: "0"\n')
        .replace("sources:\n", "sources: []\nxsources:\n")
        .replace("        indicators:\n", "        indicators: 5\n        xindicators:\n")
        .replace("        safety_gate: false\n", "        safety_gate: null\n", 1)
        .replace("        phases: [preparation]\n", "        phases: preparation\n")
    )
    assert _problems(text) == [
        (4, 1, "colour", "unknown field 'colour': extra field not permitted"),
        (6, 1, "title", "text must not be empty"),
        (9, 1, "sources", "needs at least 1 entry"),
        (10, 1, "xsources", "unknown field 'xsources': extra field not permitted"),
        (16, 3, "scale.min", "input should be a valid integer, not '0'"),
        (38, 9, "domains[0].items[0].safety_gate", "input should be a valid boolean, not null"),
        (
            42,
            9,
            "domains[0].items[0].indicators",
            "expected a mapping of fields (key: value lines)",
        ),
        (
            43,
            9,
            "domains[0].items[0].xindicators",
            "unknown field 'xindicators': extra field not permitted",
        ),
        (74, 9, "domains[1].items[0].phases", "expected a list"),
    ]


def test_key_patterns_are_explained() -> None:
    text = _mini("item_minimums: {A1: 3}", "item_minimums: {a1: 3}").replace(
        "id: mini-rubric", "id: Mini_Rubric"
    )
    assert _problems(text) == [
        (
            2,
            1,
            "id",
            "'Mini_Rubric' is not a lowercase slug (a letter, then lowercase letters, "
            "digits or '-')",
        ),
        (
            106,
            21,
            "readiness.session_rule.item_minimums.a1",
            "'a1' is not a key (a capital letter, then letters, digits, '_' or '-')",
        ),
    ]


def test_windows_line_endings_and_a_byte_order_mark_are_fine() -> None:
    text = "\ufeff" + _mini("min_item: 2", "min_item: 9").replace("\n", "\r\n")
    assert _problems(text) == [
        (
            103,
            5,
            "readiness.session_rule.min_item",
            "session_rule.min_item is 9, outside the scale 0..6",
        )
    ]


def test_identity_is_only_compared_when_given() -> None:
    text = MINI.read_text(encoding="utf-8")
    assert isinstance(parse_rubric(text), RubricDocument)
    assert isinstance(parse_rubric(text, expected_id="mini-rubric"), RubricDocument)
    result = parse_rubric(text, expected_version="1.0.1")
    assert isinstance(result, list)
    assert [p.path for p in result] == ["version"]


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_gives_a_rubric_or_located_problems(text: str) -> None:
    result = parse_rubric(text)
    assert isinstance(result, list)
    assert result
    assert all(p.line >= 1 and p.column >= 1 and p.message for p in result)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_deleting_any_line_span_never_crashes_and_stays_in_the_file(data: st.DataObject) -> None:
    lines = MINI.read_text(encoding="utf-8").splitlines(keepends=True)
    start = data.draw(st.integers(0, len(lines) - 1))
    stop = data.draw(st.integers(start + 1, min(len(lines), start + 6)))
    text = "".join(lines[:start] + lines[stop:])
    result = parse_rubric(text)
    if isinstance(result, list):
        assert all(1 <= p.line <= len(lines) and p.column >= 1 for p in result), result
