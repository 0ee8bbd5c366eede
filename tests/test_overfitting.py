import copy
import math
import time
from dataclasses import replace
from functools import cache

import numpy as np
import pytest
import torch
from torch import nn

from engine.datasets import moons
from engine.models import init_uniform
from engine.overfitting import (
    MOONS_CENTRE,
    MOONS_JITTER,
    REPORT_EVERY,
    TINY_FIT,
    FitConfig,
    FitResult,
    average,
    build_net,
    fit_code,
    fit_models,
    fit_result,
    fit_steps,
    make_data,
    outputs,
    penalty,
    run_fit,
    target,
    weights,
)

# A network with about 8,500 weights on 20 noisy points: enough steps to memorise them.
BIG = FitConfig(steps=500)
REMEDIES = {"l2": dict(l2=1e-3), "dropout": dict(dropout=0.2), "early stopping": dict(patience=10)}


@cache
def fitted(**changes) -> FitResult:
    """BIG with some settings changed, trained once for the whole module."""
    return run_fit(replace(BIG, **changes))


def assert_all_finite(result) -> None:
    """No NaN or inf anywhere a chart or a table could show it."""
    for name, value in vars(result).items():
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            assert np.isfinite(value).all(), name
        elif hasattr(value, "select_dtypes"):
            assert np.isfinite(value.select_dtypes("number").to_numpy(dtype=float)).all(), name
        elif isinstance(value, float):
            assert math.isfinite(value), name


def test_a_big_network_memorises_twenty_noisy_points_and_fails_on_new_ones():
    result = fitted()
    assert result.status == "finished" and result.steps_done == 500
    assert result.val_loss > 10 * result.train_loss  # 0.215 against 0.0049
    assert result.train_loss < result.noise_floor / 4  # below the noise's own variance: it has fitted the noise
    assert result.gap == pytest.approx(result.val_loss - result.train_loss)
    assert list(result.history.columns) == ["step", "train_loss", "val_loss"]
    assert result.history["step"].tolist() == [1] + list(range(REPORT_EVERY, 501, REPORT_EVERY))
    assert result.history["val_loss"].iloc[-1] == pytest.approx(result.val_loss)
    assert_all_finite(result)


@pytest.mark.parametrize("remedy", REMEDIES)
def test_l2_dropout_and_early_stopping_each_narrow_the_gap(remedy):
    base, cured = fitted(), fitted(**REMEDIES[remedy])
    assert cured.gap < base.gap / 2  # gaps: 0.210 without; 0.073 (L2), 0.091 (dropout), 0.063 (early stopping)
    assert cured.val_loss < base.val_loss


def test_early_stopping_keeps_the_weights_of_the_best_evaluation():
    result = fitted(patience=10)
    history = result.history
    assert result.status == "finished" and "Early stopping ended training" in result.message
    assert result.val_loss == pytest.approx(history["val_loss"].min(), rel=1e-6)
    assert result.best_step == history.loc[history["val_loss"].idxmin(), "step"]
    assert result.stopped_step > result.best_step
    assert result.stopped_step - result.best_step == 10 * REPORT_EVERY  # ten evaluations without a better one
    assert result.steps_done == result.stopped_step == history["step"].iloc[-1] < BIG.steps
    best = history.set_index("step").loc[result.best_step]
    assert result.train_loss == pytest.approx(best["train_loss"], rel=1e-6)


def test_early_stopping_that_never_fires_still_keeps_the_best_weights():
    result = run_fit(FitConfig(steps=60, patience=50))
    assert result.stopped_step == 0 and 0 < result.best_step <= 60
    assert result.val_loss == pytest.approx(result.history["val_loss"].min(), rel=1e-6)


def test_l1_sets_more_weights_to_zero_than_l2_and_l2_shrinks_the_weights():
    base, l2, l1 = fitted(), fitted(l2=1e-3), fitted(l1=1e-3)
    near_zero = lambda result: np.mean(np.abs(result.first_layer) < BIG.lr)  # Adam steps ~lr: within one of 0
    assert near_zero(l1) > near_zero(l2) + 0.2  # 75% of the first layer against 36%
    assert near_zero(base) < 0.05
    assert l1.near_zero > l2.near_zero  # over every layer: 99% against 81%
    assert l2.weight_norm < base.weight_norm / 2  # 4.9 against 15.6


