import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from charts.recurrent import (
    bi_figure,
    compare_figure,
    explode_loss_figure,
    explode_norms_figure,
    flow_figure,
    gates_figure,
    training_figure,
)
from engine.recurrent_demos import (
    BiConfig,
    CompareConfig,
    ExplodeConfig,
    FlowConfig,
    GatesConfig,
    run_bidirectional,
    run_compare,
    run_explode,
    run_flow,
    run_gates,
)
from tests.test_charts_overfitting import assert_plots_only_finite_numbers


@pytest.fixture(scope="module")
def results():
    return {
        "lstm": run_gates(GatesConfig(length=6, hidden=4, steps=10)),
        "gru": run_gates(GatesConfig(model="gru", length=5, hidden=3, steps=5)),
        "compare": run_compare(CompareConfig(lengths=(3, 6), hidden=4, steps=5)),
        "flow": run_flow(FlowConfig(length=6, hidden=4, steps=5)),
        "explode": run_explode(ExplodeConfig(length=30, hidden=8, steps=5, window=5)),
        "bi": run_bidirectional(BiConfig(length=6, hidden=4, steps=5)),
    }


def test_the_gates_figure_has_one_heatmap_per_gate_and_state_over_steps_and_units(results):
    result = results["lstm"]
    fig = gates_figure(result)
    assert len(fig.data) == 6 and all(t.type == "heatmap" for t in fig.data)
    forget = fig.data[1]
    np.testing.assert_allclose(np.asarray(forget.z), result.trace["f"].T)  # (units, steps)
    assert list(forget.x) == [1, 2, 3, 4, 5, 6] and list(forget.y) == [1, 2, 3, 4]
    assert fig.layout.coloraxis.cmin == 0 and fig.layout.coloraxis.cmax == 1
    assert [a.text for a in fig.layout.annotations][1] == "<b>forget gate f</b>"
    assert len(gates_figure(results["gru"]).data) == 4


def test_the_comparison_draws_score_against_length_per_kind(results):
    result = results["compare"]
    fig = compare_figure(result)
    assert [t.name for t in fig.data] == ["plain RNN", "GRU", "LSTM"]
    lstm = result.scores[result.scores["kind"] == "lstm"]
    np.testing.assert_allclose(fig.data[2].y, lstm["score"])
    assert list(fig.data[2].x) == [3, 6]


def test_the_gradient_flow_figure_draws_both_measurements_per_kind_on_a_log_axis(results):
    fig = flow_figure(results["flow"])
    assert len(fig.data) == 6 and fig.layout.yaxis.type == "log"
    assert {t.line.dash for t in fig.data} == {"dot", "solid"}


def test_the_exploding_figures_draw_each_run_and_the_clipping_threshold(results):
    result = results["explode"]
    norms = explode_norms_figure(result)
    assert [t.name for t in norms.data] == ["full BPTT, no clipping", "full BPTT, clipped", "truncated BPTT"]
    assert norms.layout.shapes[0].y0 == result.config.clip
    assert len(explode_loss_figure(result).data) == 3


def test_the_training_figure_copes_with_no_rows_yet():
    assert training_figure(pd.DataFrame()).data == ()
    rows = pd.DataFrame({"step": [1, 10], "batch_loss": [1.0, 0.5], "test_loss": [1.1, 0.6]})
    assert [t.name for t in training_figure(rows, "accuracy").data] == ["training batch loss", "test loss"]


def test_every_figure_passes_plotlys_full_validation_and_plots_only_finite_numbers(results):
    figures = [gates_figure(results["lstm"]), gates_figure(results["gru"]), compare_figure(results["compare"]),
               flow_figure(results["flow"]), explode_norms_figure(results["explode"]),
               explode_loss_figure(results["explode"]), bi_figure(results["bi"]),
               training_figure(results["lstm"].history, "accuracy")]
    for fig in figures:
        checked = go.Figure(fig.to_dict())  # raises on any invalid property
        assert checked.layout.template.layout.plot_bgcolor == "white"
        assert_plots_only_finite_numbers(fig)
