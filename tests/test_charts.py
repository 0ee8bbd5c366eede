import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from charts.activations import curve_figure, softmax_figure
from charts.mlp import boundary_figure, dead_units_figure, gradient_figure, histogram_figure
from charts.training import accuracy_figure, loss_figure, runs_live_figure
from engine.activation_demo import MLPDemoConfig, run
from engine.activations import curve
from engine.trainer import TrainSettings


@pytest.fixture(scope="module")
def result():
    return run(MLPDemoConfig(activations=("relu", "tanh"), train=TrainSettings(steps=20, report_every=5)))


def test_the_curve_chart_draws_f_and_its_derivative_and_shades_saturation():
    fig = curve_figure(curve("sigmoid"), "Sigmoid")
    names = [t.name for t in fig.data]
    assert names[0].endswith("f(x)") and names[1] == "f′(x)"
    assert len(fig.layout.shapes) == 2  # both saturated tails


def test_the_loss_chart_has_train_and_test_and_copes_with_no_rows_yet(result):
    assert [t.name for t in loss_figure(result.history).data] == ["train loss", "test loss"]
    assert loss_figure(pd.DataFrame()).data == ()


def test_per_layer_charts_have_one_line_per_hidden_layer(result):
    for figure in (gradient_figure(result.history), dead_units_figure(result.history), histogram_figure(result)):
        assert len(figure.data) == 2
    assert gradient_figure(result.history).layout.yaxis.type == "log"


def test_the_boundary_chart_shows_the_grid_and_both_splits(result):
    fig = boundary_figure(result)
    heatmap, train, test = fig.data
    assert np.asarray(heatmap.z).shape == result.boundary.predicted.shape
    assert len(train.x) == len(result.X_train) and len(test.x) == len(result.X_test)


def test_accuracy_and_softmax_charts():
    history = pd.DataFrame({"step": [1, 2], "train_acc": [0.5, 0.9], "test_acc": [0.4, 0.8]})
    assert len(accuracy_figure(history).data) == 2
    fig = softmax_figure(["a", "b"], np.array([0.7, 0.3]), 2.0)
    assert list(fig.data[0].y) == [0.7, 0.3] and "T = 2" in fig.layout.title.text


def test_every_figure_passes_plotlys_full_validation(result):
    """Figures skip layout validation when built, for speed; here each one is checked in full."""
    figures = [curve_figure(curve("maxout", maxout_k=3), "Maxout"), softmax_figure(["a"], np.array([1.0]), 1.0),
               loss_figure(result.history), accuracy_figure(result.history), boundary_figure(result),
               histogram_figure(result), gradient_figure(result.history), dead_units_figure(result.history)]
    for fig in figures:
        checked = go.Figure(fig.to_dict())  # raises on any invalid property
        assert checked.layout.template.layout.plot_bgcolor == "white"


def test_the_live_view_of_several_runs_draws_one_line_per_run_and_copes_with_no_rows():
    rows = pd.DataFrame([{"step": 1, "run_step": 1, "run": "a", "batch_loss": 1.0},
                         {"step": 2, "run_step": 2, "run": "a", "batch_loss": 0.5},
                         {"step": 3, "run_step": 1, "run": "b", "batch_loss": 0.9}])
    fig = runs_live_figure(rows, "run")
    assert [t.name for t in fig.data] == ["a", "b"] and list(fig.data[1].x) == [1]
    go.Figure(fig.to_dict())
    assert runs_live_figure(pd.DataFrame(), "run").data == ()
    assert len(runs_live_figure(rows, None).data) == 1
