"""The overfitting sweeps against the reference: each network trained alone by torch.optim, as its code shows."""

import contextlib
import io
import math
import time

import numpy as np
import pytest
import torch
from torch import nn

from engine.batched import stack_nets
from engine.overfitting_sweeps import (
    GRID_POINTS,
    TINY_BIAS_VARIANCE,
    TINY_CAPACITY,
    TINY_LEARNING_CURVE,
    BiasVarianceConfig,
    CapacityConfig,
    LearningCurveConfig,
    bias_variance,
    bias_variance_code,
    bias_variance_steps,
    capacity_code,
    capacity_key,
    capacity_steps,
    initial_net,
    learning_curve_code,
    learning_curve_steps,
    parameter_count,
    run_bias_variance,
    run_capacity_sweep,
    run_learning_curves,
    sine_data,
    size_key,
)
from jobs.results import check_result

RTOL = 1e-4  # float32: the stacked run's batched products round differently from nn.Linear's, and that is all


def run_code(code: str) -> dict:
    """Execute a result's shown code quietly; its variables."""
    scope = {}
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        exec(compile(code, "<shown code>", "exec"), scope)
    assert "validation MSE" in printed.getvalue()
    return scope


@torch.no_grad()
def final_mse(scope: dict) -> tuple[float, float]:
    net, loss = scope["net"], nn.functional.mse_loss
    return (loss(net(scope["X_train"]).squeeze(1), scope["y_train"]).item(),
            loss(net(scope["X_val"]).squeeze(1), scope["y_val"]).item())


@pytest.fixture(scope="module")
def capacity():
    reports = []
    config = CapacityConfig(widths=(1, 3, 8), depth=3, points=12, steps=40)
    return run_capacity_sweep(config, on_report=lambda step, metrics: reports.append(metrics)), reports


@pytest.fixture(scope="module")
def default_bias_variance():
    return run_bias_variance(BiasVarianceConfig())


def test_sine_data_draws_x_uniformly_in_the_interval_and_adds_the_noise():
    X, y = sine_data(5000, 0.3, torch.Generator().manual_seed(0))
    assert X.shape == (5000, 1) and y.shape == (5000,)
    assert X.min() >= -1 and X.max() <= 1 and abs(X.mean().item()) < 0.03
    residual = y - torch.sin(1.5 * math.pi * X[:, 0])
    assert residual.std().item() == pytest.approx(0.3, rel=0.05)


def test_every_width_in_the_sweep_trains_as_that_network_alone_under_torch_optim(capacity):
    result, _ = capacity
    assert result.status == "finished" and result.steps_done == 40
    for fit in result.fits:  # the shown code trains one width alone: nn.Sequential, torch.optim.Adam, MSELoss
        scope = run_code(capacity_code(result.config, fit.width))
        assert sum(p.numel() for p in scope["net"].parameters()) == fit.parameters == parameter_count(fit.width, 3)
        train, val = final_mse(scope)
        assert fit.train_mse == pytest.approx(train, rel=RTOL) and fit.val_mse == pytest.approx(val, rel=RTOL)
        i = result.config.widths.index(fit.width)
        with torch.no_grad():
            curve = scope["net"](torch.as_tensor(result.grid, dtype=torch.float32).view(-1, 1))[:, 0].numpy()
        np.testing.assert_allclose(result.predictions[i], curve, rtol=1e-3, atol=1e-4)


def test_the_capacity_result_names_the_best_width_and_keeps_plain_finite_data(capacity):
    result, reports = capacity
    best = min(result.fits, key=lambda f: f.val_mse)
    assert result.best_width == best.width and f"came from width {best.width}" in result.message
    assert f"{best.width}" in result.code and "torch.optim.Adam(net.parameters(), lr=0.01)" in result.code
    assert list(result.history.columns) == ["step", "width", "train_loss", "val_loss"]
    assert set(result.history["width"]) == {1, 3, 8} and result.history["step"].max() == 40
    assert np.isfinite(result.history[["train_loss", "val_loss"]].to_numpy()).all()
    assert result.predictions.shape == (3, GRID_POINTS) and np.isfinite(result.predictions).all()
    assert set(reports[-1]) >= {capacity_key(kind, w) for kind in ("train", "val") for w in (1, 3, 8)}
    last = result.history[result.history["step"] == 40].set_index("width")
    assert reports[-1][capacity_key("val", 8)] == pytest.approx(last.loc[8, "val_loss"])
    assert result.cacheable and capacity_steps(result.config) == 40
    check_result(result)


