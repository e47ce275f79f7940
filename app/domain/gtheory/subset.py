"""The largest balanced block of a programme's ratings, for an ANOVA G study.

ANOVA variance components need balance: every trainee with the same number of sessions, each
scored by the same raters. Programme data are not like that (sessions are shared out among
trainers, trainees record different numbers of sessions), so we choose

- a set R of raters (at least ``min_raters``),
- a number n_s of sessions (at least ``min_sessions``),

and keep every trainee with at least n_s sessions scored by all of R, each with the first n_s
such sessions (by session date, then session id in sorted order), scored by R only. The
choice maximises the
ratings kept, n_p x n_s x |R|; among equal choices it takes fewer raters, then more trainees,
then the rater set first in label order. The same block serves both designs: for
``"p x r x s"`` the k-th kept session of every trainee is occasion k.

For one R the best n_s is exact and cheap: with c_(1) >= c_(2) >= ... the trainees' counts of
sessions scored by all of R, keeping j trainees allows n_s = c_(j), so the best is the largest
j c_(j). Rater sets are searched by branch and bound: every pair; then a greedy pass that
grows the best pair by the rater keeping the most, to give the bound a strong incumbent;
then every larger set, grown one rater at a time in label order (so each is visited once),
but only from sets whose bound beats the best so far. A set R's bound on what any larger set
can keep is (most raters on a session R co-rated) x (sessions R co-rated, of trainees with at
least ``min_sessions`` of them), and 0 when no co-rated session has more raters than R: so
with two raters per session nothing but pairs is evaluated. The search is exact unless it
needs more than ``max_candidates`` rater sets; then it stops and says so.

Limits: the objective counts ratings, so it can prefer a few trainees with many sessions to
many with few (3 x 20 > 25 x 2), which leaves s2(p) on few degrees of freedom: raise
``min_trainees`` if that matters. Everything outside the block is ignored (``dropped`` says
how much and why); an unbalanced estimator (Henderson's method 1, Brennan 2001, ch. 7) would
use it. Trainees kept for having many co-rated sessions need not be typical of the
programme, and first-by-date sessions are the early ones; the description says which.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from app.domain.gtheory.anova import Design, GStudy, g_study
from app.domain.reliability.data import RatingsInputError
from app.domain.reliability.results import NotApplicable

IntArray = NDArray[np.intp]
Labels = Sequence[Any] | NDArray[Any]
BoolArray = NDArray[np.bool_]
_BATCH = 256  # rater sets evaluated together: bounds memory at sessions x 256
DROP_REASONS = {
    "score_missing": "with no score",
    "rater_not_chosen": "by other raters",
    "session_lacks_a_chosen_rater": "of sessions not scored by every chosen rater",
    "trainee_too_few_sessions": "of trainees with too few such sessions",
    "session_beyond_first_n": "of later sessions",
}


@dataclass(frozen=True)
class BalancedSubset:
    """The chosen block as ``scores[trainee, session, rater]``, and how it was chosen.

    ``sessions[i]`` are trainee i's kept sessions in order; ``dropped`` counts the ratings
    left out, each under the first reason that applies (keys of ``DROP_REASONS``).
    """

    scores: NDArray[np.float64]
    trainees: tuple[str, ...]
    sessions: tuple[tuple[str, ...], ...]
    raters: tuple[str, ...]
    n_trainees_total: int
    n_ratings_total: int
    dropped: Mapping[str, int]
    subset_description: str
    how_chosen: str
    exhaustive: bool

    @property
    def n_ratings(self) -> int:
        return int(self.scores.size)

    @property
    def dropped_description(self) -> str:
        parts = [f"{n:,} {DROP_REASONS[k]}" for k, n in self.dropped.items() if n]
        return "dropped: " + ("; ".join(parts) if parts else "nothing")

    def g_study(self, design: Design) -> GStudy | NotApplicable:
        """The G study of this block, with the block's description first among its notes."""
        g = g_study(self.scores, design)
        if isinstance(g, NotApplicable):
            return g
        note = f"balanced subset: {self.subset_description} ({self.how_chosen})"
        return dataclasses.replace(g, notes=(note, *g.notes))


