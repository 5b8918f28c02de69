"""The report's figures: matplotlib (Agg), rendered to inline SVG with alternative text.

Every figure reads result objects (and the per-patient values of
:class:`~mscreg.stats.baseline.PatientChanges`); nothing is estimated here. Colours are
the Okabe–Ito palette, safe for the common colour-vision deficiencies; text stays text
in the SVG (``svg.fonttype = "none"``) so it is searchable and sharp, and each SVG gets
its own id salt so that several figures can share one HTML page.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable
from typing import Any

from mscreg.report.format import ci, num
from mscreg.report.model import Figure, ReportInputs

__all__ = ["OKABE_ITO", "FigureWorkers", "build_figures", "render_figure", "render_figures", "submit_figures", "warm_up"]

#: Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
_GROUP_COLOURS = (OKABE_ITO["blue"], OKABE_ITO["vermillion"], OKABE_ITO["bluish_green"], OKABE_ITO["reddish_purple"], OKABE_ITO["orange"])
_OTHER = "#7f7f7f"
_METHOD_COLOURS = {"follow_up": OKABE_ITO["orange"], "change_score": OKABE_ITO["sky_blue"], "ancova": OKABE_ITO["bluish_green"]}
_METHOD_MARKERS = {"follow_up": "o", "change_score": "s", "ancova": "^"}
_METHOD_LABELS = {"follow_up": "Follow-up only", "change_score": "Change score", "ancova": "ANCOVA"}

_RC = {
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial", "Helvetica"],
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10,
    # A fixed title position: "auto" (None) measures every tick label to avoid top-axis
    # labels these figures never have, a fifth of the drawing time for the same result.
    "axes.titley": 1.0,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
}


def _new_figure(**subplots: Any) -> tuple[Any, Any]:
    """A figure and its axes, without pyplot (no GUI backend, no global figure registry).

    Importing ``matplotlib.pyplot`` costs about half a second at start-up; a bare
    :class:`matplotlib.figure.Figure` renders to SVG just as well.
    """
    from matplotlib.figure import Figure as MplFigure

    figsize = subplots.pop("figsize")
    fig = MplFigure(figsize=figsize)
    return fig, fig.subplots(**subplots)


def _to_svg(fig: Any, figure_id: str, alt: str) -> str:
    """The figure as an ``<svg>`` element with ``role="img"``, a ``<title>`` and an aria-label."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": figure_id}):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    # Inline SVG in HTML needs no namespace declarations and no RDF metadata: without them the
    # file holds no URL at all, not even a namespace name.
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    text = re.sub(r'\s+xmlns(?::\w+)?="[^"]*"', "", text)
    title_id = f"{figure_id}-title"
    escaped = alt.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
    text = re.sub(r"<svg ", f'<svg role="img" aria-labelledby="{title_id}" ', text, count=1)
    text = re.sub(r"(<svg[^>]*>)", rf'\1<title id="{title_id}">{escaped}</title>', text, count=1)
    # Fixed pixel sizes become a scalable viewBox-driven size (CSS sets the width).
    text = re.sub(r'(<svg[^>]*?) width="[^"]+" height="[^"]+"', r"\1", text, count=1)
    return text


def _margins(fig: Any, *, left: float = 0.7, right: float = 0.15, bottom: float = 0.55, top: float = 0.35) -> None:
    """Fixed margins in inches (cheaper than tight_layout, which draws the figure once more)."""
    width, height = fig.get_size_inches()
    fig.subplots_adjust(left=left / width, right=1 - right / width, bottom=bottom / height, top=1 - top / height, wspace=0.45)


def _plain_log_ticks(axis: Any, ticks: tuple[float, ...]) -> None:
    """Log-scale axis labelled with plain numbers (100, 200, 500) instead of powers of ten."""
    from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator, StrMethodFormatter

    axis.set_major_locator(FixedLocator(ticks))
    axis.set_major_formatter(StrMethodFormatter("{x:g}"))
    axis.set_minor_locator(NullLocator())
    axis.set_minor_formatter(NullFormatter())


def _group_colours(inputs: ReportInputs) -> dict[str, str]:
    names = [band.name for band in inputs.run.settings.severity_bands()]
    return {name: _GROUP_COLOURS[i % len(_GROUP_COLOURS)] for i, name in enumerate(names)}


