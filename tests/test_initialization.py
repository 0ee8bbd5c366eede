import math

import numpy as np
import pytest
import torch
from torch import nn

from engine.init_training import (
    DeepRunsConfig,
    InitConfig,
    RemediesConfig,
    distinct_units,
    run_deep,
    run_init,
)
from engine.initialization import SCHEMES, build, glorot_view, gradient_depth_view, init_linear, signal


def test_xavier_and_he_match_torch_nn_init_in_distribution():
    layer, generator = nn.Linear(400, 300), torch.Generator().manual_seed(0)
    init_linear(layer, "xavier", generator)
    bound = math.sqrt(6 / 700)  # torch.nn.init.xavier_uniform_'s bound, gain 1
    reference = nn.init.xavier_uniform_(torch.empty(300, 400))
    assert layer.weight.abs().max() <= bound and reference.abs().max() <= bound
    assert layer.weight.std().item() == pytest.approx(reference.std().item(), rel=0.02)
    init_linear(layer, "he", generator)
    reference = nn.init.kaiming_normal_(torch.empty(300, 400), nonlinearity="relu")
    assert layer.weight.std().item() == pytest.approx(reference.std().item(), rel=0.02)
    assert layer.weight.std().item() == pytest.approx(math.sqrt(2 / 400), rel=0.02)
    assert (layer.bias == 0).all()


@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_scheme_builds_a_network_that_runs(scheme):
    net = build(2, 8, 3, "tanh", 2, scheme, torch.Generator().manual_seed(0))
    assert net(torch.zeros(5, 2)).shape == (5, 2)


def test_a_residual_network_adds_each_blocks_input_back():
    net = build(3, 3, 2, "relu", 2, "he", torch.Generator().manual_seed(0), residual=True)
    x = torch.randn(4, 3)
    h1 = torch.relu(net.first(x))
    expected = h1 + torch.relu(net.hidden[0](h1))
    torch.testing.assert_close(net.layer_outputs(x)[-1], expected)


def test_the_layer_signal_matches_autograd_on_the_weights():
    generator = torch.Generator().manual_seed(0)
    net = build(2, 6, 3, "tanh", 2, "xavier", generator)
    X, y = torch.randn(20, 2, generator=generator), torch.randint(2, (20,), generator=generator)
    measured = signal(net, X, y)
    nn.functional.cross_entropy(net(X), y).backward()
    np.testing.assert_allclose(measured.weight_grad_norm, [layer.weight.grad.norm().item() for layer in net.linears()],
                               rtol=1e-5)
    np.testing.assert_allclose(measured.activation_std[0], torch.tanh(net.first(X)).std(correction=0).item(),
                               rtol=1e-5)
    assert measured.act_hist.sum(1).tolist() == [20 * 6] * 3


def test_glorot_across_10_tanh_layers_xavier_keeps_the_spread_within_2_and_the_standard_scheme_does_not():
    view = glorot_view(depth=10)
    assert view.spread["xavier"] < 2 and view.spread["standard"] > 10
    standard = view.signals["standard"].gradient_std
    assert standard[0] < standard[-1] / 10  # back-propagated gradients shrink towards the input


def test_sigmoid_gradients_vanish_towards_the_input_and_relu_with_he_init_does_not():
    frame = gradient_depth_view(depth=20, scheme="he")
    assert frame["sigmoid"].iloc[0] < 1e-6 * frame["sigmoid"].iloc[-1]
    assert frame["relu"].iloc[0] > 0.01 * frame["relu"].iloc[-1]


@pytest.mark.parametrize("scheme", ["zeros", "constant"])
def test_zero_and_constant_initialization_keep_the_hidden_units_identical_after_training(scheme):
    result = run_init(InitConfig(scheme=scheme, depth=3, steps=50))
    assert result.distinct == [1, 1, 1]
    last = result.tracked[result.tracked["step"] == result.tracked["step"].max()]
    assert np.ptp(last["w_x1"]) == 0 and np.ptp(last["w_x2"]) == 0
    assert result.history["test_acc"].iloc[-1] < 0.7


def test_random_initialization_breaks_the_symmetry_and_trains():
    result = run_init(InitConfig(scheme="xavier", depth=3, steps=100))
    assert result.distinct == [32, 32, 32] and result.history["test_acc"].iloc[-1] > 0.9


def test_distinct_units_counts_rows():
    layer = nn.Linear(2, 3)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[1.0, 2.0], [1.0, 2.0], [0.0, 2.0]]))
    net = build(2, 3, 1, "tanh", 2, "he", torch.Generator())
    net.first = layer
    assert distinct_units(net) == [2]


def test_he_et_al_a_30_layer_relu_network_trains_with_he_init_and_not_with_a_too_small_one():
    result = run_deep(DeepRunsConfig())
    finals = result.finals.set_index("run")
    assert finals.loc["he", "test_acc"] > 0.9
    assert finals.loc["small", "test_acc"] < 0.6 and finals.loc["xavier", "test_acc"] < 0.6
    assert finals.loc["small", "train_loss"] == pytest.approx(math.log(2), abs=0.01)
    std = result.layers.pivot(index="layer", columns="run", values="activation_std")
    assert std["xavier"].iloc[-1] < 1e-3 * std["xavier"].iloc[0]  # ReLU halves the variance at every layer
    assert std["he"].iloc[-1] > 100 * std["xavier"].iloc[-1]


def test_the_remedies_each_train_where_the_plain_network_does_not():
    result = run_deep(RemediesConfig(steps=100))  # the lesson's link: 20 layers, 100 steps
    finals = result.finals.set_index("run")
    assert finals.loc["plain", "test_acc"] < 0.6
    assert finals.loc["relu", "test_acc"] > 0.9 and finals.loc["residual", "test_acc"] > 0.9
    assert finals.loc["exploding", "status"] == "diverged" and finals.loc["clipped", "status"] == "finished"
    assert finals.loc["clipped", "test_acc"] > 0.9  # the same too-large weights train once clipped
    assert np.isfinite(result.history.select_dtypes("number").to_numpy(float)).all()


def test_a_stopped_run_keeps_what_it_has():
    result = run_deep(DeepRunsConfig(steps=20), should_stop=lambda: True)
    assert result.status == "cancelled" and not result.cacheable


def test_bad_settings_get_a_sentence():
    with pytest.raises(ValueError, match="Choose a scheme"):
        run_init(InitConfig(scheme="nope"))
    with pytest.raises(ValueError, match="layers"):
        run_init(InitConfig(depth=0))


def test_the_shown_code_runs(capsys):
    exec(run_init(InitConfig(scheme="he", activation="relu", depth=2, steps=3)).code, {})  # noqa: S102
    exec(run_deep(RemediesConfig(depth=2, steps=2)).code, {})  # noqa: S102
    out = capsys.readouterr().out
    assert "training loss" in out and "clipped: test accuracy" in out