def test_the_l2_penalty_is_adams_coupled_weight_decay_on_weights_only():
    """λ·Σw² in the loss is torch.optim.Adam(weight_decay=2λ) on the weights, and nothing on biases."""
    config = FitConfig(l2=0.01, depth=2, width=8)
    g = torch.Generator().manual_seed(0)
    data = make_data(config, g)
    ours = build_net(config, 1)
    init_uniform(ours, g)
    reference = copy.deepcopy(ours)
    opt = torch.optim.Adam(ours.parameters(), lr=0.01)
    biases = [m.bias for m in reference if isinstance(m, nn.Linear)]
    ref_opt = torch.optim.Adam([{"params": weights(reference), "weight_decay": 2 * config.l2},
                                {"params": biases, "weight_decay": 0.0}], lr=0.01)
    for _ in range(5):
        loss = nn.functional.mse_loss(ours(data.X_train)[:, 0], data.y_train) + penalty(ours, config.l2, 0.0)
        opt.zero_grad()
        loss.backward()
        opt.step()
        ref_loss = nn.functional.mse_loss(reference(data.X_train)[:, 0], data.y_train)
        ref_opt.zero_grad()
        ref_loss.backward()
        ref_opt.step()
    for p, q in zip(ours.parameters(), reference.parameters(), strict=True):
        torch.testing.assert_close(p, q)
    net = build_net(FitConfig(batchnorm=True, depth=1, width=4), 2)
    expected = 0.5 * sum((w ** 2).sum() for w in weights(net)) + 0.1 * sum(w.abs().sum() for w in weights(net))
    torch.testing.assert_close(penalty(net, 0.5, 0.1), expected)
    assert len(weights(net)) == 2  # the two linear layers' weights; no bias, no batch-norm scale


def test_bagging_averages_models_each_trained_on_a_bootstrap_resample():
    rows = []
    config = FitConfig(ensemble=3, steps=40, width=16)
    models = fit_models(config, on_report=lambda step, row: rows.append(row))
    result = fit_result(models)
    assert len(models.members) == 3 and result.steps_done == fit_steps(config) == 120
    grid = torch.from_numpy(result.x_grid).view(-1, 1)
    own = np.stack([outputs(m.net, grid.to(next(m.net.parameters()).device)).cpu().numpy()
                    for m in models.members])  # (3, 200) each model re-predicted, on the device it trained on
    np.testing.assert_allclose(result.member_fits, own, rtol=1e-6)
    np.testing.assert_allclose(result.fit, own.mean(0), rtol=1e-5, atol=1e-6)
    val = torch.stack([outputs(m.net, models.data.X_val) for m in models.members]).mean(0)
    assert result.val_loss == pytest.approx(nn.functional.mse_loss(val, models.data.y_val).item(), rel=1e-5)
    assert result.resamples.shape == (3, 20)
    for indices in result.resamples:
        assert len(np.unique(indices)) < 20  # drawn with replacement: some points twice, some left out
    assert len({tuple(i) for i in result.resamples}) == 3
    assert result.models["points_seen"].tolist() == [20] * 3
    assert sorted({r["model"] for r in rows}) == [1, 2, 3]
    assert rows[-1]["step"] == 120 and rows[-1]["run_step"] == 40  # progress runs on through the models
    assert "Boosting" in result.ensemble_text and "bootstrap" in result.message


def test_bagged_classifiers_average_their_probabilities():
    config = FitConfig(task="classification", ensemble=2, steps=30, width=16)
    models = fit_models(config)
    result = fit_result(models)
    p = torch.stack([torch.sigmoid(outputs(m.net, models.data.X_val)) for m in models.members]).mean(0)
    expected = nn.functional.binary_cross_entropy(p.double(), models.data.y_val.double()).item()
    assert result.val_loss == pytest.approx(expected, rel=1e-4)
    assert result.val_acc == pytest.approx(((p > 0.5).float() == models.data.y_val).float().mean().item())
    np.testing.assert_allclose(result.fit, result.member_fits.mean(0), rtol=1e-5, atol=1e-6)
    assert result.fit.shape == (len(result.y_grid), len(result.x_grid))


def test_the_average_of_probabilities_survives_confident_models():
    logits = torch.tensor([[200.0, -200.0, 0.0], [-200.0, -200.0, 3.0]])  # two models, three points
    p = torch.sigmoid(logits.double()).mean(0)  # 0.5, 1.4e-87, 0.74
    expected = (torch.log(p) - torch.log1p(-p)).float()  # the logit of the mean probability
    torch.testing.assert_close(average("classification", logits), expected)
    torch.testing.assert_close(average("regression", logits), logits.mean(0))


def test_the_data_are_a_noisy_sine_and_moons_with_a_share_of_labels_flipped():
    g = torch.Generator().manual_seed(3)
    data = make_data(FitConfig(points=400, noise=0.2), g)
    assert data.X_train.abs().max() <= 1 and not data.flipped.any()
    assert (data.y_train - target(data.X_train[:, 0])).std().item() == pytest.approx(0.2, rel=0.1)
    config = FitConfig(task="classification", points=40, noise=0.25)
    data = make_data(config, torch.Generator().manual_seed(1))
    assert data.flipped.sum().item() == 10
    g = torch.Generator().manual_seed(1)
    clean_train, clean_labels = moons(40, MOONS_JITTER, 2, g)
    _, clean_val = moons(config.val_points, MOONS_JITTER, 2, g)
    torch.testing.assert_close(data.X_train, clean_train - torch.tensor(MOONS_CENTRE))
    assert torch.equal(data.y_train != clean_labels.float(), data.flipped)
    assert torch.equal(data.y_val, clean_val.float())  # validation labels stay clean


