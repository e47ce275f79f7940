"""Readiness reasons in plain words for the trainee they are about.

The readiness rules state each reason tersely and with numbers (``4 rated sessions < 6
required``; the forms are listed in ``app.domain.readiness``), which suits a committee.
A trainee reads the same reason as a sentence addressed to them, with item and domain titles
from the rubric and dates as people write them. The terse rule stays beside the sentence,
so nothing is lost in the telling; a reason of a form not known here is shown as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from app.domain.rubrics.model import RubricDocument

_KEY = r"([A-Z][A-Za-z0-9_-]*)"
_NUM = r"(\d+(?:\.\d+)?)"
_DATE = r"(\d{4}-\d{2}-\d{2})"
_WHERE = rf"(\w+) session \d+ on {_DATE}"


@dataclass(frozen=True)
class Reason:
    """A reason as a sentence, and the rule's own wording."""

    plain: str
    rule: str


def _day(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%-d %b %Y")


def _sessions(n: int | str) -> str:
    return f"{n} session" if int(n) == 1 else f"{n} sessions"


def _verb(n: str, one: str, many: str) -> str:
    return one if n == "1" else many


def _count_of_your(n: str) -> str:
    """``2 of your`` / ``None of your``."""
    return "None of your" if int(n) == 0 else f"{n} of your"


def _by(who: str) -> str:
    """``2 raters`` -> ``by 2 raters``; ``1 rater, admin`` -> ``by a rater and an admin``."""
    words = {"admin": "an admin", "1 rater": "a rater"}
    return "by " + " and ".join(words.get(p, p) for p in who.split(", "))


class _Explainer:
    """The sentences, one per form of reason; the rubric supplies titles and the policy."""

    def __init__(self, rubric: RubricDocument) -> None:
        self.titles = {item.key: item.title for item in rubric.items}
        self.raters_needed = rubric.readiness.program_rule.min_raters_per_session

    def item(self, key: str) -> str:
        title = self.titles.get(key)
        return f"{key} “{title}”" if title else key

    def few_sessions(self, n: str, needed: str) -> str:
        verb = "has" if int(n) <= 1 else "have"
        return (
            f"{_count_of_your(n)} sessions {verb} been rated and released so far; "
            f"the program needs at least {needed}."
        )

    def no_phase(self, phase: str) -> str:
        return f"None of your {phase} sessions has been rated and released yet; one is needed."

    def no_rater(self, n: str) -> str:
        return f"{_sessions(n)} of yours {_verb(n, 'has', 'have')} no rating yet."

    def single_rater(self, n: str) -> str:
        return (
            f"{_sessions(n)} of yours {_verb(n, 'was', 'were')} rated by only one rater; "
            f"every session needs {self.raters_needed} raters."
        )

    def few_raters(self, n: str, raters: str, needed: str) -> str:
        return (
            f"{_sessions(n)} of yours {_verb(n, 'was', 'were')} rated by {raters} raters; "
            f"every session needs {needed}."
        )

    def unscored_domain(self, _: str, title: str) -> str:
        return f"No item of “{title}” has been scored in your released sessions yet."

    def low_agreement(self, coefficient: str, value: str, needed: str) -> str:
        return (
            "Your raters do not yet agree closely enough for your scores to be relied on: "
            f"their agreement ({coefficient}) is {value}, and the program needs {needed}. "
            "More rated sessions usually settle this."
        )

    def agreement_unknown(self, coefficient: str, why: str) -> str:
        return (
            f"How closely your raters agree ({coefficient}) cannot be measured yet: {why}. "
            "More rated sessions usually settle this."
        )

    def agreement_not_measured(self) -> str:
        return (
            "How closely your raters agree has not been measured the way the program "
            "requires, so no decision can be made yet."
        )

    def confirmed_harm(self, key: str, who: str, phase: str, day: str) -> str:
        return (
            f"A possible-harm flag on {self.item(key)} in your {phase} session of {_day(day)} "
            f"was confirmed {_by(who)}. While it stands you cannot be found ready; talk it "
            "through with your supervisor."
        )

    def latest_gate(self, key: str, value: str, needed: str, phase: str, day: str) -> str:
        return (
            f"Safety item {self.item(key)} scored {value} in your latest {phase} session "
            f"({_day(day)}); it must reach {needed} in the latest session of each phase."
        )

    def gate_mean(self, key: str, value: str, needed: str, n: str) -> str:
        return (
            f"Your average on safety item {self.item(key)} is {value} over {_sessions(n)}; "
            f"it must be at least {needed}."
        )

    def few_competent(self, competent: str, phase: str, needed: str, rated: str) -> str:
        sessions = f"{rated} rated {phase} session{_verb(rated, '', 's')}"
        if int(competent) == 0:
            done = (
                f"Your {sessions} has not met the session standard yet"
                if rated == "1"
                else f"None of your {sessions} has met the session standard yet"
            )
        elif competent == rated:
            done = f"Your {sessions} {_verb(rated, 'has', 'have all')} met the session standard"
        else:
            verb = _verb(competent, "has", "have")
            done = f"{competent} of your {sessions} {verb} met the session standard"
        return f"{done}; at least {needed} must."

    def low_domain(self, _: str, title: str, value: str, needed: str, n: str) -> str:
        return (
            f"Your average in “{title}” is {value} over {_sessions(n)}; "
            f"the program expects at least {needed}."
        )

    def single_flag(self, key: str, phase: str, day: str) -> str:
        return (
            f"One rater flagged possible harm on {self.item(key)} in your {phase} session of "
            f"{_day(day)}. It counts only if a second rater flags it too or an admin "
            "confirms it."
        )

    def rules(self) -> list[tuple[str, Callable[..., str]]]:
        return [
            (rf"{_NUM} rated sessions? < {_NUM} required", self.few_sessions),
            (r"no rated (\w+) session", self.no_phase),
            (r"(\d+) sessions? (?:has|have) no rater", self.no_rater),
            (r"(\d+) sessions? (?:has|have) a single rater", self.single_rater),
            (r"(\d+) sessions? (?:has|have) (\d+) raters < (\d+) required", self.few_raters),
            (rf"no scored item in {_KEY}\. (.+)", self.unscored_domain),
            (rf"reliability of this evidence (\w+) = {_NUM} < {_NUM}", self.low_agreement),
            (r"reliability of this evidence (\w+) cannot be estimated: (.+)",
             self.agreement_unknown),
            (r"reliability of this evidence .+", self.agreement_not_measured),
            (rf"confirmed harm flag on {_KEY} \((.+)\) in {_WHERE}", self.confirmed_harm),
            (rf"{_KEY} safety gate {_NUM} < {_NUM} in the latest {_WHERE}", self.latest_gate),
            (rf"{_KEY} safety gate mean {_NUM} < {_NUM} over (\d+) sessions?", self.gate_mean),
            (r"(\d+) competent (\w+) sessions? < (\d+) required \((\d+) rated\)",
             self.few_competent),
            (rf"{_KEY}\. (.+) mean {_NUM} < {_NUM} over (\d+) sessions?", self.low_domain),
            (rf"unconfirmed harm flag on {_KEY} \(1 rater\) in {_WHERE}: .*", self.single_flag),
        ]  # fmt: skip


def explain(reasons: Sequence[str], rubric: RubricDocument) -> list[Reason]:
    """Each reason as a sentence to its trainee, in the order given."""
    rules = [(re.compile(p), say) for p, say in _Explainer(rubric).rules()]
    out = []
    for reason in reasons:
        plain = reason
        for pattern, say in rules:
            match = pattern.fullmatch(reason)
            if match:
                plain = say(*match.groups())
                break
        out.append(Reason(plain, reason))
    return out
