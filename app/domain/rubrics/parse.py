"""From YAML text to a checked ``RubricDocument``, or to problems located in that text.

Authors edit rubrics by hand, so every problem points at a line and column of their file
and names the field by path (``domains[2].items[0].anchors[7]``; see ``format_path``).
"""

from __future__ import annotations

import re
from collections.abc import Sized
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError

from app.domain.rubrics.checks import Issue, Loc, check_rubric, format_path
from app.domain.rubrics.model import (
    KEY_PATTERN,
    NOT_BLANK_PATTERN,
    SEMVER_PATTERN,
    SLUG_PATTERN,
    SOURCE_KEY_PATTERN,
    RubricDocument,
)

# Where each path starts in the file, as 1-based (line, column).
_Marks = dict[Loc, tuple[int, int]]

_MERGE_TAG = "tag:yaml.org,2002:merge"
# libyaml's loader is about ten times faster and reports the same marks.
_Loader = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
_NUMBER = r"(?:0|[1-9][0-9]*)"
_FILE_NAME = re.compile(
    rf"(?P<id>[a-z][a-z0-9-]*)\.v(?P<version>{_NUMBER}(?:\.{_NUMBER}){{0,2}})\.ya?ml"
)
_PATTERN_HINTS = {
    SLUG_PATTERN: "a lowercase slug (a letter, then lowercase letters, digits or '-')",
    KEY_PATTERN: "a key (a capital letter, then letters, digits, '_' or '-')",
    SOURCE_KEY_PATTERN: "a source key (letters, digits, '.', '_' or '-')",
    SEMVER_PATTERN: "a semantic version MAJOR.MINOR.PATCH such as 1.0.0",
}
_ENUM_NOUNS = {
    "phases": "phase",
    "required_phases": "phase",
    "modality": "modality",
    "status": "status",
    "coefficient": "reliability coefficient",
}


@dataclass(frozen=True)
class RubricProblem:
    line: int
    column: int
    path: str
    message: str


def identity_from_filename(name: str) -> tuple[str, str] | RubricProblem:
    """The (id, version) a file name promises; trailing ``.0`` parts may be left out of it.

    >>> identity_from_filename("pat-competency.v1.yaml")
    ('pat-competency', '1.0.0')
    >>> identity_from_filename("x.v1.2.3.yaml")
    ('x', '1.2.3')
    """
    match = _FILE_NAME.fullmatch(name)
    if match is None:
        return RubricProblem(
            1,
            1,
            "",
            f"file name {name!r} is not {{id}}.v{{version}}.yaml, e.g. pat-competency.v1.yaml",
        )
    parts = match["version"].split(".")
    return match["id"], ".".join([*parts, "0", "0"][:3])


def parse_rubric(
    text: str, *, expected_id: str | None = None, expected_version: str | None = None
) -> RubricDocument | list[RubricProblem]:
    """The rubric in ``text``, or every problem found, in file order.

    ``expected_id`` and ``expected_version`` come from the file name; they are compared only
    once the document itself is valid, so that a broken version field is reported once.
    """
    loaded = _load_yaml(text)
    if isinstance(loaded, list):
        return loaded
    data, marks = loaded
    try:
        doc = RubricDocument.model_validate(data)
    except ValidationError as exc:
        errors = [error for error in exc.errors() if not _only_echoes_its_entries(error)]
        return _located(marks, [_issue(error) for error in errors])
    issues = check_rubric(doc)
    if expected_id is not None and doc.id != expected_id:
        issues.append(
            Issue(
                ("id",), f"id {doc.id!r} does not match the file name, which says {expected_id!r}"
            )
        )
    if expected_version is not None and doc.version != expected_version:
        issues.append(
            Issue(
                ("version",),
                f"version {doc.version!r} does not match the file name, "
                f"which says {expected_version!r}",
            )
        )
    return _located(marks, issues) if issues else doc


def _located(marks: _Marks, issues: list[Issue]) -> list[RubricProblem]:
    """Each issue at the deepest part of its path the file has: a missing field's mapping."""
    problems = []
    for issue in issues:
        loc = issue.loc
        while loc not in marks:
            loc = loc[:-1]
        line, column = marks[loc]
        problems.append(RubricProblem(line, column, issue.path, issue.message))
    return sorted(problems, key=lambda p: (p.line, p.column))


