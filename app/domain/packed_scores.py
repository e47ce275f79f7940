"""A rating's item scores packed into one binary value kept on the rating row.

Readiness, rater quality, the G-study and the program IRR read every item score of a
program: at 2,400 trainees, 1.2 million of them. Read as rows of the item score table (or
aggregated per rating in SQL, which then converts each score to text) the database spends
most of the time; read as one binary value per rating, it hands over 98,000 values and
numpy takes them apart in one call. The item score table stays the record every other read
uses; the packed value is derived from it, and every writer of item scores writes both.

Each item score is three little-endian 32-bit integers: the item id, the score (-1 where
the item was marked not applicable) and the harm flag (0 or 1), in ascending item id, so
that the same scores always pack to the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]
_FIELDS = 3
_ITEMSIZE = 4
_RECORD = _FIELDS * _ITEMSIZE  # bytes per item score
_NOT_APPLICABLE = -1


def pack(scores: Iterable[tuple[int, int | None, bool]]) -> bytes:
    """(item id, score or None for not applicable, harm flag) triples as the packed value.

    >>> pack([(12, 3, False), (7, None, True)]).hex(" ", 4)
    '07000000 ffffffff 01000000 0c000000 03000000 00000000'
    """
    rows = sorted(
        (item, _NOT_APPLICABLE if score is None else score, int(flag))
        for item, score, flag in scores
    )
    return np.array(rows, dtype="<i4").reshape(-1, _FIELDS).tobytes()


@dataclass(frozen=True, eq=False)  # arrays have no single truth value to compare by
class Unpacked:
    """Packed values taken apart: ``row`` is the position, in the sequence given, of the
    value each item score came from; ``score`` is -1 where the item was not applicable."""

    row: IntArray
    item_id: IntArray
    score: IntArray
    harm_flag: IntArray


def unpack(values: Sequence[bytes]) -> Unpacked:
    """Every item score of many packed values, in one pass over their bytes.

    >>> u = unpack([pack([(3, 2, False), (5, 4, True)]), b"", pack([(3, None, False)])])
    >>> u.row.tolist(), u.item_id.tolist(), u.score.tolist(), u.harm_flag.tolist()
    ([0, 0, 2], [3, 5, 3], [2, 4, -1], [0, 1, 0])
    """
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    if np.any(lengths % _RECORD):
        bad = int(np.flatnonzero(lengths % _RECORD)[0])
        raise ValueError(f"packed scores: value {bad} is {lengths[bad]} bytes, not whole records")
    table = np.frombuffer(b"".join(values), dtype="<i4").reshape(-1, _FIELDS).astype(np.int64)
    row = np.repeat(np.arange(len(values), dtype=np.int64), lengths // _RECORD)
    return Unpacked(row, table[:, 0], table[:, 1], table[:, 2])
