"""Design of the randomised MSC-vs-placebo trial on HbA1c.

- :mod:`mscreg.design.power` — analytic sample size, power and detectable effect for
  follow-up-only, change-score and ANCOVA analyses, with Bonferroni or Dunnett
  corrections for several dose arms.
- :mod:`mscreg.design.effect` — the effect to design for, from a cohort's observed change
  net of regression to the mean and the placebo response (a range, never one number).
- :mod:`mscreg.design.simulate` — vectorised simulation-based power, including entry
  criteria on a screening HbA1c and dropout.
"""

from mscreg.design.effect import DesignEffect, effect_from_cohort, effect_from_user
from mscreg.design.power import (
    ALTERNATIVES,
    CORRECTIONS,
    METHODS,
    MethodDesign,
    PowerCurve,
    TrialDesign,
    analysis_sd,
    dunnett_critical_value,
    power_curve,
    solve_design,
)
from mscreg.design.simulate import (
    BatchFit,
    SimulatedMethodPower,
    SimulatedPower,
    batch_ancova,
    batch_t_test,
    enrolled_correlation,
    simulate_power,
)

__all__ = [
    "ALTERNATIVES",
    "CORRECTIONS",
    "METHODS",
    "BatchFit",
    "DesignEffect",
    "MethodDesign",
    "PowerCurve",
    "SimulatedMethodPower",
    "SimulatedPower",
    "TrialDesign",
    "analysis_sd",
    "batch_ancova",
    "batch_t_test",
    "dunnett_critical_value",
    "effect_from_cohort",
    "effect_from_user",
    "enrolled_correlation",
    "power_curve",
    "simulate_power",
    "solve_design",
]