def _legend_groups(ax: Any, colours: dict[str, str], marker: str = "o") -> None:
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=c, marker=marker, linestyle="", label=name) for name, c in colours.items()]
    ax.legend(handles=handles, title="Severity", loc="best")


def _slopegraph(inputs: ReportInputs) -> tuple[Any, str, str]:
    pts, colours = inputs.patients, _group_colours(inputs)
    g = inputs.run.estimates.group("all")
    boot, p = g.bootstrap, g.paired
    fig, (left, right) = _new_figure(nrows=1, ncols=2, figsize=(7.2, 3.6), gridspec_kw={"width_ratios": [2.2, 1]})
    # One collection of lines and one of end points rather than an artist per patient: the
    # same picture, drawn and serialised in a fraction of the time.
    from matplotlib.collections import LineCollection

    patient_colours = [colours.get(group, _OTHER) for group in pts.group]
    left.add_collection(LineCollection([[(0, b), (1, a)] for b, a in zip(pts.before, pts.after)], colors=patient_colours,
                                       alpha=0.55, linewidths=0.9))
    left.scatter([0] * len(pts.before) + [1] * len(pts.after), [*pts.before, *pts.after], s=2.5 ** 2,
                 c=patient_colours + patient_colours, alpha=0.55, linewidths=1.0, edgecolors="face")
    left.plot([0, 1], [p.mean_before, p.mean_after], color=OKABE_ITO["black"], linewidth=2.4, marker="o", label="mean")
    left.set_xticks([0, 1], ["Before", "After"])
    left.set_xlim(-0.25, 1.25)
    left.set_ylabel("HbA1c (%)")
    left.set_title("Each patient, before and after")
    _legend_groups(left, colours)
    right.axhline(0, color=_OTHER, linewidth=0.8, linestyle="--")
    right.errorbar([0], [boot.estimate], yerr=[[boot.estimate - boot.ci_low], [boot.ci_high - boot.estimate]], fmt="o",
                   color=OKABE_ITO["black"], capsize=5, markersize=6, linewidth=1.6)
    right.set_xticks([0], ["After − before"])
    right.set_xlim(-1, 1)
    right.set_ylabel("Mean difference (% points)")
    right.set_title(f"Mean change, {boot.ci_level:.0%} BCa CI")
    _margins(fig)
    caption = (f"Left: HbA1c before and after for each of the {p.n} patients (coloured by severity group) and the mean (black). "
               f"Right: mean change {num(boot.estimate)} % points with its {boot.ci_level:.0%} BCa bootstrap interval "
               f"{ci(boot.ci_low, boot.ci_high)} ({boot.n_resamples} resamples, seed {boot.seed}).")
    alt = (f"Slopegraph of HbA1c before and after in {p.n} patients; mean falls from {num(p.mean_before)} to {num(p.mean_after)} %. "
           f"Estimation panel: mean change {num(boot.estimate)}, 95 % bootstrap CI {ci(boot.ci_low, boot.ci_high)}.")
    return fig, caption, alt


def _waterfall(inputs: ReportInputs) -> tuple[Any, str, str]:
    pts, colours = inputs.patients, _group_colours(inputs)
    r = inputs.run.estimates.responders
    order = sorted(range(len(pts.relative_change)), key=lambda i: pts.relative_change[i], reverse=True)
    fig, ax = _new_figure(figsize=(7.2, 3.4))
    ax.axhspan(-r.rcv_percent, r.rcv_percent, color=OKABE_ITO["yellow"], alpha=0.3, linewidth=0, label=f"± RCV {num(r.rcv_percent, 1)} %")
    ax.bar(range(len(order)), [pts.relative_change[i] for i in order], color=[colours.get(pts.group[i], _OTHER) for i in order], width=0.85)
    ax.axhline(0, color=OKABE_ITO["black"], linewidth=0.6)
    ax.set_xticks([])
    ax.set_xlabel("Patients, ordered by relative change")
    ax.set_ylabel("Relative change in HbA1c (%)")
    ax.set_title("Per-patient change against the reference change value")
    from matplotlib.patches import Patch

    handles = [Patch(color=c, label=name) for name, c in colours.items()]
    handles.append(Patch(color=OKABE_ITO["yellow"], alpha=0.3, label=f"within ± RCV ({num(r.rcv_percent, 1)} %)"))
    ax.legend(handles=handles, loc="lower right")
    _margins(fig)
    caption = (f"Waterfall of each patient's relative HbA1c change, coloured by severity group. Bars below the shaded band "
               f"fall by more than the reference change value ({num(r.rcv_percent, 1)} %): {r.rcv_responders.count} of {r.n} patients.")
    alt = f"Waterfall chart of relative HbA1c change for {r.n} patients; {r.rcv_responders.count} fall beyond the reference change value."
    return fig, caption, alt


