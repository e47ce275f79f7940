"""The API tests' small world (programs alpha and beta, every role), for services tests too."""

from tests.api.conftest import second_trainer, world

__all__ = ["second_trainer", "world"]
