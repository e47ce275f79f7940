"""Which behavioural anchors describe a score, so feedback can say where a trainee stands
and what the next level looks like.

Rubrics anchor only some scale points (the flagship anchors 0, 2, 4 and 6; a score of 3
"clearly exceeds one anchor but does not fully meet the next"). A score is therefore
described by the highest anchor at or below it, and growth by the anchor above that one:
the same rule readiness applies to an item's mean (``ItemFeedback``), so a session's
feedback and the readiness summary never describe the same level differently.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class AnchorLevel:
    """The anchor a score reaches and the next one up (None at the top of the anchors)."""

    score: int
    text: str
    next_score: int | None
    next_text: str | None


def anchor_level(anchors: Mapping[int, str], score: float) -> AnchorLevel:
    """The anchor at or below ``score`` rounded half up, the lowest when none is, and the
    anchor above it.

    >>> anchors = {0: "unsafe", 2: "developing", 4: "skilled", 6: "exemplary"}
    >>> [(a.score, a.next_score) for a in (anchor_level(anchors, s) for s in (3, 4, 6, 0))]
    [(2, 4), (4, 6), (6, None), (0, 2)]
    >>> anchor_level({1: "one", 3: "three"}, 0).score
    1
    """
    points = sorted(anchors)
    level = math.floor(score + 0.5)
    at = [a for a in points if a <= level]
    anchor = at[-1] if at else points[0]
    above = [a for a in points if a > anchor]
    following = above[0] if above else None
    return AnchorLevel(
        anchor, anchors[anchor], following, None if following is None else anchors[following]
    )
