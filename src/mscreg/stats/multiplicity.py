"""Holm adjustment of a family of p-values, raw and adjusted side by side."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from statsmodels.stats.multitest import multipletests

from mscreg.stats._checks import as_vector, check_ci_level, check_values
from mscreg.stats._result import Result

__all__ = ["AdjustedP", "HolmResult", "holm"]


@dataclass(frozen=True, kw_only=True, slots=False)
class AdjustedP(Result):
    """One hypothesis: its label, raw p-value, Holm-adjusted p-value and decision at ``alpha``."""

    label: str
    p_value: float
    p_adjusted: float
    reject: bool


@dataclass(frozen=True, kw_only=True, slots=False)
class HolmResult(Result):
    """Holm-adjusted p-values in the order given; ``alpha`` is the family-wise error rate."""

    rows: tuple[AdjustedP, ...]
    alpha: float
    method: str

    def summary(self) -> str:
        width = max(len("hypothesis"), *(len(r.label) for r in self.rows))
        lines = [f"{'hypothesis':<{width}}  p raw     p {self.method}   reject at {self.alpha:g}"]
        lines += [
            f"{r.label:<{width}}  {r.p_value:<8.4g}  {r.p_adjusted:<8.4g}  {'yes' if r.reject else 'no'}"
            for r in self.rows
        ]
        return "\n".join(lines)


def holm(p_values: object, *, labels: object = None, alpha: float = 0.05) -> HolmResult:
    r"""Holm step-down adjusted p-values, controlling the family-wise error rate.

    Parameters
    ----------
    p_values : sequence of float or mapping of label to float
        Raw p-values, each in [0, 1]. A mapping supplies its keys as labels.
    labels : sequence of str or None, keyword-only
        One unique label per p-value (default ``H1``, ``H2``, ...). Not allowed with a mapping.
    alpha : float, keyword-only
        Family-wise error rate for the ``reject`` decisions (default 0.05).

    Returns
    -------
    HolmResult
        ``rows`` (each ``label``, ``p_value``, ``p_adjusted``, ``reject``) in input order,
        ``alpha``, ``method`` (``"holm"``).

    Notes
    -----
    With the m p-values sorted :math:`p_{(1)} \le \dots \le p_{(m)}`, the adjusted values
    are :math:`\tilde p_{(i)} = \min\{1, \max_{j \le i} (m - j + 1)\, p_{(j)}\}` (Holm
    1979); computed by :func:`statsmodels.stats.multitest.multipletests` with
    ``method="holm"``. Valid under any dependence between the tests.

    References
    ----------
    Holm S. A simple sequentially rejective multiple test procedure. Scand J Stat 1979;6:65-70.

    Examples
    --------
    Sorted 0.01, 0.02, 0.04 → 3×0.01 = 0.03, 2×0.02 = 0.04, max(0.04, 1×0.04) = 0.04:

    >>> res = holm({"overall": 0.01, "severe": 0.04, "moderate": 0.02})
    >>> [(r.label, round(r.p_adjusted, 4), r.reject) for r in res.rows]
    [('overall', 0.03, True), ('severe', 0.04, True), ('moderate', 0.04, True)]
    """
    alpha = check_ci_level(alpha, name="alpha", example=0.05)
    if isinstance(p_values, Mapping):
        if labels is not None:
            raise ValueError(f"labels come from the mapping's keys; do not also pass labels={labels!r}")
        labels = list(p_values.keys())
        p_values = list(p_values.values())
    p = as_vector(p_values, name="p_values", min_n=1, what="holm")
    check_values(p, name="p_values", low=0, high=1, inclusive="both")
    names = [f"H{i + 1}" for i in range(p.size)] if labels is None else [str(label) for label in labels]
    if len(names) != p.size:
        raise ValueError(f"labels must give one label per p-value; got {len(names)} labels for {p.size} p-values")
    if len(set(names)) != len(names):
        duplicates = sorted({name for name in names if names.count(name) > 1})
        raise ValueError(f"labels must be unique; repeated: {duplicates!r}")

    reject, adjusted, _, _ = multipletests(p, alpha=alpha, method="holm")
    rows = tuple(
        AdjustedP(label=name, p_value=float(raw), p_adjusted=float(adj), reject=bool(rej))
        for name, raw, adj, rej in zip(names, p, adjusted, reject, strict=True)
    )
    return HolmResult(rows=rows, alpha=alpha, method="holm")
