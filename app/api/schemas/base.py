"""Base models: requests reject unknown fields; responses read from ORM objects."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class RequestModel(BaseModel):
    """A typo in a field name is an error the client should hear about, not a silent no-op."""

    model_config = ConfigDict(extra="forbid")


class ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)
