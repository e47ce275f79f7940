"""Base models: requests reject unknown fields; responses read from ORM objects."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, StrictBool

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _iso_text(value: Any) -> Any:
    """Dates only as ISO 8601 text: lax parsing would take 0 for 1970-01-01 or "0.5" for a
    Unix time, which the schema (format: date) does not promise and a client never means."""
    if value is None or isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("must be an ISO 8601 date, YYYY-MM-DD")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_text)]
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_text)]
# JSON true or false, never 0, 1 or "yes": a flag that silently coerces is a flag set by
# accident.
Flag = StrictBool


class RequestModel(BaseModel):
    """A typo in a field name is an error the client should hear about, not a silent no-op."""

    model_config = ConfigDict(extra="forbid")


class ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)
