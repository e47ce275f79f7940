"""The blind-rating and release rules as a plain model, for the state machine to check against.

It holds what the API told each actor (ids, and each rating as last returned) and says what
every reader may see. It is written from the rules, not from the services, and it decides
what a reader gets from the reader's own state wherever the reader is still blind, so that no
expectation of a blind reader can depend on a peer:

- a rater with an unsubmitted assignment on a session sees none of its ratings, and nothing
  that changes when a peer drafts, submits, amends or is keyed a master rating;
- after submitting, a rater sees their own rating and the session's master rating, and every
  rating once all assigned (non-master) ratings are in;
- an admin who does not rate the session sees its submitted ratings;
- a trainee sees their own session's ratings, master ones excepted, once all are in and the
  session is released; nobody else sees anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.domain.vocabulary import AssignmentStatus

ADMINS = ("admin", "lead")  # "admin" also rates; "lead" keys master ratings
TRAINERS = ("t1", "t2", "t3")
RATERS = ("admin", *TRAINERS)
TRAINEES = ("trainee", "trainee2")
OUTSIDER = "other_admin"  # an admin of another program
READERS = (*ADMINS, *TRAINERS, *TRAINEES, OUTSIDER)
STAFF = (*ADMINS, *TRAINERS)

OPEN = (AssignmentStatus.assigned, AssignmentStatus.in_progress)
Json = dict[str, Any]


@dataclass
class ModelAssignment:
    id: int
    rater: str
    status: AssignmentStatus = AssignmentStatus.assigned
    master: bool = False
    rating: Json | None = None  # the rating as the API last returned it to someone allowed
    key: str | None = None  # the Idempotency-Key it was submitted with

    @property
    def active(self) -> bool:
        return self.status is not AssignmentStatus.withdrawn


@dataclass
class ModelSession:
    id: int
    trainee: str
    released: bool = False
    assignments: list[ModelAssignment] = field(default_factory=list)

    def of(self, rater: str) -> ModelAssignment | None:
        """The rater's assignment on this session in any state, master or not."""
        return next((a for a in self.assignments if a.rater == rater), None)

    def active(self) -> list[ModelAssignment]:
        return [a for a in self.assignments if a.active]

    def pending(self, reader: str) -> bool:
        return any(a.rater == reader and a.status in OPEN for a in self.assignments)

    def pending_raters(self) -> list[str]:
        return [a.rater for a in self.assignments if a.status in OPEN]

    def complete(self) -> bool:
        raters = [a for a in self.active() if not a.master]
        return bool(raters) and all(a.status is AssignmentStatus.submitted for a in raters)

    def master(self) -> ModelAssignment | None:
        return next((a for a in self.assignments if a.master), None)


@dataclass
class BlindModel:
    names: dict[str, str]  # actor -> full name, as the API prints raters
    auto_release: bool = False
    sessions: dict[int, ModelSession] = field(default_factory=dict)

    # What each reader may see ------------------------------------------------------------

    def visible_ratings(self, reader: str, recorded: ModelSession) -> list[Json] | None:
        """The body of GET .../sessions/{id}/ratings, or None for a 404."""
        if reader == OUTSIDER or (reader in TRAINEES and recorded.trainee != reader):
            return None
        if recorded.pending(reader):
            return None
        submitted = [a for a in recorded.active() if a.status is AssignmentStatus.submitted]
        mine = recorded.of(reader)
        rates = mine is not None and mine.active and not mine.master
        if reader in ADMINS or (rates and recorded.complete()):
            shown = submitted
        elif rates:
            shown = [a for a in submitted if a.master or a.rater == reader]
        elif reader == recorded.trainee and recorded.complete() and recorded.released:
            shown = [a for a in submitted if not a.master]
        else:
            return None
        return sorted(
            (
                {**a.rating, "rater": self.names[a.rater], "master": a.master}
                for a in shown
                if a.rating is not None
            ),
            key=lambda r: r["id"],
        )

    def may_see_session(self, reader: str, recorded: ModelSession) -> bool:
        return reader in STAFF or reader == recorded.trainee

    def queue(self, reader: str) -> list[tuple[int, int, str]]:
        """(assignment id, session id, status) of the reader's open assignments, oldest first."""
        return sorted(
            (a.id, s.id, a.status.value)
            for s in self.sessions.values()
            for a in s.assignments
            if a.rater == reader and a.status in OPEN and not a.master
        )

    def own_rating(self, reader: str, assignment: ModelAssignment) -> Json | None:
        """GET .../assignments/{id}/rating: the reader's own saved rating, or None for a 404."""
        if assignment.rater != reader or not assignment.active:
            return None
        return assignment.rating

    def session_assignments(self, reader: str, recorded: ModelSession) -> list[Json] | None:
        """GET .../sessions/{id}/assignments for an admin; None for a 404."""
        if reader not in ADMINS or recorded.pending(reader):
            return None
        return [
            {"id": a.id, "rater": a.rater, "status": a.status.value, "is_master": a.master}
            for a in sorted(recorded.assignments, key=lambda a: a.id)
        ]

    def evidence(self, trainee: str, *, released_only: bool = False) -> set[int]:
        """The sessions a trainee's readiness rests on: their complete ones (and released)."""
        return {
            s.id
            for s in self.sessions.values()
            if s.trainee == trainee and s.complete() and (s.released or not released_only)
        }

    # What each writer may do -------------------------------------------------------------

    def may_amend(self, actor: str, recorded: ModelSession, assignment: ModelAssignment) -> bool:
        """Raters amend their own submitted rating; admins any they may read."""
        if assignment.status is not AssignmentStatus.submitted:
            return False
        if actor in ADMINS:
            return not recorded.pending(actor)
        return assignment.rater == actor

    def complete_and_maybe_release(self, recorded: ModelSession) -> None:
        """A program that releases automatically does so when the last rating comes in."""
        if self.auto_release and recorded.complete():
            recorded.released = True