def test_the_sweep_stacks_each_width_as_its_own_default_initialised_network():
    """Copy k is the width-k MLP drawn after the data, zero-padded: exactly what the shown code builds."""
    config = CapacityConfig(widths=(2, 5), points=7)
    g = torch.Generator().manual_seed(config.seed)
    sine_data(config.points, config.noise, g), sine_data(200, config.noise, g)
    state = g.get_state()
    nets = []
    for width in config.widths:
        g.set_state(state)
        nets.append(initial_net(1, width, config.depth, "relu", 1, g))
    model = stack_nets(nets)
    for k, width in enumerate(config.widths):
        scope = {}
        code = capacity_code(config, width).split("optimizer =")[0]  # build the data and net, train nothing
        exec(compile(code, "<shown code>", "exec"), scope)
        for mine, theirs in zip(model.copy(k), scope["net"].parameters(), strict=True):
            assert torch.equal(mine, theirs)


def test_each_training_set_size_trains_on_its_first_points_as_the_network_alone_would():
    config = LearningCurveConfig(sizes=(3, 9, 20), width=6, steps=30)
    result = run_learning_curves(config)
    assert result.status == "finished"
    for fit in result.fits:
        train, val = final_mse(run_code(learning_curve_code(config, fit.size)))
        assert fit.train_mse == pytest.approx(train, rel=RTOL) and fit.val_mse == pytest.approx(val, rel=RTOL)
    assert result.code == learning_curve_code(config, 20)
    assert list(result.history.columns) == ["step", "size", "train_loss", "val_loss"]
    assert list(result.table["gap"]) == pytest.approx([f.val_mse - f.train_mse for f in result.fits])
    check_result(result)


def test_at_the_defaults_the_gap_between_validation_and_training_error_closes_as_data_grows():
    result = run_learning_curves(LearningCurveConfig())
    gaps = result.table["gap"].to_numpy()
    val = [f.val_mse for f in result.fits]
    assert result.status == "finished" and gaps[-1] < gaps[0] / 4 and val[-1] < val[0] / 2
    assert (np.diff(gaps) < 0.01).all()  # narrowing from one size to the next, give or take a little noise


def test_each_bias_variance_model_trains_on_its_own_set_as_the_network_alone_would():
    config = BiasVarianceConfig(widths=(3, 7), resamples=3, points=10, steps=30)
    result = run_bias_variance(config)
    scope = run_code(bias_variance_code(config, 3))
    np.testing.assert_array_equal(result.X_train[0], scope["X_train"][:, 0].numpy())
    with torch.no_grad():
        curve = scope["net"](torch.as_tensor(result.grid, dtype=torch.float32).view(-1, 1))[:, 0].numpy()
    np.testing.assert_allclose(result.spreads[0].predictions[0], curve, rtol=1e-3, atol=1e-4)
    assert [s.models for s in result.spreads] == [3, 3]
    assert len({tuple(x) for x in result.X_train}) == 3  # three different training sets
    assert set(result.history["resample"]) == {0, 1, 2}


def test_bias_and_variance_are_what_the_returned_predictions_give(default_bias_variance):
    result = default_bias_variance
    assert result.status == "finished"
    for spread in result.spreads:
        predictions = spread.predictions  # (models, grid)
        mean = predictions.mean(0)
        np.testing.assert_allclose(spread.mean_prediction, mean)
        assert spread.bias2 == pytest.approx(np.mean((mean - result.truth) ** 2))
        assert spread.variance == pytest.approx(np.mean(((predictions - mean) ** 2).mean(0)))
        distance = np.mean((predictions - result.truth) ** 2)  # each model's squared distance from the truth
        assert spread.bias2 + spread.variance == pytest.approx(distance)
        assert spread.noise2 == pytest.approx(0.09) and spread.expected_error == pytest.approx(distance + 0.09)
    check_result(result)


