import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from charts.overfitting_sweeps import (
    bias_variance_figure,
    bias_variance_live_figure,
    capacity_figure,
    capacity_fits_figure,
    capacity_live_figure,
    learning_curve_figure,
    learning_curve_live_figure,
)
from engine.overfitting_sweeps import (
    BiasVarianceConfig,
    CapacityConfig,
    LearningCurveConfig,
    WidthFit,
    run_bias_variance,
    run_capacity_sweep,
    run_learning_curves,
)


def recorded(run, config):
    rows = []
    result = run(config, on_report=lambda step, metrics: rows.append(metrics))
    return result, pd.DataFrame(rows)


@pytest.fixture(scope="module")
def capacity():
    return recorded(run_capacity_sweep, CapacityConfig(widths=(1, 4, 16), points=10, steps=30))


@pytest.fixture(scope="module")
def learning():
    return recorded(run_learning_curves, LearningCurveConfig(sizes=(5, 20, 40), width=8, steps=30))


@pytest.fixture(scope="module")
def spread():
    return recorded(run_bias_variance, BiasVarianceConfig(widths=(2, 8), resamples=3, steps=30))


def fully_valid(fig: go.Figure) -> go.Figure:
    """The figure itself, once plotly's full validation has passed on a copy (as in test_charts.py)."""
    checked = go.Figure(fig.to_dict())  # raises on any invalid property
    assert checked.layout.template.layout.plot_bgcolor == "white"
    for trace in fig.data:  # plotly's JSON would write NaN as null, so the arrays themselves are checked
        for name in ("x", "y"):
            values = trace.to_plotly_json().get(name)
            if values is not None and trace.type != "bar" or name == "y" and values is not None:
                assert np.isfinite(np.asarray(values, dtype=float)).all(), (fig.layout.title.text, trace.name, name)
    return fig


def test_the_capacity_chart_draws_both_errors_against_width_on_a_log_axis_and_rings_the_best(capacity):
    result, _ = capacity
    fig = fully_valid(capacity_figure(result))
    assert [t.name for t in fig.data] == ["training MSE", "validation MSE", "noise² = 0.25",
                                          f"best: width {result.best_width}"]
    train, val, floor, best = fig.data
    assert list(train.x) == [1, 4, 16] and list(val.y) == [f.val_mse for f in result.fits]
    assert list(best.x) == [result.best_width] and best.y[0] == min(val.y)
    assert list(floor.y) == [0.25, 0.25]
    assert fig.layout.xaxis.type == "log" and list(fig.layout.xaxis.tickvals) == [1, 4, 16]


def test_the_fits_chart_shows_the_truth_the_points_and_the_narrowest_best_and_widest_fits(capacity):
    result, _ = capacity
    fig = fully_valid(capacity_fits_figure(result))
    names = [t.name for t in fig.data]
    assert names[0].startswith("true function") and names[-1] == "training points"
    shown = {1, result.best_width, 16}
    assert names[1:-1] == [f"width {w}" for w in sorted(shown)]
    assert len(fig.data[-1].x) == result.config.points


def test_the_learning_curve_chart_draws_both_errors_against_size(learning):
    result, _ = learning
    fig = fully_valid(learning_curve_figure(result))
    assert [t.name for t in fig.data] == ["training MSE", "validation MSE", "noise² = 0.09"]
    assert list(fig.data[0].x) == [5, 20, 40] and fig.layout.xaxis.type == "log"
    assert list(fig.data[1].y) == [f.val_mse for f in result.fits]


def test_the_bias_variance_chart_has_a_panel_per_width_and_the_errors_parts(spread):
    result, _ = spread
    fig = fully_valid(bias_variance_figure(result))
    fits = [t for t in fig.data if t.name == "each model's fit"]
    assert len(fits) == 2 * 3 and {t.xaxis for t in fits} == {"x", "x2"}
    assert sum(t.showlegend is not False for t in fits) == 1  # one legend entry for all faint lines
    means = [t for t in fig.data if t.name == "their mean"]
    for trace, s in zip(means, result.spreads, strict=True):
        np.testing.assert_allclose(trace.y, s.mean_prediction)
    bars = {t.name: t for t in fig.data if t.type == "bar"}
    assert list(bars) == ["bias²", "variance", "noise²"] and fig.layout.barmode == "stack"
    assert list(bars["bias²"].y) == [s.bias2 for s in result.spreads]
    assert list(bars["variance"].x) == ["2", "8"] and bars["variance"].xaxis == "x3"
    assert fig.layout.xaxis.domain[1] < fig.layout.xaxis2.domain[0] < fig.layout.xaxis3.domain[0]


def test_the_live_charts_draw_the_latest_report_and_cope_with_no_rows_yet(capacity, learning, spread):
    (_, capacity_rows), (_, learning_rows), (_, spread_rows) = capacity, learning, spread
    fig = fully_valid(capacity_live_figure(capacity_rows))
    assert list(fig.data[0].x) == [1, 4, 16] and "at step 30" in fig.layout.title.text
    assert list(fig.data[1].y) == [capacity_rows.iloc[-1][f"val_w={w}"] for w in (1, 4, 16)]
    fig = fully_valid(learning_curve_live_figure(learning_rows))
    assert list(fig.data[1].x) == [5, 20, 40]
    fig = fully_valid(bias_variance_live_figure(spread_rows))
    assert [t.name for t in fig.data] == ["width 2, validation", "width 2, training", "width 8, validation",
                                          "width 8, training"]
    assert len(fig.data[0].x) == len(spread_rows)
    for live in (capacity_live_figure, learning_curve_live_figure, bias_variance_live_figure):
        fully_valid(live(pd.DataFrame()))


def test_no_chart_plots_nan_or_infinity(capacity, learning, spread):
    (result, rows), (curves, curve_rows), (spreads, spread_rows) = capacity, learning, spread
    fits = [WidthFit(f.width, f.parameters, None, None, 7) if i == 0 else f for i, f in enumerate(result.fits)]
    predictions = result.predictions.copy()
    predictions[1, :3] = [np.nan, np.inf, -np.inf]
    broken = type(result)(**{**result.__dict__, "fits": fits, "predictions": predictions})
    fully_valid(capacity_figure(broken))
    fully_valid(capacity_fits_figure(broken))
    rows, curve_rows, spread_rows = rows.copy(), curve_rows.copy(), spread_rows.copy()
    rows.loc[rows.index[-1], "val_w=4"] = np.nan
    curve_rows.loc[curve_rows.index[-1], "train_n=5"] = np.inf
    spread_rows.loc[spread_rows.index[:2], "val_w=2"] = [np.nan, np.inf]
    assert 4 not in fully_valid(capacity_live_figure(rows)).data[1].x
    fully_valid(learning_curve_live_figure(curve_rows))
    fully_valid(bias_variance_live_figure(spread_rows))
    fully_valid(learning_curve_figure(curves))
    fully_valid(bias_variance_figure(spreads))
