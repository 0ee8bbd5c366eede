import numpy as np
import pandas as pd
import pytest

from charts.backprop import loss_gradient_figure, loss_surface_figure, loss_training_figure, network_figure
from charts.initialization import (
    deep_layers_figure,
    deep_runs_figure,
    glorot_figure,
    gradient_depth_figure,
    layer_histogram_figure,
    symmetry_figure,
)
from engine.backprop import BackpropConfig, step_by_step
from engine.init_training import DeepRunsConfig, InitConfig, RemediesConfig, run_deep, run_init
from engine.initialization import glorot_view, gradient_depth_view
from engine.loss_demos import LossTrainConfig, loss_view, run_loss_training
from tests.test_charts_sweep import fully_valid


def _with_rows(fn, config):
    rows = []
    result = fn(config, on_report=lambda step, metrics: rows.append(metrics))
    return result, pd.DataFrame(rows)


@pytest.fixture(scope="module")
def runs():
    return {"losses": _with_rows(run_loss_training, LossTrainConfig(steps=10)),
            "init": run_init(InitConfig(scheme="constant", depth=4, steps=10)),
            "large": run_init(InitConfig(scheme="large", activation="relu", depth=30, steps=3)),
            "he": _with_rows(run_deep, DeepRunsConfig(depth=6, steps=5)),
            "remedies": run_deep(RemediesConfig(depth=6, steps=5))}


def test_every_figure_passes_plotlys_full_validation_and_plots_only_finite_numbers(runs):
    losses, rows = runs["losses"]
    he, he_rows = runs["he"]
    labels = {k: v.label for k, v in he.config.variants.items()}
    figures = [network_figure(step_by_step(BackpropConfig())),
               network_figure(step_by_step(BackpropConfig(loss="cross_entropy", x1=10, w5=10, target=0))),
               loss_gradient_figure(loss_view(0.01)), loss_surface_figure(loss_view(0.5)),
               loss_training_figure(rows), loss_training_figure(losses.history), loss_training_figure(pd.DataFrame()),
               glorot_figure(glorot_view(depth=4)), gradient_depth_figure(gradient_depth_view(5, "zeros"), "zeros"),
               gradient_depth_figure(gradient_depth_view(30, "large"), "large"),
               deep_runs_figure(he_rows, labels), deep_runs_figure(he.history, labels),
               deep_runs_figure(pd.DataFrame(), labels), deep_layers_figure(he),
               deep_layers_figure(runs["remedies"], "weight_grad_norm")]
    for result in (runs["init"], runs["large"]):
        figures += [layer_histogram_figure(result.at_init), layer_histogram_figure(result.at_init, "gradients"),
                    symmetry_figure(result.tracked)]
    for fig in figures:
        fully_valid(fig)
        for trace in fig.data:
            z = trace.to_plotly_json().get("z")
            assert z is None or np.isfinite(np.asarray(z, dtype=float)).all()


def test_the_network_chart_shows_every_value_and_gradient():
    view = step_by_step(BackpropConfig())
    fig = network_figure(view)
    texts = " ".join(a.text for a in fig.layout.annotations)
    for name, g in zip(view.gradients["parameter"], view.gradients["by hand"], strict=True):
        assert f"∂L/∂{name} = {g:.3g}" in texts
    nodes = fig.data[-1]
    assert len(nodes.x) == 5 and nodes.text[4].startswith("o<br>")


def test_the_loss_gradient_chart_marks_the_chosen_prediction():
    fig = loss_gradient_figure(loss_view(0.01))
    marker = fig.data[2]
    assert list(marker.x) == [0.01, 0.01] and marker.y[1] == pytest.approx(0.99)
    assert marker.y[0] == pytest.approx(2 * 0.99 * 0.01 * 0.99)


def test_the_symmetry_chart_draws_both_weights_of_each_tracked_unit(runs):
    fig = symmetry_figure(runs["init"].tracked)
    assert len(fig.data) == 8
    assert list(fig.data[0].y) == list(fig.data[2].y)  # constant init: units 1 and 2 move together


def test_the_histogram_heatmap_has_a_row_per_layer_and_rows_sum_to_one(runs):
    fig = layer_histogram_figure(runs["init"].at_init)
    z = np.asarray(fig.data[0].z)
    assert z.shape[0] == 4 and np.allclose(z.sum(1), 1)


def test_the_gradient_chart_leaves_out_zeros_it_cannot_draw_on_a_log_axis():
    fig = gradient_depth_figure(gradient_depth_view(5, "zeros"), "zeros")
    assert [len(t.x) for t in fig.data] == [0, 0, 0] and fig.layout.yaxis.type == "log"