def test_classification_reports_accuracy_and_a_probability_grid():
    result = run_fit(FitConfig(task="classification", steps=30, noise=0.2, dropout=0.3, batchnorm=True))
    assert {"train_acc", "val_acc"} <= set(result.history.columns)
    assert 0 <= result.val_acc <= 1 and result.flipped.sum() == 4
    assert ((result.fit >= 0) & (result.fit <= 1)).all() and result.truth.size == 0
    assert_all_finite(result)


def test_stop_and_deadline_hand_back_finite_partial_results():
    calls = []
    stopped = run_fit(FitConfig(steps=200), should_stop=lambda: calls.append(1) or len(calls) > 25)
    assert stopped.status == "cancelled" and stopped.steps_done == 25 and stopped.cacheable
    assert stopped.history["step"].iloc[-1] == 25
    late = run_fit(FitConfig(steps=200, ensemble=3), deadline=time.monotonic() - 1)
    assert late.status == "out of time" and late.steps_done == 0 and not late.cacheable
    assert late.history.empty and "time limit" in late.message
    for result in (stopped, late):
        assert_all_finite(result)
    calls.clear()
    between = run_fit(FitConfig(steps=20, ensemble=3, width=8), should_stop=lambda: calls.append(1) or len(calls) > 30)
    assert between.status == "cancelled" and len(between.member_fits) == 2
    assert between.steps_done == 29  # Stop is asked before each step and between models: 20 steps, 1 check, 9 steps
    assert "model 2 of 3" in between.message
    assert_all_finite(between)
    calls.clear()
    after_one = run_fit(FitConfig(steps=20, ensemble=3, width=8),
                        should_stop=lambda: calls.append(1) or len(calls) > 20)  # the check between models 1 and 2
    assert after_one.status == "cancelled" and after_one.steps_done == 20 and len(after_one.member_fits) == 1
    assert "after model 1 of 3" in after_one.message


def test_a_diverged_run_reports_it_in_words_and_keeps_no_nan():
    result = run_fit(FitConfig(steps=50, lr=1e12))
    assert result.status == "diverged" and result.message.startswith("Diverged at step")
    assert_all_finite(result)


@pytest.mark.parametrize("changes, words", [
    (dict(task="ranking"), "Unknown task"),
    (dict(task="classification", noise=0.5), "at most 45%"),
    (dict(dropout=1.0), "below 1"),
    (dict(ensemble=0), "at least 1 model"),
    (dict(points=1), "at least 2"),
])
def test_bad_settings_are_refused_in_a_sentence(changes, words):
    with pytest.raises(ValueError, match=words):
        run_fit(FitConfig(**changes))


def test_every_setting_at_either_end_runs():
    low = run_fit(FitConfig(points=5, noise=0.0, width=1, depth=1, steps=10))
    assert low.status == "finished"
    high = FitConfig(task="classification", points=500, noise=0.45, width=256, depth=6, l2=1.0, l1=0.1, dropout=0.9,
                     batchnorm=True, augment=0.5, patience=50, ensemble=10, steps=5000)
    result = run_fit(high, deadline=time.monotonic() + 0.5)
    assert result.status in ("out of time", "finished", "diverged")
    for r in (low, result):
        assert_all_finite(r)


def test_the_tiny_config_trains_in_well_under_a_second():
    run_fit(TINY_FIT)
    started = time.perf_counter()
    result = run_fit(TINY_FIT)
    assert time.perf_counter() - started < 0.5 and result.steps_done == 2 == fit_steps(TINY_FIT)


@pytest.mark.parametrize("config", [
    FitConfig(steps=15, l2=0.001, dropout=0.1, patience=1),
    FitConfig(task="classification", steps=15, l1=0.001, batchnorm=True, augment=0.1, ensemble=2),
])
def test_the_code_runs_and_shows_each_chosen_remedy(config):
    code = fit_code(config)
    exec(compile(code, "fit_code", "exec"), {})  # a runnable script, not a sketch
    for remedy, text in (("l2", "# L2"), ("l1", "# L1"), ("dropout", "nn.Dropout(p="), ("augment", "randn_like"),
                         ("patience", "load_state_dict"), ("ensemble", "torch.randint")):
        chosen = getattr(config, remedy) > (1 if remedy == "ensemble" else 0)
        assert (text in code) == chosen, remedy
    assert ("nn.BatchNorm1d" in code) == config.batchnorm
    assert "weight_decay=" not in code.replace("no weight_decay", "")
