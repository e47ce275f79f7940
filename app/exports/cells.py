"""Spreadsheet-safe CSV cells, shared by every CSV export."""

from __future__ import annotations

from app.domain.rating_import import FORMULA_PREFIXES


def formula_safe(value: str) -> str:
    """Quote a cell a spreadsheet would run as a formula (CSV injection).

    >>> formula_safe("=HYPERLINK(1)"), formula_safe("-2"), formula_safe("plain")
    ("'=HYPERLINK(1)", "'-2", 'plain')
    """
    return "'" + value if value[:1] in FORMULA_PREFIXES else value
