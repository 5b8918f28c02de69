"""The forked figure workers of `mscreg report`: the same figures as in-process, clean exits."""

from __future__ import annotations

import gc
import os

import pytest

from mscreg.cli.pipeline import AnalysisSettings
from mscreg.cli.report_cmd import _is_the_process, prepare_report
from mscreg.cohort import seed_table
from mscreg.report.figures import _FIGURES, _SHARES, FigureWorkers, render_figures

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the workers are forked")


@pytest.fixture(scope="module")
def inputs():
    return prepare_report(seed_table(), None, AnalysisSettings(n_resamples=999))


def _reaped(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_every_figure_is_in_exactly_one_share():
    shared = [name for share in _SHARES for name in share]
    assert sorted(shared) == sorted(_FIGURES)


def test_workers_draw_the_same_svg_as_this_process(inputs):
    names = tuple(_FIGURES)
    enabled = gc.isenabled()
    workers = FigureWorkers()
    pid = workers._pid
    try:
        drawn = workers.render_figures(names, inputs)
    finally:
        workers.shutdown()
    here = render_figures(names, inputs)
    assert list(drawn) and sorted(drawn) == sorted(here)
    assert all(drawn[name] == here[name] for name in here)
    assert _reaped(pid) and gc.isenabled() == enabled


def test_shutdown_before_any_work_reaps_the_worker():
    workers = FigureWorkers()
    pid = workers._pid
    workers.shutdown()
    assert _reaped(pid)


def test_a_failing_figure_is_raised_here():
    workers = FigureWorkers()
    try:
        with pytest.raises(RuntimeError, match="figure worker failed"):
            workers.render_figures(("slopegraph",), None)
    finally:
        workers.shutdown()


def test_the_collector_is_frozen_only_for_the_command_process():
    assert not _is_the_process()  # pytest calls the command; its objects must stay collectable