@dataclass(frozen=True)
class _Best:
    retained: int
    n_raters: int
    n_trainees: int
    n_sessions: int
    raters: tuple[int, ...]

    def key(self) -> tuple[int, ...]:
        # Larger is better: more ratings, then fewer raters, more trainees, earlier labels.
        return (self.retained, -self.n_raters, self.n_trainees, *(-r for r in self.raters))


def balanced_subset(
    trainees: Labels,
    sessions: Labels,
    raters: Labels,
    scores: ArrayLike,
    session_dates: Labels | None = None,
    *,
    min_raters: int = 2,
    min_sessions: int = 2,
    min_trainees: int = 2,
    max_candidates: int = 20_000,
) -> BalancedSubset | NotApplicable:
    """Choose the balanced block; records are (trainee, session, rater, score[, date]).

    A score is one rater's score of one session (the service's mean over applicable items);
    NaN is a missing score. A session belongs to one trainee. Sessions are ordered by date,
    then by id, so dates need only be comparable: datetime64, dates or ISO strings. Integer
    ids and datetime64 dates in numpy arrays are the fastest.

    Three trainees; raters a and b co-scored the first two sessions of t1 and t2:

    >>> rows = [("t1", 1, "a", 3), ("t1", 1, "b", 4), ("t1", 2, "a", 2), ("t1", 2, "b", 3),
    ...         ("t2", 3, "a", 5), ("t2", 3, "b", 5), ("t2", 4, "a", 4), ("t2", 4, "b", 3),
    ...         ("t2", 5, "a", 4), ("t3", 6, "c", 1), ("t3", 7, "a", 2)]
    >>> subset = balanced_subset(*zip(*rows))
    >>> print(subset.subset_description)  # doctest: +NORMALIZE_WHITESPACE
    2 of 3 trainees with their first 2 sessions (by session id) each scored by the same
    2 raters (a, b); 8 of 11 ratings
    >>> subset.dropped_description
    'dropped: 1 by other raters; 2 of sessions not scored by every chosen rater'
    """
    for name, value, least in (
        ("min_raters", min_raters, 2),
        ("min_sessions", min_sessions, 1),
        ("min_trainees", min_trainees, 1),
        ("max_candidates", max_candidates, 1),
    ):
        if value < least:
            raise RatingsInputError(f"{name} must be at least {least}")
    y = np.asarray(scores, dtype=np.float64)
    given = [trainees, sessions, raters] + ([] if session_dates is None else [session_dates])
    if y.ndim != 1 or any(
        len(c) != y.size or (isinstance(c, np.ndarray) and c.ndim != 1) for c in given
    ):
        raise RatingsInputError("trainee, session, rater, score and date columns differ")
    if np.isinf(y).any():
        row = int(np.flatnonzero(np.isinf(y))[0])
        raise RatingsInputError(f"score {y[row]} is not finite", row)
    name = "balanced_subset"
    rows = np.flatnonzero(~np.isnan(y))
    n_missing = y.size - rows.size
    if rows.size == 0:
        return NotApplicable(name, "there are no scores")
    s_lab, s_code = _factorize(sessions, "session", rows)
    r_lab, r_code = _factorize(raters, "rater", rows)
    n_sess, n_r = len(s_lab), len(r_lab)
    t_lab, t_of_s = _per_session(trainees, "trainee", rows, s_code, n_sess, sessions)
    date_of_s = np.zeros(n_sess, np.intp)
    if session_dates is not None:
        date_of_s = _per_session(session_dates, "date", rows, s_code, n_sess, sessions)[1]
    n_t = len(t_lab)
    y = y[rows]
    cell = s_code * n_r + r_code
    if np.bincount(cell, minlength=n_sess * n_r).max() > 1:
        order = np.argsort(cell, kind="stable")
        i = int(order[np.flatnonzero(np.diff(cell[order]) == 0)[0] + 1])
        raise RatingsInputError(
            f"rater {_at(raters, rows[i])!r} scored session {_at(sessions, rows[i])!r} more "
            "than once",
            int(rows[i]),
        )

    # Sessions in (trainee, date, id) order: each trainee's sessions are one contiguous run,
    # in the order their first n_s are taken.
    order_s = np.lexsort((np.arange(n_sess), date_of_s, t_of_s))
    pos = np.empty(n_sess, np.intp)
    pos[order_s] = np.arange(n_sess)
    grid = np.full((n_sess, n_r), np.nan)
    grid[pos[s_code], r_code] = y
    rated = ~np.isnan(grid)
    t_sorted = t_of_s[order_s]
    starts = np.flatnonzero(np.r_[True, t_sorted[1:] != t_sorted[:-1]])

    reason = None
    if n_r < min_raters:
        reason = f"needs scores from at least {min_raters} raters; these data have {n_r}"
    elif n_t < min_trainees:
        reason = f"needs at least {min_trainees} trainees; these data have {n_t}"
    if reason is not None:
        return NotApplicable(name, reason)

    search = _Search(rated, starts, min_raters, min_sessions, min_trainees, max_candidates)
    best = search.run()
    if best is None:
        stopped = "" if search.exhaustive else f" (the search stopped at {max_candidates:,} sets)"
        return NotApplicable(
            name,
            f"no {min_raters} raters all scored at least {min_sessions} sessions of each of "
            f"at least {min_trainees} trainees; the most sessions any two raters both "
            f"scored is {search.most_co_rated}{stopped}",
        )

    chosen = np.array(best.raters, dtype=np.intp)
    n_p, n_s, k = best.n_trainees, best.n_sessions, best.n_raters
    covered = rated[:, chosen].all(axis=1)
    cum = np.cumsum(covered)
    rank = cum - np.r_[0, cum][starts][t_sorted]  # 1-based among the trainee's covered
    keep_t = np.add.reduceat(covered, starts, dtype=np.intp) >= n_s
    keep_s = covered & (rank <= n_s) & keep_t[t_sorted]
    assert int(keep_t.sum()) == n_p
    assert int(keep_s.sum()) == n_p * n_s
    block = grid[keep_s][:, chosen].reshape(n_p, n_s, k)

    in_r = np.zeros(n_r, np.bool_)
    in_r[chosen] = True
    at = pos[s_code]
    by_chosen = in_r[r_code]
    cov, t_ok = covered[at], keep_t[t_sorted[at]]
    dropped = {
        "score_missing": n_missing,
        "rater_not_chosen": int((~by_chosen).sum()),
        "session_lacks_a_chosen_rater": int((by_chosen & ~cov).sum()),
        "trainee_too_few_sessions": int((by_chosen & cov & ~t_ok).sum()),
        "session_beyond_first_n": int((by_chosen & cov & t_ok & ~keep_s[at]).sum()),
    }
    assert sum(dropped.values()) - n_missing + block.size == y.size

    labels = tuple(str(r_lab[i]) for i in best.raters)
    by = "by session id" if session_dates is None else "by date"
    description = (
        f"{n_p:,} of {n_t:,} trainees with their first {n_s} session{'s' * (n_s != 1)} "
        f"({by}) each scored by the same {k} raters ({', '.join(labels)}); "
        f"{block.size:,} of {y.size + n_missing:,} ratings"
    )
    how = (
        f"chosen to keep the most ratings (trainees x sessions x raters) over "
        f"{search.evaluated:,} rater sets of {min_raters} or more raters, with at least "
        f"{min_sessions} sessions and {min_trainees} trainees; ties go to fewer raters, then "
        "more trainees"
    )
    if not search.exhaustive:
        how += (
            f"; the search stopped at {max_candidates:,} rater sets, so a larger balanced "
            "subset may exist"
        )
    kept_sessions = np.array(s_lab, dtype=object)[order_s[keep_s]].reshape(n_p, n_s)
    return BalancedSubset(
        block,
        tuple(str(t_lab[i]) for i in np.flatnonzero(keep_t).tolist()),
        tuple(tuple(map(str, row)) for row in kept_sessions.tolist()),
        labels,
        n_t,
        int(y.size + n_missing),
        dropped,
        description,
        how,
        search.exhaustive,
    )