def _load_yaml(text: str) -> tuple[Any, _Marks] | list[RubricProblem]:
    """The plain data, and where each path starts: the key of a field, the start of an entry."""
    try:
        loader = _Loader(text)
        root = loader.get_single_node()
    except ReaderError as exc:
        return [_reader_problem(text, exc)]
    except yaml.MarkedYAMLError as exc:
        return [_syntax_problem(exc)]
    try:
        if root is None:
            return [RubricProblem(1, 1, "", "the file is empty; a rubric is a YAML mapping")]
        if not isinstance(root, MappingNode):
            line, column = _position(root)
            kind = "list" if isinstance(root, SequenceNode) else "single value"
            return [RubricProblem(line, column, "", f"a rubric is a YAML mapping, not a {kind}")]
        marks: _Marks = {(): _position(root)}
        duplicates: list[RubricProblem] = []
        # Before construction, which rewrites the node tree to apply merge keys (<<).
        _index(loader, root, (), marks, duplicates, set())
        data = loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        return [_syntax_problem(exc)]
    finally:
        loader.dispose()
    # The loader kept only the last of each duplicated key; what it dropped cannot be checked.
    return duplicates or (data, marks)


def _index(
    loader: yaml.SafeLoader | yaml.CSafeLoader,
    node: Node,
    loc: Loc,
    marks: _Marks,
    duplicates: list[RubricProblem],
    visited: set[int],
) -> None:
    if id(node) in visited:  # an alias: its target was indexed where it was defined
        return
    visited.add(id(node))
    if isinstance(node, SequenceNode):
        for i, child in enumerate(node.value):
            marks[(*loc, i)] = _position(child)
            _index(loader, child, (*loc, i), marks, duplicates, visited)
    elif isinstance(node, MappingNode):
        for key_node, child in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == _MERGE_TAG:
                continue
            key = loader.construct_object(key_node)
            child_loc = (*loc, key if isinstance(key, str | int) else str(key))
            if child_loc in marks:
                first_line = marks[child_loc][0]
                duplicates.append(
                    RubricProblem(
                        *_position(key_node),
                        format_path(child_loc),
                        f"key {key!r} appears twice in this mapping (first on line {first_line}); "
                        "YAML would silently keep only the last",
                    )
                )
                continue
            marks[child_loc] = _position(key_node)
            _index(loader, child, child_loc, marks, duplicates, visited)


def _position(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _syntax_problem(exc: yaml.MarkedYAMLError) -> RubricProblem:
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    context = exc.context or ""
    if context and exc.context_mark:
        context += f" on line {exc.context_mark.line + 1}"
    detail = ", ".join(part for part in (context, exc.problem) if part)
    return RubricProblem(line, column, "", f"invalid YAML: {detail}")


def _reader_problem(text: str, exc: ReaderError) -> RubricProblem:
    position: int = exc.position
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    character: int = exc.character
    return RubricProblem(line, column, "", f"invalid YAML: {exc.reason} (U+{character:04X})")


def _only_echoes_its_entries(error: ErrorDetails) -> bool:
    """A list pydantic finds too short only because its entries failed, each reported already."""
    if error["type"] != "too_short":
        return False
    entries: Sized = error["input"]
    minimum: int = error["ctx"]["min_length"]
    return len(entries) >= minimum


def _issue(error: ErrorDetails) -> Issue:
    loc = tuple(part for part in error["loc"] if part != "[key]")
    return Issue(loc, _message(error, loc))


def _message(error: ErrorDetails, loc: Loc) -> str:
    """Pydantic's wording, rephrased where it speaks of Python rather than of the rubric."""
    kind, value, context = error["type"], error["input"], error.get("ctx", {})
    field = loc[-1] if loc else ""
    if kind == "missing":
        return f"required field {field!r} is missing"
    if kind == "extra_forbidden":
        return f"unknown field {field!r}: extra field not permitted"
    if kind == "enum":
        names = [part for part in loc if isinstance(part, str)]
        noun = _ENUM_NOUNS.get(names[-1] if names else "", "value")
        return f"unknown {noun} {value!r}; expected {context['expected']}"
    if kind == "string_pattern_mismatch":
        if context["pattern"] == NOT_BLANK_PATTERN:
            return "text must not be empty"
        return f"{value!r} is not {_PATTERN_HINTS[context['pattern']]}"
    if kind in {"model_type", "dict_type"}:
        return "expected a mapping of fields (key: value lines)"
    if kind in {"tuple_type", "list_type"}:
        return "expected a list"
    if kind == "too_short":
        count = context["min_length"]
        return f"needs at least {count} {'entry' if count == 1 else 'entries'}"
    message = error["msg"][:1].lower() + error["msg"][1:]
    if isinstance(value, str | int | float) or value is None:
        return f"{message}, not {_as_yaml(value)}"
    return message


def _as_yaml(value: str | float | None) -> str:
    """A scalar as the author wrote it, not as Python prints it.

    >>> [_as_yaml(v) for v in (None, True, 1.5, "heavy")]
    ['null', 'true', '1.5', "'heavy'"]
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value)
