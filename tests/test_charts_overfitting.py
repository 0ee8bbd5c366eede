import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from charts.overfitting import fit_curves_figure, fit_figure
from engine.overfitting import GRID, FitConfig, run_fit


def _with_rows(config):
    rows = []
    result = run_fit(config, on_report=lambda step, metrics: rows.append(metrics))
    return result, pd.DataFrame(rows)


@pytest.fixture(scope="module")
def early():
    """One regression model that early stopping ends."""
    return _with_rows(FitConfig(steps=300, width=32, patience=3))


@pytest.fixture(scope="module")
def bagged():
    return _with_rows(FitConfig(steps=20, width=8, ensemble=3))


@pytest.fixture(scope="module")
def moons():
    return _with_rows(FitConfig(task="classification", steps=30, width=16, noise=0.3, ensemble=2))


def assert_plots_only_finite_numbers(fig: go.Figure) -> None:
    """Every x, y, z and customdata of every trace is a finite number (plotly's JSON would hide NaN as null)."""
    for trace in fig.data:
        for name in ("x", "y", "z", "customdata"):
            values = trace.to_plotly_json().get(name)
            if values is not None:
                assert np.isfinite(np.asarray(values, dtype=float)).all(), (fig.layout.title.text, name)


def test_the_loss_chart_draws_training_and_validation_on_a_log_scale_and_marks_the_kept_weights(early):
    result, _ = early
    assert result.stopped_step > result.best_step > 0
    fig = fit_curves_figure(result.history, result.best_step, result.loss_name)
    train, val = fig.data
    assert (train.name, val.name) == ("training loss", "validation loss")
    np.testing.assert_allclose(val.y, result.history["val_loss"])
    assert list(train.x) == result.history["step"].tolist()
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis.title.text == "mean squared error (log scale)"
    line, = fig.layout.shapes
    assert line.x0 == line.x1 == result.best_step
    assert f"step {result.best_step}" in fig.layout.annotations[0].text
    assert fit_curves_figure(result.history).layout.shapes == ()  # no early stopping, no line


def test_the_loss_chart_draws_live_rows_one_model_after_another(early, bagged):
    result, rows = early
    live = fit_curves_figure(rows)
    assert [t.name for t in live.data] == ["training loss", "validation loss"]
    assert list(live.data[1].x) == rows["step"].tolist()
    _, rows = bagged
    live = fit_curves_figure(rows)
    assert len(live.data) == 6 and [t.showlegend for t in live.data] == [True, True] + [False] * 4
    assert list(live.data[2].x)[0] == 21  # the second model's steps continue after the first's twenty
    assert fit_curves_figure(pd.DataFrame()).data == ()
    assert fit_curves_figure(rows.iloc[:1]).data[0].x == (1,)


def test_the_regression_chart_shows_points_truth_fit_and_each_bagged_model(early, bagged):
    result, _ = early
    fig = fit_figure(result)
    assert [t.name for t in fig.data] == ["validation points", "true function", "fitted function", "training points"]
    val, truth, fit, train = fig.data
    assert val.marker.opacity < 0.5 and truth.line.dash == "dash"
    np.testing.assert_allclose(fit.y, result.fit, rtol=1e-6)
    assert len(train.x) == 20 and len(val.x) == 200 and len(fit.x) == 200
    result, _ = bagged
    fig = fit_figure(result)
    members = [t for t in fig.data if t.name == "each bagged model"]
    assert len(members) == 3 and [t.showlegend for t in members] == [True, False, False]
    assert "averaged over 3 bagged models" in fig.layout.title.text


def test_the_classification_chart_shades_the_probability_and_marks_the_flipped_labels(moons):
    result, _ = moons
    fig = fit_figure(result)
    heatmap, boundary, val, kept, flipped = fig.data
    assert np.asarray(heatmap.z).shape == (GRID, GRID) and (heatmap.zmin, heatmap.zmax) == (0, 1)
    assert boundary.contours.start == boundary.contours.end == 0.5
    assert len(flipped.x) == result.flipped.sum() == 6 and flipped.marker.symbol == "x"
    assert len(kept.x) == 14 and len(val.x) == 200
    assert fig.layout.yaxis.scaleanchor == "x"
    clean = run_fit(FitConfig(task="classification", steps=2, noise=0.0))
    assert "training points, label flipped" not in [t.name for t in fit_figure(clean).data]


def test_no_chart_plots_nan_or_infinity_from_rows_that_hold_them(early):
    result, rows = early
    history = result.history.copy()
    history.loc[history.index[:3], "train_loss"] = [np.nan, np.inf, -1.0]
    history.loc[history.index[3], "val_loss"] = np.nan
    fig = fit_curves_figure(history, result.best_step)
    assert_plots_only_finite_numbers(fig)
    assert len(fig.data[0].x) == len(history) - 3 and len(fig.data[1].x) == len(history) - 1


def test_every_figure_passes_plotlys_full_validation_and_plots_only_finite_numbers(early, bagged, moons):
    """Figures skip layout validation when built, for speed; here each one is checked in full."""
    (early_result, early_rows), (bagged_result, bagged_rows), (moons_result, moons_rows) = early, bagged, moons
    figures = [fit_curves_figure(early_result.history, early_result.best_step, early_result.loss_name),
               fit_curves_figure(early_rows), fit_curves_figure(bagged_rows), fit_curves_figure(moons_rows),
               fit_curves_figure(bagged_result.history), fit_curves_figure(pd.DataFrame()),
               fit_figure(early_result), fit_figure(bagged_result), fit_figure(moons_result)]
    for fig in figures:
        checked = go.Figure(fig.to_dict())  # raises on any invalid property
        assert checked.layout.template.layout.plot_bgcolor == "white"
        assert_plots_only_finite_numbers(fig)
