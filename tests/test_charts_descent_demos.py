import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from charts.descent_demos import (
    batch_epochs_figure,
    batch_seconds_figure,
    contour_figure,
    normalization_loss_figure,
    optimizer_live_figure,
    optimizer_loss_figure,
    schedule_loss_figure,
    schedule_lr_figure,
)
from charts.style import COLORS
from engine.descent_demos import (
    GRID,
    RUNS,
    SCHEDULES,
    BatchSizeConfig,
    EveryOptimizerConfig,
    NormalizationConfig,
    ScheduleConfig,
    run_batch_sizes,
    run_every_optimizer,
    run_normalization,
    run_schedules,
)
from engine.trainer import OPTIMIZERS


def _with_rows(fn, config):
    rows = []
    result = fn(config, on_report=lambda step, metrics: rows.append(metrics))
    return result, pd.DataFrame(rows)


@pytest.fixture(scope="module")
def batch():
    return _with_rows(run_batch_sizes, BatchSizeConfig(epochs=2, max_train=60, mini_batch=8))


@pytest.fixture(scope="module")
def normalization():
    return run_normalization(NormalizationConfig(steps=30))


@pytest.fixture(scope="module")
def schedules():
    return _with_rows(run_schedules, ScheduleConfig(epochs=4, step_every=2, warmup_epochs=1))


@pytest.fixture(scope="module")
def optimizers():
    return _with_rows(run_every_optimizer, EveryOptimizerConfig(steps=10))


def assert_plots_only_finite_numbers(fig: go.Figure) -> None:
    """Every x, y, z and customdata of every trace is a finite number (plotly's JSON would hide NaN as null)."""
    for trace in fig.data:
        for name in ("x", "y", "z", "customdata"):
            values = trace.to_plotly_json().get(name)
            if values is not None:
                assert np.isfinite(np.asarray(values, dtype=float)).all(), (fig.layout.title.text, name)


def _colors(fig):
    return [t.line.color for t in fig.data]


def test_batch_size_charts_draw_one_line_per_run_and_the_stochastic_batch_loss_faint_behind(batch):
    result, rows = batch
    for fig in (batch_epochs_figure(result.history), batch_seconds_figure(result.history)):
        faint, *lines = fig.data
        assert faint.name.startswith("stochastic") and faint.opacity < 0.5
        assert [t.name for t in lines] == list(RUNS.values())
        assert _colors(fig) == [COLORS[2], *COLORS[:3]]
        assert fig.layout.yaxis.type == "log"
    assert batch_seconds_figure(result.history).layout.xaxis.type == "log"
    full = batch_epochs_figure(result.history).data[1]
    assert list(full.x) == [1.0, 2.0]  # one point per epoch: one update per epoch


def test_batch_size_charts_draw_live_rows_and_nothing_before_the_first(batch):
    result, rows = batch
    assert {"run", "epoch", "seconds", "train_loss", "batch_loss"} <= set(rows.columns)
    live = batch_epochs_figure(rows)
    assert [t.name for t in live.data[1:]] == list(RUNS.values())
    assert len(live.data[1].x) == len(result.history[result.history["run"] == "full"])
    partial = rows[rows["run"] == "full"]
    assert [t.name for t in batch_seconds_figure(partial).data] == ["Full batch"]
    assert batch_epochs_figure(pd.DataFrame()).data == () == batch_seconds_figure(pd.DataFrame()).data


def test_the_loss_axis_fits_the_whole_training_loss_not_the_single_example_spikes(batch):
    result, _ = batch
    low, high = batch_epochs_figure(result.history).layout.yaxis.range
    losses = result.history["train_loss"]
    assert 10 ** low < losses.min() and losses.max() < 10 ** high


def test_contour_charts_show_the_grid_the_path_and_the_optimum_at_equal_scales(normalization):
    for run in normalization.runs:
        fig = contour_figure(normalization, run.name)
        contour, path, start, optimum = fig.data
        assert np.asarray(contour.z).shape == (GRID, GRID) and np.asarray(contour.customdata).shape == (GRID, GRID)
        assert len(path.x) == len(run.trajectory) and (start.x[0], start.y[0]) == (0, 0)
        assert (optimum.x[0], optimum.y[0]) == tuple(run.optimum)
        assert fig.layout.yaxis.scaleanchor == "x"
        assert "bmi" in fig.layout.xaxis.title.text and "s1" in fig.layout.yaxis.title.text
    assert contour_figure(normalization, "raw").layout.title.text == "Raw units (centred): condition number 65.58"
    assert contour_figure(normalization, "standardized").layout.title.text == "Standardized: condition number 1.67"


