"""Generalizability theory: how much of a trainee's score is the trainee, not the rater or
the session, and how many raters and sessions a dependable score needs.

From the programme's ratings: ``balanced_subset`` picks the largest balanced block (and says
how); ``g_study`` estimates the variance components of that block by ANOVA expected mean
squares; ``d_study_table`` projects E rho^2 and Phi to other numbers of raters and sessions,
and ``DStudyTable.smallest_design`` finds the cheapest one that reaches a target.
"""

from app.domain.gtheory.anova import (
    CROSSED,
    DESIGNS,
    EFFECTS,
    NESTED,
    Components,
    Design,
    GStudy,
    VarianceComponents,
    g_study,
)
from app.domain.gtheory.dstudy import (
    Coefficient,
    DStudyCell,
    DStudyTable,
    coefficients,
    d_study,
    d_study_table,
    error_variances,
)
from app.domain.gtheory.subset import DROP_REASONS, BalancedSubset, balanced_subset

__all__ = [
    "CROSSED",
    "DESIGNS",
    "DROP_REASONS",
    "EFFECTS",
    "NESTED",
    "BalancedSubset",
    "Coefficient",
    "Components",
    "DStudyCell",
    "DStudyTable",
    "Design",
    "GStudy",
    "VarianceComponents",
    "balanced_subset",
    "coefficients",
    "d_study",
    "d_study_table",
    "error_variances",
    "g_study",
]
