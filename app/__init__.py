"""Guiding Hand: competency assessment for therapists in psychedelic-assisted psychotherapy."""

__version__ = "0.1.0"
