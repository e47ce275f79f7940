"""Which rubric items apply to a session: the rule raters, scoring and readiness share."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from app.domain.vocabulary import Modality, Phase


@dataclass(frozen=True)
class ItemScope:
    key: str
    phases: frozenset[Phase]
    modality: Modality


def item_applies(item: ItemScope, phase: Phase, modalities_used: Collection[Modality]) -> bool:
    """An item applies in its phases; a modality item only when that modality was used.

    >>> scope = ItemScope("D2", frozenset({Phase.integration}), Modality.cbt)
    >>> item_applies(scope, Phase.integration, {Modality.cbt})
    True
    >>> item_applies(scope, Phase.integration, {Modality.act})
    False
    >>> item_applies(scope, Phase.preparation, {Modality.cbt})
    False
    """
    if phase not in item.phases:
        return False
    return item.modality is Modality.common or item.modality in modalities_used
