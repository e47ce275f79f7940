"""The rules a rating must satisfy, independent of how or where it is stored.

A trainer rates one recorded session against one rubric version. The API, the web form and
the import tools all accept ratings, so the rules live here once and report every problem at
a path the rater can act on (``scores[B5].score``) instead of stopping at the first.

Drafts are saved as the rater works, so they may be partial; a submission (``final=True``)
must cover every item that applies to the session, because readiness decisions later treat
a missing score as a gap in the evidence, not as a pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.domain.applicability import ItemScope, item_applies
from app.domain.rubrics.model import Item, RubricDocument
from app.domain.vocabulary import Modality, Phase

__all__ = [
    "EvidenceInput",
    "ItemScoreInput",
    "ScoringProblem",
    "SessionContext",
    "applicable_item_keys",
    "validate_scores",
]


@dataclass(frozen=True)
class EvidenceInput:
    """A moment in the recording that supports a score, so a reviewer can find it again."""

    timestamp_seconds: int
    note: str


@dataclass(frozen=True)
class ItemScoreInput:
    """What a rater entered for one item; ``score`` is None while undecided or not applicable."""

    item_key: str
    score: int | None
    not_applicable: bool = False
    harm_flag: bool = False
    harm_note: str = ""
    evidence: tuple[EvidenceInput, ...] = ()


@dataclass(frozen=True)
class SessionContext:
    """The facts about the rated session that decide which items apply and which times exist."""

    phase: Phase
    modalities: frozenset[Modality]
    duration_seconds: int


@dataclass(frozen=True)
class ScoringProblem:
    """One thing the rater must fix; ``item_key`` is None for problems with the whole rating."""

    item_key: str | None
    field: str
    message: str

    @property
    def path(self) -> str:
        """Where the problem is, as forms and API clients address it.

        >>> ScoringProblem("B5", "score", "...").path
        'scores[B5].score'
        >>> ScoringProblem("B5", "", "...").path
        'scores[B5]'
        >>> ScoringProblem(None, "", "...").path
        'scores'
        """
        base = "scores" if self.item_key is None else f"scores[{self.item_key}]"
        if not self.field:
            return base
        separator = "" if self.field.startswith("[") else "."
        return f"{base}{separator}{self.field}"


def applicable_item_keys(rubric: RubricDocument, session: SessionContext) -> list[str]:
    """The items a rater must address for this session, in rubric order (the order shown)."""
    return [item.key for item in rubric.items if _applies(item, session)]


def validate_scores(
    rubric: RubricDocument,
    session: SessionContext,
    scores: Sequence[ItemScoreInput],
    *,
    final: bool,
) -> list[ScoringProblem]:
    """Every problem with ``scores`` for ``session`` under ``rubric``; empty when valid.

    Problems come in input order, then (for a submission) the missing items in rubric
    order. Each entry is checked on its own so that one slip does not hide the others; an
    unknown or repeated item is reported once and not checked further, since its other
    fields have no item to be judged against.
    """
    items = {item.key: item for item in rubric.items}
    problems: list[ScoringProblem] = []
    seen: set[str] = set()
    addressed: set[str] = set()
    for entry in scores:
        key = entry.item_key
        item = items.get(key)
        if item is None:
            problems.append(
                ScoringProblem(
                    key, "item_key", f"item {key!r} is not in {rubric.id} {rubric.version}"
                )
            )
            continue
        if key in seen:
            problems.append(
                ScoringProblem(key, "item_key", f"{key} is rated more than once; rate it once")
            )
            continue
        seen.add(key)
        problems.extend(_check_entry(rubric, item, session, entry))
        if entry.score is not None or entry.not_applicable:
            addressed.add(key)
    if final:
        problems.extend(
            ScoringProblem(
                key,
                "score",
                f"{key} applies to {_session_noun(session)} and needs a score"
                + (" or 'not applicable'" if items[key].allow_not_applicable else "")
                + " before the rating can be submitted",
            )
            for key in applicable_item_keys(rubric, session)
            if key not in addressed
        )
    return problems


def _check_entry(
    rubric: RubricDocument, item: Item, session: SessionContext, entry: ItemScoreInput
) -> list[ScoringProblem]:
    key = item.key
    problems: list[ScoringProblem] = []
    applies = _applies(item, session)
    score = entry.score
    if score is not None:
        if entry.not_applicable:
            problems.append(
                ScoringProblem(
                    key,
                    "not_applicable",
                    f"{key} is marked not applicable and also scored {score!r}; "
                    "choose one (clear the score, or untick not applicable)",
                )
            )
        if not applies:
            problems.append(
                ScoringProblem(
                    key, "score", f"{key} {_why_not_applicable(item, session)}; it cannot be scored"
                )
            )
        problems.extend(_check_score(rubric, key, score))
    if entry.not_applicable and applies and not item.allow_not_applicable:
        problems.append(
            ScoringProblem(
                key,
                "not_applicable",
                f"{key} applies to {_session_noun(session)} and cannot be marked "
                "not applicable; score it",
            )
        )
    harm_note: object = entry.harm_note
    if entry.harm_flag and (not isinstance(harm_note, str) or not harm_note.strip()):
        problems.append(
            ScoringProblem(
                key,
                "harm_note",
                f"{key} is flagged for harm; describe what happened in the harm note",
            )
        )
    for index, evidence in enumerate(entry.evidence):
        problems.extend(_check_evidence(key, index, evidence, session))
    return problems


def _check_score(rubric: RubricDocument, key: str, score: object) -> list[ScoringProblem]:
    """The score against the scale; ``object`` because callers outside mypy send anything."""
    low, high = rubric.scale.min, rubric.scale.max
    # bool is an int subclass, but True as a score is a form or client bug, not a 1.
    if isinstance(score, bool) or not isinstance(score, int):
        return [
            ScoringProblem(
                key, "score", f"{key}: score must be a whole number {low}..{high}, not {score!r}"
            )
        ]
    if not low <= score <= high:
        return [
            ScoringProblem(key, "score", f"{key}: score {score} is outside the scale {low}..{high}")
        ]
    return []


def _check_evidence(
    key: str, index: int, evidence: EvidenceInput, session: SessionContext
) -> list[ScoringProblem]:
    """A timestamp must point inside the recording, or a reviewer cannot find the moment."""
    problems: list[ScoringProblem] = []
    at = f"evidence[{index}]"
    seconds: object = evidence.timestamp_seconds
    duration = session.duration_seconds
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        problems.append(
            ScoringProblem(
                key,
                f"{at}.timestamp_seconds",
                f"{key}: evidence timestamp must be a whole number of seconds, not {seconds!r}",
            )
        )
    elif not 0 <= seconds <= duration:
        problems.append(
            ScoringProblem(
                key,
                f"{at}.timestamp_seconds",
                f"{key}: evidence at {_clock(seconds)} is outside the recording "
                f"(0:00..{_clock(duration)})",
            )
        )
    note: object = evidence.note
    if not isinstance(note, str) or not note.strip():
        problems.append(
            ScoringProblem(key, f"{at}.note", f"{key}: evidence needs a note saying what it shows")
        )
    return problems


def _applies(item: Item, session: SessionContext) -> bool:
    scope = ItemScope(item.key, frozenset(item.phases), item.modality)
    return item_applies(scope, session.phase, session.modalities)


def _why_not_applicable(item: Item, session: SessionContext) -> str:
    """The reason in the rater's terms: the wrong phase, or an approach that was not used."""
    if session.phase not in item.phases:
        return f"does not apply to {_session_noun(session)}"
    return (
        f"does not apply to this session because it did not use the {item.modality.value} approach"
    )


def _session_noun(session: SessionContext) -> str:
    """
    >>> _session_noun(SessionContext(Phase.integration, frozenset(), 60))
    'an integration session'
    """
    phase = session.phase.value
    article = "an" if phase[:1] in "aeiou" else "a"
    return f"{article} {phase} session"


def _clock(seconds: int) -> str:
    """Seconds as a recording player shows them.

    >>> [_clock(s) for s in (0, 75, 3725, -5)]
    ['0:00', '1:15', '1:02:05', '-0:05']
    """
    sign = "-" if seconds < 0 else ""
    minutes, secs = divmod(abs(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{secs:02d}"
    return f"{sign}{minutes}:{secs:02d}"