def _scatter_groups(ax: Any, x: tuple[float, ...], inputs: ReportInputs) -> None:
    pts, colours = inputs.patients, _group_colours(inputs)
    ax.scatter(x, pts.change, c=[colours.get(g, _OTHER) for g in pts.group], s=18, alpha=0.8, edgecolors="white", linewidths=0.4)
    ax.axhline(0, color=_OTHER, linewidth=0.8, linestyle="--")
    _legend_groups(ax, colours)


def _rtm_baseline(inputs: ReportInputs) -> tuple[Any, str, str]:
    fig, ax = _new_figure(figsize=(6.4, 3.8))
    _scatter_groups(ax, inputs.patients.before, inputs)
    styles = ("-", ":", "--")
    for i, curve in enumerate(inputs.rtm_curves):
        ax.plot(curve.baseline, curve.expected_change, color=OKABE_ITO["black"], linestyle=styles[i % 3], linewidth=1.4,
                label=f"no effect: ρ = {curve.rho:.2f}, μ = {curve.mu:g} %")
    handles, labels = ax.get_legend_handles_labels()
    legend = ax.get_legend()
    ax.legend(handles=[*legend.legend_handles, *handles], labels=[t.get_text() for t in legend.get_texts()] + labels, loc="best")
    ax.set_xlabel("HbA1c before (%)")
    ax.set_ylabel("Change, after − before (% points)")
    ax.set_title("Change against baseline, with the regression-to-the-mean null curve")
    _margins(fig)
    first = inputs.rtm_curves[0]
    caption = (f"Each patient's change against baseline. Lines: change expected with no effect at all, from regression to the mean "
               f"(bivariate-normal model, −(1 − ρ)(baseline − μ)), at ρ = {first.rho:.2f}, μ = {first.mu:g} %"
               + ("" if len(inputs.rtm_curves) == 1 else " and at the grid's other extremes")
               + ". Points below the line fell more than regression to the mean predicts.")
    alt = "Scatter plot of HbA1c change against baseline with the straight line of change expected from regression to the mean."
    return fig, caption, alt


def _dose(inputs: ReportInputs) -> tuple[Any, str, str]:
    fig, ax = _new_figure(figsize=(6.4, 3.6))
    _scatter_groups(ax, inputs.patients.dose_million, inputs)
    ax.set_xscale("log")
    _plain_log_ticks(ax.xaxis, (50, 100, 200, 500, 1000, 2000, 5000, 10000))
    ax.set_xlabel("Dose (million cells, log scale)")
    ax.set_ylabel("Change, after − before (% points)")
    ax.set_title("Change against dose")
    _margins(fig)
    dr = inputs.run.estimates.dose_response
    extra = ""
    if dr is not None:
        term = next((c for c in dr.coefficients if "dose" in c.term), None)
        if term is not None:
            extra = f" Adjusted for baseline ({dr.formula}), the {term.term} coefficient is {num(term.estimate, 3)} ({ci(term.ci_low, term.ci_high, 3)})."
    caption = "Each patient's HbA1c change against the MSC dose, coloured by severity group." + extra
    return fig, caption, "Scatter plot of HbA1c change against MSC dose on a log scale."


def _durability(inputs: ReportInputs) -> tuple[Any, str, str]:
    band, d = inputs.durability_band, inputs.run.estimates.durability
    fig, ax = _new_figure(figsize=(6.4, 3.6))
    _scatter_groups(ax, inputs.patients.months_observed, inputs)
    ax.fill_between(band.x, band.ci_low, band.ci_high, color=OKABE_ITO["sky_blue"], alpha=0.3, linewidth=0)
    ax.plot(band.x, band.fitted, color=OKABE_ITO["blue"], linewidth=1.6)
    ax.set_xlabel("Months observed")
    ax.set_ylabel("Change, after − before (% points)")
    ax.set_title("Change against months observed")
    _margins(fig)
    caption = (f"Each patient's change against the months from infusion to the follow-up value, with the least-squares line "
               f"(slope {num(d.estimate, 4)} % points per month, {d.ci_level:.0%} CI {ci(d.ci_low, d.ci_high, 4)}) and its "
               f"{band.ci_level:.0%} confidence band. Patients, not time within a patient, are compared.")
    return fig, caption, "Scatter plot of HbA1c change against months observed with a fitted line and confidence band."


