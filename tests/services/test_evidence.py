"""The plain-number readers behind readiness, rater quality and the G-study."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import numpy as np
import pytest
from sqlalchemy import Date, literal, select, text
from sqlalchemy.orm import Session

from app.db.base import UTCDateTime
from app.services.evidence import integer_rows, locate, utc_day

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


def test_integer_rows_reads_every_row_in_batches(db_session: Session) -> None:
    # More rows than one batch, from a query the database generates.
    n = 45_000
    if db_session.get_bind().dialect.name == "postgresql":
        query = text("SELECT i, -i, i % 7 FROM generate_series(1, :n) AS i").bindparams(n=n)
    else:
        query = text(
            "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < :n) "
            "SELECT i, -i, i % 7 FROM c"
        ).bindparams(n=n)
    rows = integer_rows(db_session, query.columns(), 3)  # type: ignore[arg-type]
    i = np.arange(1, n + 1)
    assert rows.shape == (n, 3)
    assert (rows == np.column_stack([i, -i, i % 7])).all()


def test_locate() -> None:
    at, found = locate(np.array([2, 4, 8]), np.array([8, 1, 9, 2, 4]))
    assert found.tolist() == [True, False, False, True, True]
    assert at[found].tolist() == [2, 0, 1]


def test_utc_day_of_a_date_is_that_day(db_session: Session) -> None:
    if db_session.get_bind().dialect.name == "postgresql":
        db_session.execute(text("SET LOCAL TIME ZONE 'Pacific/Kiritimati'"))
    for day in (date(2026, 3, 1), date(1970, 1, 1), date(2100, 12, 31)):
        assert db_session.scalar(select(utc_day(literal(day, Date)))) == (day - EPOCH).days
