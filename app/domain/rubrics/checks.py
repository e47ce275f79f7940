"""Rules of the rubric format that span fields, so no single pydantic field can enforce them.

Each problem carries the location of the field it concerns (a pydantic-style ``loc``), so
the parser can point the author at the exact line of the YAML source.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from app.domain.rubrics.model import Item, Phase, RubricDocument, Scale

Loc = tuple[str | int, ...]


def format_path(loc: Iterable[str | int]) -> str:
    """Render a location the way authors read it: ``domains[2].items[0].anchors[7]``.

    Integers are list positions or integer mapping keys (anchor scores); names are fields.

    >>> format_path(("readiness", "session_rule", "item_minimums", "B2"))
    'readiness.session_rule.item_minimums.B2'
    >>> format_path(())
    ''
    """
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path


@dataclass(frozen=True)
class Issue:
    loc: Loc
    message: str

    @property
    def path(self) -> str:
        return format_path(self.loc)


def check_rubric(doc: RubricDocument) -> list[Issue]:
    """Every cross-field problem at once, so an author can fix a file in one pass."""
    issues = [
        *_unique_keys("source", ((s.key, ("sources", i)) for i, s in enumerate(doc.sources))),
        *_unique_keys("domain", ((d.key, ("domains", i)) for i, d in enumerate(doc.domains))),
        *_unique_keys("item", ((item.key, loc) for item, loc in _located_items(doc))),
        *_scale(doc.scale),
        *_items(doc),
        *_repeated_phases(
            doc.readiness.program_rule.required_phases,
            ("readiness", "program_rule", "required_phases"),
        ),
        *_policy_names(doc),
    ]
    # Scores are judged against the scale, which is meaningless until the scale itself is sound.
    if doc.scale.min < doc.scale.max:
        issues += [*_anchors(doc), *_thresholds(doc)]
    return issues


def _located_items(doc: RubricDocument) -> Iterator[tuple[Item, Loc]]:
    for d, domain in enumerate(doc.domains):
        for i, item in enumerate(domain.items):
            yield item, ("domains", d, "items", i)


def _items(doc: RubricDocument) -> Iterator[Issue]:
    for item, loc in _located_items(doc):
        yield from _repeated_phases(item.phases, (*loc, "phases"))
        if item.allow_not_applicable and item.not_applicable_when is None:
            yield Issue(
                (*loc, "not_applicable_when"),
                "not_applicable_when must say when the item does not apply, "
                "because allow_not_applicable is true",
            )


def _unique_keys(what: str, entries: Iterable[tuple[str, Loc]]) -> Iterator[Issue]:
    first: dict[str, Loc] = {}
    for key, loc in entries:
        if key in first:
            yield Issue(
                (*loc, "key"), f"{what} key {key!r} is already used by {format_path(first[key])}"
            )
        else:
            first[key] = loc


def _repeated_phases(phases: Iterable[Phase], loc: Loc) -> Iterator[Issue]:
    seen: set[Phase] = set()
    for i, phase in enumerate(phases):
        if phase in seen:
            yield Issue((*loc, i), f"phase {phase.value!r} is listed more than once")
        seen.add(phase)


def _scale(scale: Scale) -> Iterator[Issue]:
    if scale.min >= scale.max:
        yield Issue(("scale", "max"), f"max ({scale.max}) must be greater than min ({scale.min})")
        return
    span = f"{scale.min}..{scale.max}"
    first: dict[int, int] = {}
    previous: int | None = None
    for i, point in enumerate(scale.points):
        loc: Loc = ("scale", "points", i, "value")
        value = point.value
        if not scale.min <= value <= scale.max:
            yield Issue(loc, f"scale point {value} is outside min..max ({span})")
            continue
        if value in first:
            yield Issue(
                loc, f"scale point {value} is repeated (first at scale.points[{first[value]}])"
            )
        elif previous is not None and value < previous:
            yield Issue(loc, f"scale point {value} comes after {previous}; list points in order")
        first.setdefault(value, i)
        previous = value
    missing = [v for v in range(scale.min, scale.max + 1) if v not in first]
    if missing:
        yield Issue(
            ("scale", "points"),
            f"the scale has no point for {_join(missing)}; every integer in {span} needs one",
        )


def _required_anchors(scale: Scale) -> list[int]:
    """Anchors every second point, and at both ends, so raters can interpolate the rest."""
    return sorted({*range(scale.min, scale.max + 1, 2), scale.max})


def _anchors(doc: RubricDocument) -> Iterator[Issue]:
    scale = doc.scale
    required = _required_anchors(scale)
    for item, loc in _located_items(doc):
        for score in sorted(item.anchors):
            if not scale.min <= score <= scale.max:
                yield Issue(
                    (*loc, "anchors", score),
                    f"anchor {score} is outside the scale {scale.min}..{scale.max}",
                )
        missing = [score for score in required if score not in item.anchors]
        if missing:
            yield Issue(
                (*loc, "anchors"),
                f"no anchor at {_join(missing)}; anchors are required at {_join(required)}",
            )


def _policy_names(doc: RubricDocument) -> Iterator[Issue]:
    item_keys = {item.key for item in doc.items}
    domain_keys = {domain.key for domain in doc.domains}
    session_loc: Loc = ("readiness", "session_rule", "item_minimums")
    for key in doc.readiness.session_rule.item_minimums:
        if key not in item_keys:
            yield Issue((*session_loc, key), f"item_minimums names an unknown item {key!r}")
    program_loc: Loc = ("readiness", "program_rule", "domain_min_mean")
    for key in doc.readiness.program_rule.domain_min_mean:
        if key not in domain_keys:
            yield Issue((*program_loc, key), f"domain_min_mean names an unknown domain {key!r}")


def _thresholds(doc: RubricDocument) -> Iterator[Issue]:
    scale = doc.scale
    session = doc.readiness.session_rule
    program = doc.readiness.program_rule
    session_loc: Loc = ("readiness", "session_rule")
    named: list[tuple[Loc, float]] = [
        ((*session_loc, "min_mean"), session.min_mean),
        ((*session_loc, "min_item"), session.min_item),
        ((*session_loc, "min_safety_gate"), session.min_safety_gate),
        *(((*session_loc, "item_minimums", k), v) for k, v in session.item_minimums.items()),
        *(
            (("readiness", "program_rule", "domain_min_mean", k), v)
            for k, v in program.domain_min_mean.items()
        ),
    ]
    for loc, threshold in named:
        if not scale.min <= threshold <= scale.max:
            yield Issue(
                loc,
                f"{format_path(loc[-2:])} is {threshold}, outside the scale "
                f"{scale.min}..{scale.max}",
            )


def _join(values: Iterable[int]) -> str:
    """``0, 2, 4 and 6``: how a person lists scores.

    >>> _join([4])
    '4'
    >>> _join([0, 2, 4, 6])
    '0, 2, 4 and 6'
    """
    words = [str(v) for v in values]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"
