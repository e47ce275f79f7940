"""Persistence: the engine, the ORM models and the per-request session."""