def _rtm_heatmap(inputs: ReportInputs) -> tuple[Any, str, str]:
    from matplotlib.colors import TwoSlopeNorm

    grid = inputs.run.estimates.group("all").rtm
    rhos = sorted({p.rho for p in grid.points})
    mus = sorted({p.mu for p in grid.points})
    values = [[next(p.adjusted_change for p in grid.points if p.rho == rho and p.mu == mu) for mu in mus] for rho in rhos]
    flat = [v for row in values for v in row]
    limit = max(abs(v) for v in flat) or 1.0
    fig, ax = _new_figure(figsize=(5.6, 3.8))
    image = ax.imshow(values, cmap="PuOr_r", norm=TwoSlopeNorm(vcenter=0.0, vmin=-limit, vmax=limit), aspect="auto", origin="lower")
    for i, row in enumerate(values):
        for j, value in enumerate(row):
            ax.text(j, i, num(value), ha="center", va="center", fontsize=7,
                    color="white" if abs(value) > 0.6 * limit else "black")
    ax.set_xticks(range(len(mus)), [f"{m:g}" for m in mus])
    ax.set_yticks(range(len(rhos)), [f"{r:.3g}" for r in rhos])
    ax.set_xlabel("Population mean μ (%)")
    ax.set_ylabel("Test–retest correlation ρ")
    ax.set_title("Change left after regression to the mean (% points)")
    fig.colorbar(image, ax=ax, label="adjusted change")
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(True)
    _margins(fig, left=0.85)
    caption = (f"Whole cohort: observed change {num(grid.observed_change)} minus the change expected from regression to the mean, "
               f"at each of the {len(grid.points)} (ρ, μ) points (σ = {grid.sigma:g} %). Negative (purple) = a fall beyond "
               f"regression to the mean.")
    alt = (f"Heatmap of the regression-to-the-mean adjusted change over {len(rhos)} values of rho and {len(mus)} of mu; "
           f"values from {num(grid.min_adjusted_change)} to {num(grid.max_adjusted_change)}.")
    return fig, caption, alt


def _power(inputs: ReportInputs) -> tuple[Any, str, str]:
    curve = inputs.power
    fig, ax = _new_figure(figsize=(6.4, 3.6))
    for method, ns in curve.n_per_arm.items():
        ax.plot(curve.effects, ns, color=_METHOD_COLOURS.get(method, _OTHER), marker=_METHOD_MARKERS.get(method, "o"),
                markersize=3.5, linewidth=1.5, label=_METHOD_LABELS.get(method, method))
    effect = inputs.design_basis["effect"]
    ax.axvline(effect, color=_OTHER, linestyle="--", linewidth=0.8)
    ax.set_yscale("log")
    _plain_log_ticks(ax.yaxis, (5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000))
    ax.set_xlabel("Difference to detect, control − MSC (% points)")
    ax.set_ylabel("Patients per arm (log scale)")
    ax.set_title(f"Sample size for {curve.power:.0%} power, α = {curve.alpha:g}")
    ax.legend(title="Analysis")
    _margins(fig)
    caption = (f"Patients per arm against the HbA1c difference to detect, for three analyses (SD {num(curve.sd, 3)} %, "
               f"ρ = {num(curve.rho, 3)}); the dashed line marks the design effect {num(effect)} % points.")
    return fig, caption, "Line chart of patients per arm against effect for follow-up, change-score and ANCOVA analyses."


_FIGURES: dict[str, Callable[[ReportInputs], tuple[Any, str, str]]] = {
    "slopegraph": _slopegraph,
    "waterfall": _waterfall,
    "rtm-baseline": _rtm_baseline,
    "dose": _dose,
    "durability": _durability,
    "rtm-heatmap": _rtm_heatmap,
    "power": _power,
}


