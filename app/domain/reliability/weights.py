"""Agreement weights between categories, shared by weighted kappa and Gwet's AC2."""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray

WeightKind = Literal["unweighted", "linear", "quadratic"]


def agreement_weights(categories: NDArray[np.float64], kind: WeightKind) -> NDArray[np.float64]:
    """w[k, l] = 1 for identical categories, falling to 0 at the ends of the scale.

    Linear: 1 - |k - l| / (max - min); quadratic: 1 - ((k - l) / (max - min))**2, as in
    Gwet (2014) and Cohen (1968). Taking the categories from the scale, not only the observed
    ones, keeps unused scale points in the denominator.

    >>> agreement_weights(np.array([0.0, 1.0, 2.0]), "linear").tolist()
    [[1.0, 0.5, 0.0], [0.5, 1.0, 0.5], [0.0, 0.5, 1.0]]
    """
    q = categories.size
    if kind == "unweighted" or q < 2:
        return np.eye(q)
    span = float(categories[-1] - categories[0])
    diff: NDArray[np.float64] = np.abs(categories[:, None] - categories[None, :]) / span
    return np.asarray(1.0 - (diff if kind == "linear" else diff * diff), dtype=np.float64)
