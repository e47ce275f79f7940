"""Errors a use case raises; each shell maps them to its own idiom (HTTP status, exit code)."""

from __future__ import annotations


class ServiceError(Exception):
    """A request the service refuses; the message is meant for the person who made it."""


class NotFoundError(ServiceError):
    pass


class ConflictError(ServiceError):
    pass


class InvalidInputError(ServiceError):
    pass