def _available(name: str, inputs: ReportInputs) -> bool:
    est = inputs.run.estimates
    if name == "dose":
        return any(v == v for v in inputs.patients.dose_million)
    if name == "durability":
        return inputs.durability_band is not None and est.durability is not None
    if name == "rtm-heatmap":
        return est.group("all").rtm is not None
    if name == "rtm-baseline":
        return bool(inputs.rtm_curves)
    if name == "power":
        return inputs.power is not None
    return est.group("all").paired is not None


def render_figure(name: str, inputs: ReportInputs) -> Figure | None:
    """One figure by name, or None when the inputs lack its data.

    Examples
    --------
    >>> render_figure("no-such-figure", None) is None
    True
    """
    if name not in _FIGURES or not _available(name, inputs):
        return None
    import matplotlib

    with matplotlib.rc_context(_RC):
        fig, caption, alt = _FIGURES[name](inputs)
        return Figure(id=f"figure-{name}", svg=_to_svg(fig, f"figure-{name}", alt), caption=caption, alt=alt)


def render_figures(names: tuple[str, ...], inputs: ReportInputs) -> dict[str, Figure]:
    """The figures among ``names`` that the inputs allow (a worker's share of the work)."""
    rendered = {name: render_figure(name, inputs) for name in names}
    return {name: figure for name, figure in rendered.items() if figure is not None}


def warm_up() -> None:
    """Import matplotlib and the modules the inputs are made of, and draw one text figure.

    Run in a worker process while the parent computes (see :class:`FigureWorkers`), so that
    figures can be drawn as soon as the results exist.

    Examples
    --------
    >>> warm_up()
    """
    import mscreg.audit  # noqa: F401  (the classes the pickled inputs refer to)
    import mscreg.design.power  # noqa: F401
    import mscreg.stats.baseline  # noqa: F401
    import mscreg.stats.estimates  # noqa: F401

    fig, ax = _new_figure(figsize=(1, 1))
    ax.set_title("warm-up")
    _to_svg(fig, "warm-up", "warm-up")


#: How the figures are shared between two workers: about the same drawing time each.
_SHARES = (("slopegraph", "rtm-heatmap", "dose"), ("waterfall", "rtm-baseline", "durability", "power"))


def _serve(connection: Any) -> None:
    """In a worker: receive ``(names, inputs)``, send back ``("ok", figures)`` or ``("error", traceback)``."""
    try:
        names, inputs = connection.recv()
    except (EOFError, OSError):  # the parent finished (or failed) without figures
        return
    try:
        reply: tuple[str, Any] = ("ok", render_figures(names, inputs))
    except BaseException:  # noqa: BLE001  (reported to the parent, which raises)
        import traceback

        reply = ("error", traceback.format_exc())
    connection.send(reply)


