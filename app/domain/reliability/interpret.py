"""Conventional labels for coefficient values, each with the benchmark it comes from."""

from __future__ import annotations

from dataclasses import dataclass

KOO_LI = "Koo & Li (2016), J Chiropr Med 15:155-163"
LANDIS_KOCH = "Landis & Koch (1977), Biometrics 33:159-174"
KRIPPENDORFF = "Krippendorff (2004), Content Analysis, 2nd ed., p. 241"
MCHUGH = "McHugh (2012), Biochem Med 22:276-282 (percent agreement is not chance-corrected)"


@dataclass(frozen=True)
class Interpretation:
    label: str
    source: str


def _band(
    value: float, bands: tuple[tuple[float, str], ...], top: str, *, inclusive: bool = False
) -> str:
    for upper, label in bands:
        if value < upper or (inclusive and value == upper):
            return label
    return top


def interpret(name: str, value: float) -> Interpretation:
    """The label a reader would use for ``value`` of the coefficient ``name``.

    >>> interpret("ICC2k", 0.62).label
    'moderate'
    >>> interpret("fleiss_kappa", 0.43).label
    'moderate'
    >>> interpret("krippendorff_alpha_ordinal", 0.70).label
    'tentative'
    >>> interpret("cohen_kappa", 0.20).label
    'slight'
    """
    bands: tuple[tuple[float, str], ...]
    if name.startswith("ICC"):
        bands = ((0.5, "poor"), (0.75, "moderate"), (0.9, "good"))
        return Interpretation(_band(value, bands, "excellent"), KOO_LI)
    if name.startswith("krippendorff_alpha"):
        bands = ((0.667, "unreliable"), (0.8, "tentative"))
        return Interpretation(_band(value, bands, "reliable"), KRIPPENDORFF)
    if name.startswith("percent_agreement"):
        return Interpretation(_band(value, ((0.8, "low"),), "acceptable"), MCHUGH)
    # Kappa and Gwet's AC share Landis & Koch's bands (Gwet 2014 benchmarks against them).
    bands = (
        (0.0, "poor"),
        (0.2, "slight"),
        (0.4, "fair"),
        (0.6, "moderate"),
        (0.8, "substantial"),
    )
    # Their bands are closed above (0.00-0.20 slight, 0.21-0.40 fair, ...).
    return Interpretation(_band(value, bands, "almost perfect", inclusive=True), LANDIS_KOCH)
