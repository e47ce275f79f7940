"""Inter-rater reliability: every standard agreement coefficient, vectorised with numpy."""