class FigureWorkers:
    """Two forked processes that warm matplotlib while the parent computes, then draw the figures.

    The first worker is forked at once; it imports matplotlib and draws a warm-up figure
    (:func:`warm_up`), then forks the second from its own warmed state, so two processes are
    ready for the price of one warm-up. :meth:`render_figures` sends both the inputs and a
    share of the figure names (:data:`_SHARES`) and returns the figures as
    :func:`render_figures` would in this process: same names, same SVG text.

    The workers never return into the caller's code (they leave with ``os._exit``) and exit
    on their own once the parent closes its ends of the pipes. The cyclic garbage collector
    is off in them (they live for a second and hold one copy of the parent's heap, which a
    full collection would walk several times); ``resume_gc`` re-enables it in this process at
    :meth:`shutdown` (for a caller that paused it), after moving every object alive then to
    the collector's permanent generation (:func:`gc.freeze`) if ``freeze_gc``: for a process
    about to exit, whose final collection would otherwise walk the whole heap (about 0.2 s
    with numpy, scipy, pandas, statsmodels and matplotlib loaded). Linux/macOS only (``os.fork``).
    """

    def __init__(self, *, resume_gc: bool = False, freeze_gc: bool = False) -> None:
        import gc
        from multiprocessing.connection import Pipe

        self._resume_gc = resume_gc
        self._freeze_gc = freeze_gc
        pipes = [Pipe() for _ in _SHARES]
        self._connections = [ours for ours, _ in pipes]
        pid = os.fork()
        if pid == 0:  # the first worker
            try:
                gc.disable()
                for ours, _ in pipes:
                    ours.close()
                warm_up()
                children = []
                for k in range(1, len(pipes)):
                    child = os.fork()
                    if child == 0:  # a second worker, forked warm
                        for j, (_, theirs) in enumerate(pipes):
                            if j != k:
                                theirs.close()
                        _serve(pipes[k][1])
                        os._exit(0)
                    children.append(child)
                    pipes[k][1].close()
                _serve(pipes[0][1])
                for child in children:
                    os.waitpid(child, 0)
            finally:
                os._exit(0)
        self._pid: int | None = pid
        for _, theirs in pipes:
            theirs.close()

    def submit(self, names: tuple[str, ...], inputs: ReportInputs) -> Callable[[], dict[str, Figure]]:
        """Send the work; the returned function waits for the figures (as :func:`render_figures` gives them)."""
        shares = [tuple(n for n in share if n in names) for share in _SHARES]
        shares[0] += tuple(n for n in names if not any(n in share for share in _SHARES))
        connections = list(self._connections)
        for connection, share in zip(connections, shares):
            connection.send((share, inputs))

        def result() -> dict[str, Figure]:
            rendered: dict[str, Figure] = {}
            for connection, share in zip(connections, shares):
                try:
                    status, value = connection.recv()
                except (EOFError, OSError):  # the worker died (killed, out of memory): draw its share here
                    status, value = "ok", render_figures(share, inputs)
                if status != "ok":
                    raise RuntimeError(f"a figure worker failed:\n{value}")
                rendered.update(value)
            return rendered

        return result

    def render_figures(self, names: tuple[str, ...], inputs: ReportInputs) -> dict[str, Figure]:
        """The figures among ``names`` that the inputs allow, drawn by the workers."""
        return self.submit(names, inputs)()

    def shutdown(self, cancel_futures: bool = True) -> None:
        """Close the pipes (idle workers then exit), reap the first worker, restore the collector.

        ``cancel_futures`` is accepted for the ``concurrent.futures`` interface; work is never queued.
        """
        import gc
        import signal

        for connection in self._connections:
            connection.close()
        self._connections = []
        if self._pid is not None:
            done, _ = os.waitpid(self._pid, os.WNOHANG)
            if not done:  # still warming up: its work is not needed any more
                os.kill(self._pid, signal.SIGKILL)
                os.waitpid(self._pid, 0)
            self._pid = None
        if self._freeze_gc:
            gc.freeze()
        if self._resume_gc:
            gc.enable()


def submit_figures(inputs: ReportInputs, *, executor: Any = None) -> Callable[[], dict[str, Figure]]:
    """Start drawing every figure the inputs allow; the returned function gives them by id.

    With :class:`FigureWorkers` the drawing happens in the workers meanwhile, so the caller
    can do other work before it asks for the figures; otherwise the figures are drawn here
    (or by the ``concurrent.futures`` executor) when asked for.
    """
    names = tuple(_FIGURES)
    if isinstance(executor, FigureWorkers):
        pending = executor.submit(names, inputs)
    elif executor is not None:
        future = executor.submit(render_figures, names, inputs)
        pending = future.result
    else:
        def pending() -> dict[str, Figure]:
            return render_figures(names, inputs)

    def result() -> dict[str, Figure]:
        rendered = pending()
        return {name: rendered[name] for name in names if name in rendered}

    return result


def build_figures(inputs: ReportInputs, *, executor: Any = None) -> dict[str, Figure]:
    """Every figure the inputs allow, by id (a figure whose data are absent is left out).

    ``executor`` (:class:`FigureWorkers`, or any ``concurrent.futures`` executor) draws
    them elsewhere; the result is the same.

    Examples
    --------
    >>> from mscreg.cli.pipeline import AnalysisSettings
    >>> from mscreg.cli.report_cmd import prepare_report
    >>> from mscreg.cohort import seed_table
    >>> inputs = prepare_report(seed_table(), None, AnalysisSettings(n_resamples=999))
    >>> figures = build_figures(inputs)
    >>> sorted(figures)
    ['dose', 'durability', 'power', 'rtm-baseline', 'rtm-heatmap', 'slopegraph', 'waterfall']
    >>> figures["waterfall"].svg.startswith('<svg role="img"')
    True
    """
    return submit_figures(inputs, executor=executor)()
