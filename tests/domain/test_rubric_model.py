"""The rubric model, its canonical content and its JSON schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from app.domain.rubrics.canonical import canonical_content, canonical_json, content_sha256
from app.domain.rubrics.model import (
    Modality,
    Phase,
    ReliabilityCoefficient,
    RubricDocument,
    RubricStatus,
)
from app.domain.rubrics.parse import parse_rubric
from app.domain.rubrics.schema import rubric_json_schema

MINI = (
    Path(__file__).resolve().parents[1] / "fixtures" / "rubrics" / "valid" / "mini-rubric.v1.yaml"
)


def _mini_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(MINI.read_text(encoding="utf-8"))
    return data


def _parsed(text: str) -> RubricDocument:
    result = parse_rubric(text)
    assert isinstance(result, RubricDocument), result
    return result


@pytest.fixture
def mini() -> RubricDocument:
    return RubricDocument.model_validate(_mini_data())


def test_items_are_in_rubric_order(mini: RubricDocument) -> None:
    assert [item.key for item in mini.items] == ["A1", "A2", "B1", "B2"]


def test_item_and_domain_lookup(mini: RubricDocument) -> None:
    assert mini.item("B2").title == "Consent to touch"
    assert mini.domain_of("B2").key == "B"
    assert mini.domain_of("A1").key == "A"
    with pytest.raises(KeyError, match="Z9"):
        mini.item("Z9")
    with pytest.raises(KeyError, match="Z9"):
        mini.domain_of("Z9")


def test_scale_values_cover_min_to_max(mini: RubricDocument) -> None:
    assert mini.scale_values == (0, 1, 2, 3, 4, 5, 6)


def test_fields_are_typed(mini: RubricDocument) -> None:
    a2, b2 = mini.item("A2"), mini.item("B2")
    assert a2.modality is Modality.somatic
    assert a2.phases == (Phase.medication, Phase.integration)
    assert b2.allow_not_applicable
    assert b2.not_applicable_when
    assert b2.safety_gate
    assert b2.weight == 1.5
    assert set(b2.anchors) == {0, 2, 4, 6}
    assert mini.readiness.program_rule.min_reliability.coefficient is ReliabilityCoefficient.icc2k
    indicators = mini.item("A1").indicators
    assert indicators is not None
    assert indicators.consistent == ("Agrees goals with the participant",)


def test_status_defaults_to_published() -> None:
    data = _mini_data()
    del data["status"]
    assert RubricDocument.model_validate(data).status is RubricStatus.published


def test_documents_are_frozen(mini: RubricDocument) -> None:
    with pytest.raises(ValidationError, match="frozen"):
        mini.title = "Changed"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        mini.domains[0].items[0].weight = 2.0  # type: ignore[misc]


def test_coefficient_names_are_those_the_reliability_code_uses() -> None:
    assert [c.value for c in ReliabilityCoefficient] == [
        "ICC1",
        "ICC2",
        "ICC3",
        "ICC1k",
        "ICC2k",
        "ICC3k",
        "krippendorff_alpha_ordinal",
        "krippendorff_alpha_interval",
        "gwet_ac2_quadratic",
        "gwet_ac2_linear",
    ]


def _item_error(field: str, value: object) -> str:
    data = _mini_data()
    data["domains"][0]["items"][0][field] = value
    with pytest.raises(ValidationError) as caught:
        RubricDocument.model_validate(data)
    (error,) = caught.value.errors()
    assert error["loc"] == ("domains", 0, "items", 0, field)
    return error["type"]


@pytest.mark.parametrize(
    ("field", "value", "error_type"),
    [
        ("weight", 0, "greater_than"),
        ("weight", -1.0, "greater_than"),
        ("weight", float("inf"), "finite_number"),
        ("weight", "1.5", "float_type"),
        ("weight", True, "float_type"),
        ("safety_gate", "yes", "bool_type"),
        ("key", "a1", "string_pattern_mismatch"),
        ("key", "A" * 33, "string_too_long"),
        ("title", "   ", "string_pattern_mismatch"),
        ("phases", [], "too_short"),
        ("modality", "gestalt", "enum"),
        ("anchors", {}, "too_short"),
        ("colour", "blue", "extra_forbidden"),
    ],
)
def test_item_field_constraints(field: str, value: object, error_type: str) -> None:
    assert _item_error(field, value) == error_type


@pytest.mark.parametrize(
    ("version", "valid"),
    [
        ("1.0.0", True),
        ("0.1.10", True),
        ("1.0", False),
        ("01.0.0", False),
        ("1.0.0-beta", False),
        ("v1.0.0", False),
    ],
)
def test_version_is_semver(version: str, valid: bool) -> None:
    data = _mini_data()
    data["version"] = version
    if valid:
        assert RubricDocument.model_validate(data).version == version
    else:
        with pytest.raises(ValidationError, match="pattern"):
            RubricDocument.model_validate(data)


@pytest.mark.parametrize("rubric_id", ["Mini", "1mini", "mini_rubric", "mini rubric", ""])
def test_id_is_a_lowercase_slug(rubric_id: str) -> None:
    data = _mini_data()
    data["id"] = rubric_id
    with pytest.raises(ValidationError, match="pattern"):
        RubricDocument.model_validate(data)


def test_reliability_threshold_is_a_proportion() -> None:
    for value in (0, 1.2):
        data = _mini_data()
        data["readiness"]["program_rule"]["min_reliability"]["value"] = value
        with pytest.raises(ValidationError):
            RubricDocument.model_validate(data)


def test_canonical_json_is_compact_sorted_and_keeps_unicode(mini: RubricDocument) -> None:
    text = canonical_json(mini)
    assert json.loads(text) == canonical_content(mini)
    assert text == json.dumps(
        json.loads(text), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    assert "§" in text
    assert '"status"' not in text


def test_canonical_content_reads_back_as_the_same_document(mini: RubricDocument) -> None:
    assert RubricDocument.model_validate(canonical_content(mini)) == mini


def test_hash_ignores_status_comments_and_layout() -> None:
    text = MINI.read_text(encoding="utf-8")
    original = content_sha256(_parsed(text))
    assert len(original) == 64
    relaid = "# another comment\n" + text.replace("status: published", "status: retired").replace(
        "phases: [preparation]", "phases:\n          - preparation"
    ).replace("weight: 1.0", "weight: 1").replace(
        "min_mean: 3.0", "min_mean: 3.00  # trailing comment"
    )
    assert content_sha256(_parsed(relaid)) == original


def test_hash_changes_with_content() -> None:
    text = MINI.read_text(encoding="utf-8")
    original = content_sha256(_parsed(text))
    changed = text.replace("weight: 1.5", "weight: 2.0", 1)
    assert content_sha256(_parsed(changed)) != original


def test_schema_text_is_deterministic_json_with_a_trailing_newline() -> None:
    text = rubric_json_schema()
    assert text == rubric_json_schema()
    assert text.endswith("}\n")
    schema = json.loads(text)
    assert text == json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_schema_describes_the_format() -> None:
    schema = json.loads(rubric_json_schema())
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {
        "id",
        "version",
        "title",
        "description",
        "licence",
        "sources",
        "scale",
        "domains",
        "readiness",
    }
    assert "behavioural-activation" in schema["$defs"]["Modality"]["enum"]
    assert schema["$defs"]["Phase"]["enum"] == ["preparation", "medication", "integration"]
    assert "gwet_ac2_linear" in schema["$defs"]["ReliabilityCoefficient"]["enum"]
    assert schema["$defs"]["Item"]["properties"]["weight"]["exclusiveMinimum"] == 0