def _factorize(values: Labels, what: str, rows: IntArray) -> tuple[list[Any], IntArray]:
    """The distinct values at ``rows``, sorted, and each row's index among them.

    Numbers and datetime64 arrays go to np.unique. Anything else (string ids, dates) goes
    through a dict, so that only the distinct values are sorted: for 80,000 string records
    several times faster than sorting them all.
    """
    if isinstance(values, np.ndarray) and values.dtype.kind in "biufmM":
        labels, codes = np.unique(values[rows], return_inverse=True)
        return labels.tolist(), codes.astype(np.intp)
    seq = values.tolist() if isinstance(values, np.ndarray) else values
    if rows.size != len(seq):
        seq = [seq[i] for i in rows.tolist()]
    index: dict[Any, int] = {}
    try:
        first_seen = np.fromiter((index.setdefault(v, len(index)) for v in seq), np.intp, len(seq))
        distinct = list(index)
        order = sorted(range(len(distinct)), key=distinct.__getitem__)
    except TypeError as exc:
        raise RatingsInputError(
            f"{what} values must be comparable with each other: {exc}"
        ) from None
    rank = np.empty(len(distinct), np.intp)
    rank[order] = np.arange(len(distinct))
    return [distinct[i] for i in order], rank[first_seen]


def _per_session(
    values: Labels, what: str, rows: IntArray, s_code: IntArray, n_sess: int, sessions: Labels
) -> tuple[list[Any], IntArray]:
    """A session attribute (trainee, date): its sorted distinct values and each session's.

    Every record of a session must carry the same value. A numpy array (other than of
    objects) is checked as it is and only the sessions' values are sorted; other values are
    factorised first.
    """
    numeric = isinstance(values, np.ndarray) and values.dtype.kind != "O"
    if numeric:
        code: NDArray[Any] = np.asarray(values)[rows]
    else:
        distinct, code = _factorize(values, what, rows)
    per = np.empty(n_sess, code.dtype)
    per[s_code] = code  # one record of each session; every record is compared with it
    if _unequal(code, per[s_code]).any():
        # Name the first record that disagrees with its session's first record.
        first = np.full(n_sess, s_code.size)
        np.minimum.at(first, s_code, np.arange(s_code.size))
        ref = first[s_code]
        i = int(np.flatnonzero(_unequal(code, code[ref]))[0])
        raise RatingsInputError(
            f"session {_at(sessions, rows[i])!r} has {what} {_at(values, rows[ref[i]])!r} and "
            f"{_at(values, rows[i])!r}; each session has one {what}",
            int(rows[i]),
        )
    if numeric:
        labels, of_session = np.unique(per, return_inverse=True)
        return labels.tolist(), of_session.astype(np.intp)
    return distinct, per


