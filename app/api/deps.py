"""Request-scoped dependencies: one database transaction per request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from app.db.engine import unit_of_work


def get_session(request: Request) -> Iterator[Session]:
    """Commit before the response is sent, so that a failed commit is never reported as done."""
    with unit_of_work(request.app.state.engine) as session:
        yield session


# scope="function" runs the teardown (the commit) before the response goes out.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
