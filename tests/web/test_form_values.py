"""Reading what browsers send: blank is "not given", anything unreadable is named."""

from __future__ import annotations

import doctest
from collections.abc import Callable

import pytest

from app.domain.vocabulary import Phase
from app.services.errors import InvalidInputError
from app.web import form_values
from app.web.form_values import (
    listed,
    local_path,
    optional_choice,
    optional_date,
    optional_id,
    whole_number,
)


def test_the_examples_in_the_module_hold() -> None:
    assert doctest.testmod(form_values).failed == 0


@pytest.mark.parametrize(
    ("read", "message"),
    [
        (lambda: optional_id("0", "cohort"), "cohort: '0' is not an id"),
        (lambda: optional_id(str(2**31), "cohort"), "is not an id"),
        (lambda: optional_date("2026-02-30", "due_date"), "due_date: '2026-02-30' is not a date"),
        (lambda: optional_choice("prep", "phase", Phase), "phase: 'prep' is not one of"),
        (lambda: whole_number("2.5", "raters_per_session", 1, 20), "from 1 to 20"),
        (lambda: whole_number("21", "raters_per_session", 1, 20), "from 1 to 20"),
        (lambda: listed(["1", "x"], "session", optional_id), "session: 'x' is not an id"),
    ],
)
def test_unreadable_values_name_their_field(read: Callable[[], object], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message.replace("(", r"\(")):
        read()


def test_only_paths_under_the_prefix_are_followed() -> None:
    for target in ("//evil.example/p/a/", "/p/a/admin/\\evil", "/p/b/admin/sessions", None, ""):
        assert local_path(target, "/p/a/admin/", "/p/a/admin") == "/p/a/admin"
    assert listed(["", "3", " "], "session", optional_id) == [3]
