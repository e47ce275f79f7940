"""Rendering only: CSV, charts and PDF from what the services return."""