def test_the_flexible_model_has_more_variance_and_less_bias_than_the_simple_one(default_bias_variance):
    simple, flexible = default_bias_variance.spreads
    assert (simple.width, flexible.width) == (2, 64)
    assert flexible.variance > 2 * simple.variance
    assert flexible.bias2 < simple.bias2 / 2
    for spread in (simple, flexible):
        assert f"width {spread.width}: bias² {spread.bias2:.3f}, variance {spread.variance:.3f}" in \
            default_bias_variance.message


def test_bias_variance_of_identical_models_is_all_bias():
    truth = np.linspace(-1, 1, 5)
    bias2, variance = bias_variance(np.tile(truth + 0.5, (4, 1)), truth)
    assert bias2 == pytest.approx(0.25) and variance == 0


@pytest.mark.parametrize(("run", "config", "steps"), [
    (run_capacity_sweep, TINY_CAPACITY, capacity_steps),
    (run_learning_curves, TINY_LEARNING_CURVE, learning_curve_steps),
    (run_bias_variance, TINY_BIAS_VARIANCE, bias_variance_steps),
])
def test_the_tiny_configs_train_end_to_end_quickly_and_report_at_every_step(run, config, steps):
    reports = []
    started = time.perf_counter()
    result = run(config, on_report=lambda step, metrics: reports.append((step, metrics)))
    assert time.perf_counter() - started < 2  # "well under a second" on a quiet machine; loose for busy ones
    assert result.status == "finished" and result.steps_done == steps(config) == 2 and result.cacheable
    assert [step for step, _ in reports] == [1, 2]
    assert all(math.isfinite(v) for _, metrics in reports for v in metrics.values())
    check_result(result)


def test_progress_reports_name_each_size():
    reports = []
    run_learning_curves(TINY_LEARNING_CURVE, on_report=lambda step, metrics: reports.append(metrics))
    assert {size_key("train", 5), size_key("val", 20)} <= set(reports[0])


@pytest.mark.parametrize("run, config", [(run_capacity_sweep, CapacityConfig(widths=(2, 4), steps=10**4)),
                                         (run_learning_curves, LearningCurveConfig(sizes=(5, 10), steps=10**4)),
                                         (run_bias_variance, BiasVarianceConfig(resamples=2, steps=10**4))])
def test_stop_and_the_deadline_give_partial_results(run, config):
    calls = []
    stopped = run(config, should_stop=lambda: calls.append(1) or len(calls) > 5)
    assert stopped.status == "cancelled" and stopped.steps_done == 5 and stopped.cacheable
    assert stopped.history["step"].max() == 5
    late = run(config, deadline=time.monotonic() + 0.2)
    assert late.status == "out of time" and "time limit" in late.message and not late.cacheable
    assert 0 < late.steps_done < 10**4 and late.history["step"].max() == late.steps_done
    check_result(late)


def test_a_learning_rate_that_blows_up_every_network_ends_as_diverged_without_nan():
    result = run_capacity_sweep(CapacityConfig(widths=(4, 8), lr=1e20, steps=50))
    last = max(f.diverged_at for f in result.fits)
    assert result.status == "diverged" and result.message.startswith(f"Every width diverged (the last at step {last})")
    assert all(f.diverged_at > 0 and f.val_mse is None for f in result.fits) and result.best_width is None
    assert np.isfinite(result.history[["train_loss", "val_loss"]].to_numpy()).all()
    assert np.isfinite(result.predictions).all()
    check_result(result)
    spread = run_bias_variance(BiasVarianceConfig(widths=(4,), resamples=2, lr=1e20, steps=50))
    assert spread.status == "diverged" and spread.spreads[0].bias2 is None and spread.spreads[0].models == 0
    check_result(spread)


@pytest.mark.parametrize("run, config", [
    (run_capacity_sweep, CapacityConfig(widths=(4, 4))), (run_capacity_sweep, CapacityConfig(widths=())),
    (run_capacity_sweep, CapacityConfig(points=0)), (run_capacity_sweep, CapacityConfig(noise=-1)),
    (run_learning_curves, LearningCurveConfig(sizes=(0, 5))), (run_learning_curves, LearningCurveConfig(lr=0)),
    (run_bias_variance, BiasVarianceConfig(resamples=0)), (run_capacity_sweep, CapacityConfig(depth=0)),
])
def test_configs_that_cannot_run_are_refused_with_a_sentence(run, config):
    with pytest.raises(ValueError, match=r"^[A-Z]"):
        run(config)
