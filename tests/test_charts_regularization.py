import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from charts.regularization import (
    batchnorm_figure,
    batchnorm_running_figure,
    dropout_figure,
    dropout_fit_figure,
    dropout_rates_figure,
    dropout_rates_live,
    kfold_figure,
)
from engine.regularization import (
    BatchNormConfig,
    DropoutRatesConfig,
    KFoldConfig,
    batchnorm_inside,
    dropout_inside,
    run_dropout_rates,
    run_kfold,
)


@pytest.fixture(scope="module")
def rates():
    rows = []
    result = run_dropout_rates(DropoutRatesConfig(steps=20), on_report=lambda step, metrics: rows.append(metrics))
    return result, pd.DataFrame(rows)


@pytest.fixture(scope="module")
def kfold():
    return run_kfold(KFoldConfig(steps=5, k=4, points=120))


def assert_plots_only_finite_numbers(fig: go.Figure) -> None:
    """Every numeric x, y, z, base and error bar of every trace is finite (plotly's JSON would hide NaN as null)."""
    for trace in fig.data:
        plain = trace.to_plotly_json()
        arrays = [plain.get(name) for name in ("x", "y", "z", "base", "customdata")]
        arrays.append((plain.get("error_y") or {}).get("array"))
        for values in arrays:
            if values is None:
                continue
            values = np.asarray(values)
            if values.dtype.kind in "iufb":
                assert np.isfinite(values.astype(float)).all(), fig.layout.title.text
            else:  # category labels, and nothing else
                assert all(isinstance(v, str) for v in values.ravel()), fig.layout.title.text


def figures(rates, kfold):
    result, rows = rates
    stopped = run_kfold(KFoldConfig(steps=5, k=3, points=60), should_stop=lambda: True)
    return [dropout_figure(dropout_inside(0.5)), dropout_figure(dropout_inside(0.0)),
            dropout_figure(dropout_inside(0.95)), dropout_rates_figure(result), dropout_rates_live(rows),
            dropout_rates_live(result.history), dropout_rates_live(pd.DataFrame()), dropout_fit_figure(result),
            batchnorm_figure(batchnorm_inside(BatchNormConfig())),
            batchnorm_figure(batchnorm_inside(BatchNormConfig(batch=2, features=1, batches_seen=0))),
            batchnorm_running_figure(batchnorm_inside(BatchNormConfig())),
            batchnorm_running_figure(batchnorm_inside(BatchNormConfig(batches_seen=0)), "var"),
            kfold_figure(kfold), kfold_figure(stopped)]


def test_every_figure_passes_plotlys_full_validation_and_plots_no_nan(rates, kfold):
    for fig in figures(rates, kfold):
        checked = go.Figure(fig.to_dict())  # raises on any invalid property
        assert checked.layout.template.layout.plot_bgcolor == "white"
        assert_plots_only_finite_numbers(fig)


def test_the_dropout_chart_shows_input_train_and_eval_bars_and_marks_the_dropped_units():
    view = dropout_inside(0.5)
    fig = dropout_figure(view)
    activations, train, evaluated, mean, dropped = fig.data
    assert [t.type for t in fig.data] == ["bar", "bar", "bar", "scatter", "scatter"]
    np.testing.assert_array_equal(train.y, view.train_output)
    np.testing.assert_array_equal(evaluated.y, view.activations)
    assert len(dropped.x) == (~view.kept).sum() and "dropped 6 of 12" in fig.layout.title.text
    assert len(dropout_figure(dropout_inside(0.0)).data) == 4  # nothing dropped: no markers for it


def test_the_dropout_rates_chart_has_a_bar_pair_and_a_gap_per_rate(rates):
    result, rows = rates
    fig = dropout_rates_figure(result)
    assert [t.name for t in fig.data] == ["training loss", "validation loss", "gap: validation − training"]
    assert list(fig.data[0].x) == ["p = 0", "p = 0.2", "p = 0.5", "p = 0.8"]
    np.testing.assert_allclose(fig.data[2].y, result.finals["gap"])
    live = dropout_rates_live(rows)
    assert len(live.data) == 8 and max(live.data[0].x) == 20  # two lines per rate, against the run's own step
    assert dropout_rates_live(pd.DataFrame()).data == ()
    assert len(dropout_fit_figure(result).data) == 2 + 4  # truth, points, one curve per rate


def test_the_batchnorm_chart_has_four_strips_per_feature():
    view = batchnorm_inside(BatchNormConfig())
    fig = batchnorm_figure(view)
    assert len(fig.data) == 4 and all(t.type == "box" for t in fig.data)
    assert len(fig.data[3].y) == 8 * 3 and list(fig.data[0].x[:3]) == ["feature 1", "feature 2", "feature 3"]
    np.testing.assert_array_equal(fig.data[3].y, view.eval_output.flatten())
    running = batchnorm_running_figure(view)
    assert list(running.data[0].x) == [0, 1, 2, 3, 4, 5] and running.data[0].y[0] == 0.0
    assert batchnorm_running_figure(view, "var").data[0].y[0] == 1.0
    with pytest.raises(ValueError):
        batchnorm_running_figure(view, "std")


def test_the_kfold_chart_shows_each_runs_rows_and_the_scores(kfold):
    fig = kfold_figure(kfold)
    bars = [t for t in fig.data if t.type == "bar"]
    assert [t.name for t in bars] == ["trains the model", "validates (scored)", "test set: untouched",
                                      "test set: scored once, at the end"]
    validates = bars[1]
    assert list(validates.y[:4]) == ["fold 1", "fold 2", "fold 3", "fold 4"] and set(validates.y[4:]) == {"80/20 split"}
    assert list(validates.x[:4]) == [30, 30, 30, 30] and list(validates.base[:4]) == [0, 30, 60, 90]
    assert sum(validates.x[4:]) == 24  # the single split's own random 20%, in several stretches
    for name in ["fold 1", "80/20 split", "final model"]:  # each run's bars cover the development rows once
        assert sum(x for t in bars[:2] for y, x in zip(t.y, t.x, strict=True) if y == name) == 120
    scores = [t for t in fig.data if t.type == "scatter"]
    assert [list(t.x) for t in scores[2:]] == [["mean ± std"], ["80/20 split"], ["test (final model)"]]
    assert scores[2].error_y.array[0] == pytest.approx(kfold.std_acc)
