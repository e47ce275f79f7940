"""The scoring form's fields, read into the same inputs the API's JSON body produces.

Field names: ``score-KEY`` (a scale value, or ``na``), ``harm-KEY`` and ``harmnote-KEY``,
and evidence as parallel ``evt-KEY`` (h:mm:ss, m:ss or seconds) and ``evn-KEY`` lists.
"""

from __future__ import annotations

import re

from starlette.datastructures import FormData

from app.domain.scoring import EvidenceInput, ItemScoreInput
from app.services.errors import InvalidInputError
from app.services.ratings import RatingContent

_CLOCK = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{2})$")


def parse_clock(text: str, field: str) -> int:
    """Seconds from what a rater types or the player filled in.

    >>> [parse_clock(t, "f") for t in ("75", "1:15", "1:02:05")]
    [75, 75, 3725]
    """
    text = text.strip()
    if text.isdigit():
        return int(text)
    match = _CLOCK.match(text)
    if match is None:
        raise InvalidInputError(f"{field}: write the time as m:ss or h:mm:ss, not {text[:20]!r}")
    hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    if (hours and minutes >= 60) or seconds >= 60:
        raise InvalidInputError(f"{field}: {text!r} is not a valid time")
    return hours * 3600 + minutes * 60 + seconds


def _score(raw: str, key: str) -> tuple[int | None, bool]:
    if raw == "":
        return None, False
    if raw == "na":
        return None, True
    if not raw.lstrip("-").isdigit():
        raise InvalidInputError(f"scores[{key}].score: {raw[:10]!r} is not a score")
    return int(raw), False


def rating_from_form(form: FormData, item_keys: list[str]) -> RatingContent:
    """Every item on the page, in rubric order; items left blank stay unscored."""
    scores: list[ItemScoreInput] = []
    for key in item_keys:
        score, not_applicable = _score(str(form.get(f"score-{key}", "")), key)
        times = [str(t) for t in form.getlist(f"evt-{key}")]
        notes = [str(n) for n in form.getlist(f"evn-{key}")]
        evidence = tuple(
            EvidenceInput(parse_clock(t, f"scores[{key}].evidence[{i}].timestamp"), n.strip())
            for i, (t, n) in enumerate(zip(times, notes, strict=False))
            if t.strip() or n.strip()
        )
        harm = form.get(f"harm-{key}") == "on"
        harm_note = str(form.get(f"harmnote-{key}", "")).strip()
        if score is None and not not_applicable and not harm and not evidence:
            continue
        scores.append(ItemScoreInput(key, score, not_applicable, harm, harm_note, evidence))
    version_text = str(form.get("version", "")).strip()
    version = int(version_text) if version_text.isdigit() else None
    return RatingContent(scores, str(form.get("overall_comment", "")).strip(), version)
