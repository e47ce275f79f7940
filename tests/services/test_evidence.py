"""The plain-number readers behind readiness, rater quality and the G-study."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import numpy as np
import pytest
from sqlalchemy import (
    Column,
    Date,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    insert,
    literal,
    select,
    text,
)
from sqlalchemy.orm import Session

from app.db.base import UTCDateTime
from app.domain.packed_scores import pack
from app.services.evidence import locate, rows_with_scores, utc_day

EPOCH = date(1970, 1, 1)


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 3, 1, 0, 0, 0, tzinfo=UTC),
        datetime(2026, 3, 1, 23, 59, 59, 999_999, tzinfo=UTC),
        # 23:30 in New York is the next day in UTC; 00:30 in Tokyo the previous one.
        datetime(2026, 3, 1, 23, 30, tzinfo=timezone(timedelta(hours=-5))),
        datetime(2026, 3, 2, 0, 30, tzinfo=timezone(timedelta(hours=9))),
        datetime(1999, 12, 31, 12, 0, tzinfo=UTC),
    ],
)
def test_utc_day_is_the_day_in_utc_whatever_the_session_time_zone(
    db_session: Session, moment: datetime
) -> None:
    if db_session.get_bind().dialect.name == "postgresql":
        db_session.execute(text("SET LOCAL TIME ZONE 'Pacific/Kiritimati'"))  # UTC+14
    found = db_session.scalar(select(utc_day(literal(moment, UTCDateTime))))
    assert found == (moment.astimezone(UTC).date() - EPOCH).days
    assert db_session.scalar(select(utc_day(literal(None, UTCDateTime)))) == -1


def test_rows_with_scores_reads_every_row_and_score_in_batches(db_session: Session) -> None:
    # More rows than one batch: row i holds two item scores (items i % 5 + 1 and i % 5 + 2,
    # scores i % 7 and "not applicable", the first flagged when i is odd), except every
    # tenth row, which holds none.
    n = 45_000
    table = Table(
        "packed_rows", MetaData(), Column("i", Integer, primary_key=True),
        Column("minus_i", Integer), Column("packed", LargeBinary), prefixes=["TEMPORARY"],
    )  # fmt: skip
    table.create(db_session.connection())
    db_session.execute(
        insert(table),
        [
            {"i": i, "minus_i": -i,
             "packed": b"" if i % 10 == 0
             else pack([(i % 5 + 1, i % 7, i % 2 == 1), (i % 5 + 2, None, False)])}
            for i in range(1, n + 1)
        ],
    )  # fmt: skip
    query = select(table.c.i, table.c.minus_i, table.c.packed).order_by(table.c.i)
    read, scores = rows_with_scores(db_session, query, 2)
    i = np.arange(1, n + 1)
    assert (read == np.column_stack([i, -i])).all()
    scored = i[i % 10 != 0]
    assert scores.row.tolist() == np.repeat(scored - 1, 2).tolist()
    assert (
        scores.item_id.tolist()
        == np.column_stack([scored % 5 + 1, scored % 5 + 2]).ravel().tolist()
    )
    assert (
        scores.score.tolist()
        == np.column_stack([scored % 7, -np.ones_like(scored)]).ravel().tolist()
    )
    assert scores.harm_flag.tolist() == np.column_stack([scored % 2, 0 * scored]).ravel().tolist()


def test_locate() -> None:
    at, found = locate(np.array([2, 4, 8]), np.array([8, 1, 9, 2, 4]))
    assert found.tolist() == [True, False, False, True, True]
    assert at[found].tolist() == [2, 0, 1]


def test_utc_day_of_a_date_is_that_day(db_session: Session) -> None:
    if db_session.get_bind().dialect.name == "postgresql":
        db_session.execute(text("SET LOCAL TIME ZONE 'Pacific/Kiritimati'"))
    for day in (date(2026, 3, 1), date(1970, 1, 1), date(2100, 12, 31)):
        assert db_session.scalar(select(utc_day(literal(day, Date)))) == (day - EPOCH).days
