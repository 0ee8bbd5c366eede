import contextlib
import io

import numpy as np
import pytest

from engine.activation_demo import GRID, MLPDemoConfig, code_for, run
from engine.activations import ACTIVATIONS
from engine.device import describe, pick_device
from engine.trainer import TrainSettings

TINY = TrainSettings(steps=20, report_every=5)


@pytest.mark.parametrize("config", [
    MLPDemoConfig(train=TrainSettings(steps=30, report_every=10)),
    MLPDemoConfig(dataset="moons", activations=("maxout", "step", "leaky_relu"), slope=0.2, maxout_k=3,
                  train=TrainSettings(steps=25, batch_size=32, optimizer="momentum", lr=0.05, report_every=5)),
], ids=["default", "maxout-step-leaky-minibatch"])
def test_the_shown_code_trains_exactly_what_the_engine_trained(config):
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        exec(compile(code_for(config), "shown-code", "exec"), namespace)
    result = run(config)
    assert namespace["loss"].item() == pytest.approx(result.history["batch_loss"].iloc[-1], rel=1e-5)
    assert f"step {config.train.steps}: loss" in printed.getvalue()


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_every_activation_trains_as_a_hidden_layer(name):
    result = run(MLPDemoConfig(dataset="blobs", activations=(name, name), width=8, train=TINY))
    assert result.status == "finished"
    assert [layer.name for layer in result.layers] == [f"layer 1 ({name})", f"layer 2 ({name})"]
    assert result.boundary.predicted.shape == (GRID, GRID)


def test_a_deep_sigmoid_net_starves_its_first_layer_of_gradient():
    config = MLPDemoConfig(dataset="circles", activations=("sigmoid",) * 6,
                           train=TrainSettings(steps=10, optimizer="sgd", lr=0.5))
    first_step = run(config).history.iloc[0]
    assert first_step["grad_L1"] < first_step["grad_L6"] / 1000
    relu = run(MLPDemoConfig(dataset="circles", activations=("relu",) * 6, train=config.train)).history.iloc[0]
    assert relu["grad_L1"] > relu["grad_L6"] / 100


def test_dead_relu_fraction_counts_units_silent_on_every_point():
    settings = TrainSettings(steps=40, optimizer="sgd", lr=10.0)
    result = run(MLPDemoConfig(activations=("relu",), width=32, train=settings))
    dead = result.history["dead_L1"]
    assert ((dead >= 0) & (dead <= 1)).all()
    assert result.layers[0].dead_fraction == pytest.approx(dead.iloc[-1])
    assert result.layers[0].dead_fraction > 0  # a huge learning rate kills ReLUs


def test_a_perceptron_has_no_hidden_layers_to_show():
    result = run(MLPDemoConfig(activations=(), train=TINY))
    assert result.layers == []
    assert not any(c.startswith("grad_L") for c in result.history.columns)


def test_histograms_count_every_activation_value():
    config = MLPDemoConfig(activations=("tanh",), width=4, train=TINY)
    result = run(config)
    assert result.layers[0].counts.sum() == len(result.X_train) * 4
    assert np.all(np.diff(result.layers[0].bin_edges) > 0)


def test_results_report_the_device_and_are_cacheable_only_when_repeatable():
    result = run(MLPDemoConfig(train=TINY))
    assert result.device == describe(pick_device())  # a GPU where there is one
    assert result.cacheable
    stopped = run(MLPDemoConfig(train=TINY), should_stop=lambda: True)
    assert stopped.status == "cancelled" and not stopped.cacheable


def test_a_diverging_maxout_net_ends_as_diverged_with_finite_histograms():
    config = MLPDemoConfig(activations=("maxout",) * 3, width=32, seed=1,
                           train=TrainSettings(steps=100, optimizer="sgd", lr=3.0))
    result = run(config)
    assert result.status == "diverged"
    for layer in result.layers:
        assert np.isfinite(layer.bin_edges).all()


def test_stopping_the_xor_comparison_skips_the_second_model():
    from engine.activation_demo import XorConfig, run_xor

    result = run_xor(XorConfig(steps=20), should_stop=lambda: True)
    assert result.mlp is None and not result.cacheable


def test_a_stop_that_lands_between_the_two_xor_models_skips_the_second():
    from engine.activation_demo import XorConfig, run_xor

    asked = []
    stop_after_the_perceptron = lambda: len(asked) >= 20 or bool(asked.append(1))  # its 20 steps, then stop
    result = run_xor(XorConfig(steps=20), should_stop=stop_after_the_perceptron)
    assert result.perceptron.status == "finished" and result.mlp is None and not result.cacheable
