import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from charts.surfaces import race_figure, race_live_figure, race_loss_figure, side_by_side_figure
from engine.surfaces import LearningRateConfig, RaceConfig, Racer, race, race_learning_rates


@pytest.fixture(scope="module")
def result():
    return race(RaceConfig(racers=(Racer("sgd", 0.1), Racer("adam", 0.05), Racer("momentum", 5.0)), steps=30))


@pytest.fixture(scope="module")
def sides():
    return race_learning_rates(LearningRateConfig(steps=30))


def figures(result, sides):
    rows = pd.DataFrame([{"step": 1, "batch_loss": 1.0, "SGD (lr 0.1)": 1.0, "SGD (lr 3)": 2.0},
                         {"step": 5, "batch_loss": 0.5, "SGD (lr 0.1)": 0.0}])  # lr 3 diverged: NaN from here
    return [race_figure(result), race_loss_figure(result, at=3), race_live_figure(rows),
            race_live_figure(pd.DataFrame()), side_by_side_figure(sides, ("too small", "about right", "too large"))]


def test_every_race_figure_passes_plotlys_full_validation(result, sides):
    for fig in figures(result, sides):
        go.Figure(fig.to_dict())  # raises on any invalid property
        for trace in fig.data:
            for values in (getattr(trace, "x", None), getattr(trace, "y", None)):
                if values is not None:
                    assert np.isfinite(np.asarray(values, dtype=float)).all()


def test_the_race_draws_a_path_per_optimizer_and_marks_the_one_that_diverged(result):
    fig = race_figure(result)
    names = [t.name for t in fig.data if t.name]
    assert "SGD (lr 0.1)" in names and "Adam (lr 0.05)" in names
    assert any("diverged at step" in name for name in names)
    assert fig.data[0].type == "contour"


def test_the_loss_chart_is_on_a_log_axis_with_the_replayed_step_marked(result):
    fig = race_loss_figure(result, at=3)
    assert fig.layout.yaxis.type == "log"
    assert fig.layout.shapes[0].x0 == 3
    assert all(min(t.y) > 0 for t in fig.data)


def test_side_by_side_has_one_panel_per_learning_rate_and_names_the_diverged_one(sides):
    fig = side_by_side_figure(sides, ("too small", "about right", "too large"))
    assert [a.text.split("<br>")[0] for a in fig.layout.annotations] == ["<b>too small</b>", "<b>about right</b>",
                                                                          "<b>too large</b>"]
    assert "diverged at step" in fig.layout.annotations[2].text
    assert fig.layout.xaxis3.domain[1] == pytest.approx(1.0)


def test_on_the_wells_surface_the_loss_is_measured_from_the_true_minimum():
    result = race(RaceConfig(surface="wells", start=(0.0, 0.01), racers=(Racer("momentum", 0.05),), steps=300))
    loss = race_loss_figure(result).data[0].y
    assert (np.asarray(loss) > 1e-12).mean() > 0.9  # settling in the global well, it stays above the floor