def test_the_loss_chart_shows_each_runs_gap_as_a_fraction_of_its_start_and_the_tolerance(normalization):
    fig = normalization_loss_figure(normalization)
    raw, scaled, tolerance = fig.data
    assert fig.layout.yaxis.type == "log" and "fraction of where it started" in fig.layout.title.text
    assert [raw.name, scaled.name] == ["raw units (centred)", "standardized"]
    assert len(raw.x) == 31  # every step, as the raw run is still far from its optimum
    assert raw.y[0] == scaled.y[0] == 1  # both start at the same gap
    np.testing.assert_allclose(raw.y, normalization.runs[0].gap)
    assert 0 < len(scaled.x) < 31  # the standardized gap falls below float64 rounding and the line stops
    assert list(tolerance.y) == [0.01, 0.01] and tolerance.name == "converged: 99% of the gap closed"
    assert raw.y[-1] > 0.01 and scaled.y[1] > 0.01 >= scaled.y[2]  # raw needs 76 steps, standardized 2


def test_no_chart_plots_nan_or_infinity_from_rows_that_hold_them(batch, schedules):
    result, _ = batch
    history = result.history.copy()
    history.loc[history.index[:3], "train_loss"] = [np.nan, np.inf, -np.inf]
    history.loc[history.index[3], "seconds"] = np.nan
    schedule_history = schedules[0].history.copy()
    schedule_history.loc[schedule_history.index[:2], ["lr", "test_loss"]] = np.nan
    figures = [batch_epochs_figure(history), batch_seconds_figure(history), schedule_lr_figure(schedule_history),
               schedule_loss_figure(schedule_history), optimizer_live_figure(history.assign(optimizer="sgd",
                                                                                             run_step=1))]
    for fig in figures:
        assert_plots_only_finite_numbers(fig)


def test_schedule_charts_draw_one_line_per_schedule_in_fixed_colours(schedules):
    result, rows = schedules
    for fig in (schedule_lr_figure(result.history), schedule_loss_figure(result.history),
                schedule_loss_figure(result.history, "train")):
        assert [t.name for t in fig.data] == [s.label for s in SCHEDULES.values()]
        assert _colors(fig) == list(COLORS[:4])
        assert all(list(t.x) == [1, 2, 3, 4] for t in fig.data)
    assert schedule_loss_figure(result.history, "train").layout.yaxis.type == "log"
    only_cosine = result.history[result.history["schedule"] == "cosine"]
    assert _colors(schedule_lr_figure(only_cosine)) == [COLORS[2]]  # a schedule keeps its colour
    live = schedule_lr_figure(rows)
    assert [list(t.y) for t in live.data] == [list(t.y) for t in schedule_lr_figure(result.history).data]
    assert schedule_lr_figure(pd.DataFrame()).data == ()


def test_optimizer_charts_draw_one_line_per_optimizer_finished_or_live(optimizers):
    result, rows = optimizers
    fig = optimizer_loss_figure(result.history)
    assert [t.name for t in fig.data] == [o.label for o in OPTIMIZERS.values()]
    assert _colors(fig) == list(COLORS[:len(OPTIMIZERS)])
    live = optimizer_live_figure(rows)
    assert [list(t.x) for t in live.data] == [list(t.x) for t in fig.data]  # steps within each run
    assert optimizer_live_figure(pd.DataFrame()).data == ()


def test_every_figure_passes_plotlys_full_validation_and_plots_only_finite_numbers(batch, normalization, schedules,
                                                                                  optimizers):
    """Figures skip layout validation when built, for speed; here each one is checked in full."""
    (batch_result, batch_rows), (schedule_result, schedule_rows) = batch, schedules
    optimizer_result, optimizer_rows = optimizers
    figures = [batch_epochs_figure(batch_result.history), batch_seconds_figure(batch_result.history),
               batch_epochs_figure(batch_rows), batch_seconds_figure(batch_rows),
               contour_figure(normalization, "raw"), contour_figure(normalization, "standardized"),
               normalization_loss_figure(normalization), schedule_lr_figure(schedule_result.history),
               schedule_loss_figure(schedule_result.history), schedule_loss_figure(schedule_rows, "train"),
               optimizer_loss_figure(optimizer_result.history), optimizer_live_figure(optimizer_rows)]
    for fig in figures:
        checked = go.Figure(fig.to_dict())  # raises on any invalid property
        assert checked.layout.template.layout.plot_bgcolor == "white"
        assert_plots_only_finite_numbers(fig)
