import math

import numpy as np
import pytest
import torch

from engine.surfaces import (
    STATE_KEYS,
    SURFACES,
    LearningRateConfig,
    RaceConfig,
    Racer,
    distill_racers,
    measured_rate,
    optimal_rates,
    predicted_rate,
    race,
    race_learning_rates,
    step_details,
    surface_value,
)
from engine.trainer import OPTIMIZERS

EPS = {"adagrad": 1e-10, "rmsprop": 1e-8, "adam": 1e-8, "adamw": 1e-8}


def by_hand(name: str, grads: np.ndarray, lr: float, start: np.ndarray, beta=0.9, alpha=0.99, betas=(0.9, 0.999),
            wd=0.01) -> list[np.ndarray]:
    """Each optimizer's updates for a given sequence of gradients, written out from its textbook rule."""
    theta, updates = start.copy(), []
    v = np.zeros(2)  # velocity, sum of squares, or running mean of squares
    m = np.zeros(2)
    for t, g in enumerate(grads, 1):
        if name == "sgd":
            step = -lr * g
        elif name == "momentum":
            v = beta * v + g if t > 1 else g.copy()
            step = -lr * v
        elif name == "nesterov":
            v = beta * v + g if t > 1 else g.copy()
            step = -lr * (g + beta * v)
        elif name == "adagrad":
            v = v + g**2
            step = -lr * g / (np.sqrt(v) + EPS[name])
        elif name == "rmsprop":
            v = alpha * v + (1 - alpha) * g**2
            step = -lr * g / (np.sqrt(v) + EPS[name])
        else:  # adam, adamw
            b1, b2 = betas
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g**2
            m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
            decay = -lr * wd * theta if name == "adamw" else 0.0  # AdamW: decoupled, on the weights
            step = decay - lr * m_hat / (np.sqrt(v_hat) + EPS[name])
        theta = theta + step
        updates.append(step)
    return updates


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_each_optimizers_first_steps_follow_its_update_rule_written_out_by_hand(name):
    lr = 0.05
    result = race(RaceConfig(surface="rosenbrock", start=(-1.2, 1.0), racers=(Racer(name, lr),), steps=4))
    track = result.tracks[0]
    expected = by_hand(name, track.grad[:4], lr, np.array([-1.2, 1.0]))
    np.testing.assert_allclose(track.update[1:5], expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(track.position[4], track.position[0] + np.sum(expected, 0), rtol=1e-9)


def test_the_recorded_state_is_torchs_own_adam_moments():
    track = race(RaceConfig(racers=(Racer("adam", 0.05),), steps=3)).tracks[0]
    g = track.grad[:3]
    m = v = np.zeros(2)
    for t in range(3):
        m, v = 0.9 * m + 0.1 * g[t], 0.999 * v + 0.001 * g[t] ** 2
        np.testing.assert_allclose(track.state["exp_avg"][t + 1], m, rtol=1e-12)
        np.testing.assert_allclose(track.state["exp_avg_sq"][t + 1], v, rtol=1e-12)
    assert set(track.state) == set(STATE_KEYS["adam"])


def test_the_gradient_recorded_at_each_point_is_autograds():
    track = race(RaceConfig(surface="wells", racers=(Racer("momentum", 0.05),), steps=5)).tracks[0]
    for point, grad in zip(track.position, track.grad, strict=True):
        xy = torch.tensor(point, requires_grad=True)
        SURFACES["wells"].fn(xy[0], xy[1], 10.0).backward()
        np.testing.assert_allclose(grad, xy.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("kappa", [10.0, 100.0])
def test_measured_rates_on_the_quadratic_match_goh_distill_2017_within_5_percent(kappa):
    rates = optimal_rates(kappa)
    assert rates.gd_rate == pytest.approx((kappa - 1) / (kappa + 1))
    assert rates.momentum_rate == pytest.approx((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1))
    gd, momentum = distill_racers(kappa)
    result = race(RaceConfig(kappa=kappa, racers=(gd, momentum), steps=400))
    for track, formula in zip(result.tracks, (rates.gd_rate, rates.momentum_rate), strict=True):
        assert measured_rate(track, result.minimum) == pytest.approx(formula, rel=0.05)
    # the linear-algebra rate for any setting agrees with Distill's at the optimum
    assert predicted_rate(gd, kappa) == pytest.approx(rates.gd_rate, rel=1e-9)
    assert predicted_rate(momentum, kappa) == pytest.approx(rates.momentum_rate, rel=1e-3)


def test_momentum_beats_gradient_descent_by_the_predicted_margin_at_other_settings():
    racer = Racer("momentum", 0.5, (("momentum", 0.5),))
    result = race(RaceConfig(kappa=50.0, racers=(racer,), steps=400))
    assert measured_rate(result.tracks[0], result.minimum) == pytest.approx(predicted_rate(racer, 50.0), rel=0.05)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_too_large_a_learning_rate_is_caught_as_divergence_for_every_optimizer(name):
    # Adaptive methods step about lr whatever the gradient, so they blow up where the surface gets steep fast.
    config = LearningRateConfig(name, (0.001, 10.0), steps=30).race()
    result = race(RaceConfig(surface="rosenbrock", start=(-1.2, 1.0), racers=config.racers, steps=30))
    small, large = result.tracks
    assert small.diverged_at == 0 and large.diverged_at == 1
    assert f"diverged at step {large.diverged_at}" in result.message
    assert len(large.loss) == large.diverged_at  # nothing recorded past the blow-up
    assert all(np.isfinite(a).all() for t in result.tracks for a in (t.position, t.loss, t.grad, t.update))


def test_when_every_racer_diverges_the_run_says_so_and_keeps_what_it_had():
    result = race(RaceConfig(surface="rosenbrock", racers=(Racer("sgd", 9.0), Racer("adam", 9.0)), steps=50))
    assert result.status == "diverged" and result.message.startswith("Every optimizer diverged")
    assert all(len(t.position) >= 1 for t in result.tracks)


def test_on_the_quadratic_adaptive_methods_bounce_rather_than_blow_up():
    result = race_learning_rates(LearningRateConfig("adam", (0.05, 10.0), steps=60))
    assert all(t.diverged_at == 0 for t in result.tracks)
    assert result.tracks[1].loss.max() > 10 * result.tracks[1].loss[0]  # thrashing, far above where it started
    sgd = race_learning_rates(LearningRateConfig("sgd", (0.05, 1.0, 3.0), steps=60))
    assert [t.diverged_at > 0 for t in sgd.tracks] == [False, False, True]


def test_the_stop_button_and_the_deadline_end_a_race_with_its_partial_tracks():
    calls = iter(range(100))
    stopped = race(RaceConfig(steps=500), should_stop=lambda: next(calls) >= 10)
    assert stopped.status == "cancelled" and 0 < stopped.steps_done < 500
    assert all(len(t.loss) == stopped.steps_done + 1 for t in stopped.tracks)
    late = race(RaceConfig(steps=500), deadline=0.0)
    assert late.status == "out of time" and not late.cacheable


def test_from_near_the_saddle_adaptive_methods_escape_before_plain_sgd():
    result = race(RaceConfig(surface="saddle", start=(0.0, 0.01), racers=(Racer("sgd", 0.1), Racer("adam", 0.05)),
                             steps=150))
    sgd, adam = result.tracks
    assert 0 < adam.steps_to_minimum < sgd.steps_to_minimum


@pytest.mark.parametrize("name", SURFACES)
def test_every_surface_has_its_minimum_where_it_says(name):
    surface = SURFACES[name]
    x_min, y_min = surface.minimum(10.0)
    xs = np.linspace(*surface.span[:2], 401)
    ys = np.linspace(*surface.span[2:], 401)
    X, Y = np.meshgrid(xs, ys)
    grid_best = surface_value(name, 10.0, X, Y).min()
    assert surface_value(name, 10.0, x_min, y_min) <= grid_best + 1e-3


def test_the_race_reports_each_racers_loss_as_it_goes():
    rows = []
    race(RaceConfig(steps=10, report_every=5), on_report=lambda step, metrics: rows.append((step, metrics)))
    assert [step for step, _ in rows] == [1, 5, 10]
    assert set(rows[0][1]) >= {"SGD (lr 0.1)", "Adam (lr 0.05)"}


def test_the_step_view_shows_adams_bias_corrected_moments():
    racer = Racer("adam", 0.05)
    track = race(RaceConfig(racers=(racer,), steps=3)).tracks[0]
    rows = dict(step_details(track, racer, 2))
    assert rows["bias correction 1 − β₁^2"] == pytest.approx(1 - 0.9**2)
    m_hat, v_hat = rows["m̂ = m / (1 − β₁ᵗ)"], rows["v̂ = v / (1 − β₂ᵗ)"]
    np.testing.assert_allclose(rows["update Δθ"], -0.05 * m_hat / (np.sqrt(v_hat) + 1e-8), rtol=1e-9)
    np.testing.assert_allclose(rows["θ after the step"], rows["θ before the step"] + rows["update Δθ"])


def test_adamws_step_is_its_decoupled_decay_plus_adams_adaptive_step():
    racer = Racer("adamw", 0.05, (("weight_decay", 0.5),))
    track = race(RaceConfig(surface="rosenbrock", racers=(racer,), steps=3)).tracks[0]
    rows = dict(step_details(track, racer, 3))
    np.testing.assert_allclose(rows["weight decay −lr·0.5·θ"], -0.05 * 0.5 * rows["θ before the step"])
    parts = rows["weight decay −lr·0.5·θ"] + rows["adaptive step −lr·m̂ / (√v̂ + ε)"]
    np.testing.assert_allclose(rows["update Δθ"], parts, rtol=1e-9)


def test_two_racers_with_the_same_settings_keep_apart():
    result = race(RaceConfig(racers=(Racer("sgd", 0.1), Racer("sgd", 0.1)), steps=5, report_every=5))
    assert [t.name for t in result.tracks] == ["SGD (lr 0.1) #1", "SGD (lr 0.1) #2"]
