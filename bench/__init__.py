"""Benchmarks. Each reports a ratio against a reference measured in the same run."""
