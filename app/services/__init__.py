"""Use cases: the only code that combines the database with the domain. Flush, never commit."""