def _unequal(a: NDArray[Any], b: NDArray[Any]) -> BoolArray:
    """Elementwise a != b, with NaN equal to NaN and NaT to NaT (two missing dates agree)."""
    differ: BoolArray = a != b
    if a.dtype.kind == "f":
        differ &= ~(np.isnan(a) & np.isnan(b))
    elif a.dtype.kind in "mM":
        differ &= ~(np.isnat(a) & np.isnat(b))
    return differ


def _at(values: Labels, row: int) -> Any:
    value = values[int(row)]
    return value.item() if isinstance(value, np.generic) else value


class _Search:
    """Branch and bound over rater sets; see the module docstring for the bound."""

    def __init__(
        self,
        rated: BoolArray,
        starts: IntArray,
        min_raters: int,
        min_sessions: int,
        min_trainees: int,
        max_candidates: int,
    ) -> None:
        self.rated, self.starts = rated, starts
        # The narrowest dtype keeps the sessions x sets temporaries small (see _evaluate).
        self.per_session = rated.sum(axis=1).astype(np.min_scalar_type(rated.shape[1]))
        self.min_raters, self.min_s, self.min_t = min_raters, min_sessions, min_trainees
        self.budget = max_candidates
        self.evaluated = 0
        self.exhaustive = True
        self.most_co_rated = 0
        self.best: _Best | None = None
        self.seen: dict[tuple[int, ...], int] = {}  # rater set -> bound on its supersets

    def run(self) -> _Best | None:
        n_r = self.rated.shape[1]
        level: list[tuple[int, ...]] = list(itertools.combinations(range(n_r), 2))
        self._consider(level)
        greedy_done = False
        k = 2
        while True:
            if not greedy_done and self.best is not None:
                self._greedy()
                greedy_done = True
            if not level or k == n_r:
                return self.best
            k += 1
            bar = self.best.retained if self.best is not None else 0
            level = [
                (*s, x) for s in level if self.seen.get(s, 0) > bar for x in range(s[-1] + 1, n_r)
            ]
            self._consider([s for s in level if s not in self.seen])

    def _greedy(self) -> None:
        """Grow the best set one rater at a time, for a strong incumbent to prune with."""
        n_r = self.rated.shape[1]
        current = self.best
        while current is not None and self.best is not None:
            if self.seen.get(current.raters, 0) <= self.best.retained:
                break  # no larger set can beat the best
            grown = [
                tuple(sorted((*current.raters, x))) for x in range(n_r) if x not in current.raters
            ]
            current = self._consider(grown)

    def _consider(self, sets: list[tuple[int, ...]]) -> _Best | None:
        """Evaluate rater sets (all of one size) in batches; return the best among them."""
        if len(sets) > self.budget - self.evaluated:
            sets = sets[: max(self.budget - self.evaluated, 0)]
            self.exhaustive = False
        found: _Best | None = None
        for i in range(0, len(sets), _BATCH):
            batch = sets[i : i + _BATCH]
            cand = self._evaluate(np.array(batch, dtype=np.intp))
            if cand is not None and (found is None or cand.key() > found.key()):
                found = cand
        if found is not None and (self.best is None or found.key() > self.best.key()):
            self.best = found
        return found

    def _evaluate(self, sets: IntArray) -> _Best | None:
        n_c, k = sets.shape
        self.evaluated += n_c
        covered = self.rated[:, sets[:, 0]]
        for col in range(1, k):
            covered = covered & self.rated[:, sets[:, col]]
        counts = np.add.reduceat(covered, self.starts, axis=0, dtype=np.intp)  # trainee x set
        if k == 2:
            self.most_co_rated = max(self.most_co_rated, int(covered.sum(axis=0).max()))
        # Bound on any superset: it keeps at most (raters on a co-rated session) x (usable
        # co-rated sessions), and only sessions with more than k raters can take a larger set.
        usable = np.where(counts >= self.min_s, counts, 0).sum(axis=0)
        widest = np.where(covered, self.per_session[:, None], 0).max(axis=0)
        bound = np.where(widest > k, widest * usable, 0)
        for s, b in zip(sets.tolist(), bound.tolist(), strict=True):
            self.seen[tuple(s)] = int(b)
        if k < self.min_raters:
            return None
        desc = -np.sort(-counts, axis=0)
        j = np.arange(1, desc.shape[0] + 1)[:, None]
        value = np.where((desc >= self.min_s) & (j >= self.min_t), j * desc, 0)
        top = desc.shape[0] - 1 - np.argmax(value[::-1], axis=0)  # last max: more trainees
        cols = np.arange(n_c)
        kept = value[top, cols]
        if not kept.max() > 0:
            return None
        i = int(np.lexsort((cols, -(top + 1), -kept))[0])
        return _Best(
            int(kept[i]) * k, k, int(top[i]) + 1, int(desc[top[i], i]), tuple(sets[i].tolist())
        )
