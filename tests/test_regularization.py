import dataclasses
import math
import time

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from engine.models import MLP, init_uniform
from engine.regularization import (
    DROPOUT_SAMPLES,
    TINY_DROPOUT_RATES,
    TINY_KFOLD,
    BatchNormConfig,
    DropoutRatesConfig,
    KFoldConfig,
    batchnorm_inside,
    dropout_inside,
    dropout_net,
    dropout_rates_steps,
    fold_data,
    kfold_assignment,
    kfold_steps,
    run_dropout_rates,
    run_kfold,
    sine_data,
)
from engine.tabular import breast_cancer
from jobs.results import check_result

TINY = {"dropout rates": (run_dropout_rates, TINY_DROPOUT_RATES), "k-fold": (run_kfold, TINY_KFOLD)}
PROGRESS = {"dropout rates": dropout_rates_steps, "k-fold": kfold_steps}


def assert_finite(value, where="result"):
    """Every number anywhere in a plain result is finite."""
    if isinstance(value, float):
        assert math.isfinite(value), where
    elif isinstance(value, np.ndarray) and value.dtype.kind == "f":
        assert np.isfinite(value).all(), where
    elif isinstance(value, pd.DataFrame):
        assert np.isfinite(value.select_dtypes("number").to_numpy(dtype=float)).all(), where
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            assert_finite(item, f"{where}[{i}]")
    elif dataclasses.is_dataclass(value):
        for field in dataclasses.fields(value):
            assert_finite(getattr(value, field.name), f"{where}.{field.name}")


# 1. Dropout, inside


@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 0.8, 0.95])
def test_the_train_mode_output_is_nn_dropouts_own_mask_and_scale(p):
    view = dropout_inside(p, units=12, seed=3)
    x = torch.as_tensor(view.activations)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3)
        reference = nn.Dropout(p).train()(x)
    assert torch.equal(torch.as_tensor(view.train_output), reference)
    assert np.array_equal(view.kept, reference.numpy() != 0)
    expected = np.where(view.kept, view.activations / (1 - p), 0.0)  # dropped: 0; kept: scaled by 1 / (1 − p)
    np.testing.assert_allclose(view.train_output, expected, rtol=1e-6)
    assert view.scale == pytest.approx(1 / (1 - p)) and view.keep == pytest.approx(1 - p)


def test_the_eval_mode_output_is_the_input_unchanged():
    view = dropout_inside(0.5)
    assert np.array_equal(view.eval_output, view.activations)
    assert (view.activations > 0).all()  # positive, so a 0 in train mode means dropped


def test_p_zero_drops_nothing_and_a_higher_p_drops_more():
    assert dropout_inside(0.0).kept.all()
    assert np.array_equal(dropout_inside(0.0).train_output, dropout_inside(0.0).activations)
    dropped = [(~dropout_inside(p, units=200).kept).mean() for p in (0.1, 0.5, 0.9)]
    assert dropped == sorted(dropped) and abs(dropped[1] - 0.5) < 0.1  # p is the share DROPPED, not kept


@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 0.8, 0.95])
def test_the_average_over_many_masks_is_the_input_inverted_dropout_keeps_the_expectation(p):
    view = dropout_inside(p)
    assert view.samples == DROPOUT_SAMPLES == 10_000
    # Tolerance: 4 standard errors of a mean of 10,000 masks, a·sqrt(p / (1 − p) / 10,000) for activation a.
    np.testing.assert_allclose(view.mean_error, view.activations * math.sqrt(p / (1 - p) / 10_000), rtol=1e-5)
    assert (np.abs(view.mean_output - view.activations) <= 4 * view.mean_error + 1e-6).all()


def test_dropout_inside_leaves_the_global_random_state_alone_and_checks_p():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    dropout_inside(0.5)
    assert torch.equal(torch.rand(3), expected)
    for p in (-0.1, 0.96, 1.0):
        with pytest.raises(ValueError, match="dropout rate"):
            dropout_inside(p)


# 2 and 4: the tasks' tiny configs, progress, Stop and the deadline


@pytest.mark.parametrize("name", list(TINY))
def test_each_tiny_config_runs_in_well_under_a_second_and_returns_plain_finite_data(name):
    fn, config = TINY[name]
    fn(config)  # the first call pays one-time costs, as the worker's warm-up does
    started = time.perf_counter()
    result = fn(config)
    assert time.perf_counter() - started < 0.5
    assert result.status == "finished" and result.cacheable
    assert check_result(result) < 1_000_000
    assert_finite(result)


@pytest.mark.parametrize("name", list(TINY))
def test_progress_counts_every_step_of_every_run_once(name):
    fn, config = TINY[name]
    steps, rows = [], []
    result = fn(config, on_report=lambda step, metrics: (steps.append(step), rows.append(metrics)))
    assert steps == sorted(set(steps)) and steps[-1] == PROGRESS[name](config) == result.steps_done
    assert all(row["step"] == step for step, row in zip(steps, rows, strict=True))


@pytest.mark.parametrize("name", list(TINY))
def test_stop_and_the_deadline_end_the_job_with_a_partial_result(name):
    fn, config = TINY[name]
    stopped = fn(config, should_stop=lambda: True)
    assert stopped.status == "cancelled" and not stopped.cacheable and stopped.steps_done == 0
    late = fn(config, deadline=time.monotonic() - 1)
    assert late.status == "out of time" and not late.cacheable
    asked = []
    halfway = fn(config, should_stop=lambda: len(asked) >= 3 or bool(asked.append(1)))
    assert halfway.status == "cancelled" and 0 < halfway.steps_done < PROGRESS[name](config)
    assert halfway.message.startswith("Stopped")
    assert_finite(halfway)
    assert check_result(halfway)


@pytest.mark.parametrize("name", list(TINY))
def test_a_stop_between_two_runs_starts_no_further_run(name):
    fn, config = TINY[name]
    seen = []
    result = fn(config, on_report=lambda step, metrics: seen.append(step), should_stop=lambda: 2 in seen)
    assert result.status == "cancelled" and result.steps_done == 2 and seen[-1] == 2  # the first run has 2 steps
    assert_finite(result)


# 2. Dropout rates


@pytest.fixture(scope="module")
def rates():
    return run_dropout_rates(DropoutRatesConfig(rates=(0.0, 0.5), steps=300))


def test_a_higher_dropout_rate_regularizes_more_a_smaller_gap_and_a_higher_training_loss(rates):
    finals = rates.finals.set_index("rate")
    # Seed 0, 300 steps: the gap is 0.086 at p = 0 and 0.036 at p = 0.5; training loss 0.031 and 0.086.
    assert finals.loc[0.5, "gap"] < finals.loc[0.0, "gap"]
    assert finals.loc[0.5, "train_loss"] > finals.loc[0.0, "train_loss"]
    np.testing.assert_allclose(finals["gap"], finals["val_loss"] - finals["train_loss"])
    assert finals["keep"].tolist() == [1.0, 0.5]
    assert rates.message.startswith("Validation loss minus training loss")


def test_the_history_has_both_losses_for_every_rate_measured_with_dropout_off(rates):
    history = rates.history
    assert list(history.columns) == ["rate", "step", "batch_loss", "train_loss", "val_loss"]
    assert history.groupby("rate")["step"].max().tolist() == [300, 300]
    finals = rates.finals.set_index("rate")
    last = history.groupby("rate").last()
    np.testing.assert_allclose(last["train_loss"], finals["train_loss"], rtol=1e-6)
    # With dropout on, the loss the step trains on is noisier and higher than the same net's loss with it off.
    assert (history[history["rate"] == 0.5]["batch_loss"].iloc[10:] > history[history["rate"] == 0.5]["train_loss"]
            .iloc[10:]).mean() > 0.8
    assert rates.fits.groupby("rate").size().tolist() == [200, 200]


def test_p_zero_is_plain_training_by_hand_from_the_shared_initial_weights():
    config = DropoutRatesConfig(rates=(0.0,), steps=20, width=16)
    result = run_dropout_rates(config)
    g = torch.Generator().manual_seed(0)
    X, y = sine_data(30, g)
    X_val, y_val = sine_data(200, g)
    net = dropout_net(16, 2, 0.0)
    init_uniform(net, g)
    optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
    for _ in range(20):
        loss = nn.functional.mse_loss(net(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        expected = nn.functional.mse_loss(net(X), y).item(), nn.functional.mse_loss(net(X_val), y_val).item()
    np.testing.assert_allclose(result.finals[["train_loss", "val_loss"]].iloc[0], expected, rtol=1e-5)
    np.testing.assert_allclose(result.X_train, X.squeeze(1).numpy())


def test_dropout_rates_are_checked():
    for rates in ((0.0, 0.0), (1.0,), (-0.2,)):
        with pytest.raises(ValueError):
            run_dropout_rates(DropoutRatesConfig(rates=rates, steps=1))


# 3. Batch normalization, inside


def _reference(config: BatchNormConfig):
    """The same draws through a fresh nn.BatchNorm1d: (train output, running mean, running var, eval output)."""
    g = torch.Generator().manual_seed(config.seed)
    draw = lambda: config.shift + config.scale * torch.randn(config.batch, config.features, generator=g,
                                                              dtype=torch.float64)
    layer = nn.BatchNorm1d(config.features, momentum=config.momentum, dtype=torch.float64)
    nn.init.constant_(layer.weight, config.gamma)
    nn.init.constant_(layer.bias, config.beta)
    with torch.no_grad():
        for _ in range(config.batches_seen):
            layer.train()(draw())
        x = draw()
        mean, var = layer.running_mean.clone(), layer.running_var.clone()
        train = nn.functional.batch_norm(x, None, None, layer.weight, layer.bias, training=True)
        return x, train, mean, var, layer.eval()(x)


CONFIGS = [BatchNormConfig(), BatchNormConfig(batch=2, features=1, batches_seen=0),
           BatchNormConfig(batch=16, gamma=-1.5, beta=0.7, momentum=0.3, batches_seen=40, seed=2),
           BatchNormConfig(momentum=1.0, batches_seen=3), BatchNormConfig(momentum=0.0, batches_seen=3)]


@pytest.mark.parametrize("config", CONFIGS)
def test_every_number_is_nn_batchnorm1ds_own(config):
    view = batchnorm_inside(config)
    x, train, mean, var, eval_output = _reference(config)
    np.testing.assert_array_equal(view.batch, x.numpy())
    np.testing.assert_allclose(view.train_output, train.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(view.running_mean, mean.numpy())
    np.testing.assert_array_equal(view.running_var, var.numpy())
    np.testing.assert_allclose(view.eval_output, eval_output.numpy(), rtol=1e-12, atol=1e-12)
    assert view.eps == 1e-5


@pytest.mark.parametrize("config", CONFIGS)
def test_the_hand_formulas_match(config):
    view = batchnorm_inside(config)
    x, eps, m = view.batch, view.eps, config.momentum
    np.testing.assert_allclose(view.mean, x.mean(0))
    np.testing.assert_allclose(view.var, x.var(0))  # biased: divided by n
    np.testing.assert_allclose(view.normalized, (x - x.mean(0)) / np.sqrt(x.var(0) + eps))
    np.testing.assert_allclose(view.train_output, config.gamma * view.normalized + config.beta, atol=1e-12)
    running_mean, running_var = np.zeros(config.features), np.ones(config.features)
    for _, rows in view.history.groupby("seen"):
        running_mean = (1 - m) * running_mean + m * rows["batch_mean"].to_numpy()
        running_var = (1 - m) * running_var + m * rows["batch_var_unbiased"].to_numpy()  # unbiased: n − 1
        np.testing.assert_allclose(rows["running_mean"], running_mean, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(rows["running_var"], running_var, rtol=1e-12)
    np.testing.assert_allclose(view.running_mean, running_mean, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(view.running_var, running_var, rtol=1e-12)
    expected = config.gamma * (x - running_mean) / np.sqrt(running_var + eps) + config.beta
    np.testing.assert_allclose(view.eval_output, expected, rtol=1e-12, atol=1e-12)


def test_the_running_variance_averages_the_unbiased_variance_not_the_biased_one():
    config = BatchNormConfig(batch=4, momentum=1.0, batches_seen=1)  # momentum 1: running = the last batch's own
    rows = batchnorm_inside(config).history
    n = config.batch
    np.testing.assert_allclose(rows["running_var"], rows["batch_var_unbiased"], rtol=1e-12)
    biased = rows["batch_var_unbiased"] * (n - 1) / n
    assert not np.allclose(rows["running_var"], biased)


def test_eval_mode_uses_the_running_statistics_and_so_differs_from_train_mode():
    view = batchnorm_inside(BatchNormConfig())
    assert np.abs(view.eval_output - view.train_output).max() > 0.1
    assert not np.allclose(view.running_mean, view.mean)
    # Before any training batch the running statistics are 0 and 1: eval mode barely changes x.
    fresh = batchnorm_inside(BatchNormConfig(batches_seen=0))
    assert fresh.history.empty
    np.testing.assert_array_equal(fresh.running_mean, 0.0)
    np.testing.assert_array_equal(fresh.running_var, 1.0)
    np.testing.assert_allclose(fresh.eval_output, fresh.batch / np.sqrt(1 + fresh.eps))
    # After many batches they approach the distribution's mean and variance (2 and 9).
    settled = batchnorm_inside(BatchNormConfig(batch=64, batches_seen=100))
    np.testing.assert_allclose(settled.running_mean, 2.0, atol=0.6)
    np.testing.assert_allclose(settled.running_var, 9.0, rtol=0.2)


def test_batch_norm_is_a_layer_with_two_learnable_tensors_and_running_statistics():
    view = batchnorm_inside(BatchNormConfig(gamma=1.5, beta=-0.5))
    table = view.parameters.set_index("name")
    assert list(table.index) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert table.loc[["weight", "bias"], "kind"].str.startswith("learnable").all()
    assert table.loc[["running_mean", "running_var"], "kind"].str.startswith("buffer").all()
    assert table.loc["weight", "value"] == "1.5, 1.5, 1.5" and table.loc["num_batches_tracked", "value"] == "5"
    assert sum(p.numel() for p in nn.BatchNorm1d(3).parameters()) == 2 * 3


def test_batch_norm_settings_are_checked():
    for config in (BatchNormConfig(batch=1), BatchNormConfig(momentum=1.5), BatchNormConfig(batches_seen=-1)):
        with pytest.raises(ValueError):
            batchnorm_inside(config)


# 4. K-fold cross-validation


@pytest.fixture(scope="module")
def kfold():
    return run_kfold(KFoldConfig(steps=60))


def test_the_folds_are_disjoint_and_cover_the_development_rows_exactly(kfold):
    a = kfold.assignment
    assert sorted(a["row"]) == list(range(len(breast_cancer().y)))  # every table row once
    dev = a[a["part"] == "development"]
    assert len(dev) == 200 and sorted(dev["fold"].unique()) == [1, 2, 3, 4, 5]
    parts = [set(dev.loc[dev["fold"] == i, "row"]) for i in range(1, 6)]
    assert sum(len(p) for p in parts) == len(set().union(*parts)) == 200  # disjoint, and together all of them
    assert set().union(*parts) == set(dev["row"])
    assert kfold.folds["val_rows"].tolist() == [40] * 5 and kfold.folds["train_rows"].tolist() == [160] * 5


def test_the_test_rows_are_in_no_fold_and_in_no_split(kfold):
    a = kfold.assignment
    test = a[a["part"] == "test"]
    assert len(test) == round(569 * 0.25) == 142
    assert (test["fold"] == 0).all() and (test["split"] == "").all()
    assert not set(test["row"]) & set(a.loc[a["part"] == "development", "row"])
    assert (a.loc[a["part"] == "unused", "fold"] == 0).all()


def test_uneven_folds_differ_by_at_most_one_row():
    a = kfold_assignment(KFoldConfig(k=3, points=41))
    sizes = a[a["part"] == "development"].groupby("fold").size()
    assert sizes.tolist() == [14, 14, 13]


def test_standardization_uses_the_training_parts_statistics_only(kfold):
    a = kfold.assignment
    dev = a[a["part"] == "development"]
    train_rows, val_rows = dev.loc[dev["fold"] != 2, "row"].to_numpy(), dev.loc[dev["fold"] == 2, "row"].to_numpy()
    X_train, y_train, X_val, y_val = fold_data(train_rows, val_rows)
    raw = breast_cancer().X
    mean, std = raw[train_rows].mean(0), raw[train_rows].std(0)  # the training part's, by hand
    np.testing.assert_allclose(X_train, (raw[train_rows] - mean) / (std + 1e-8))
    np.testing.assert_allclose(X_val, (raw[val_rows] - mean) / (std + 1e-8))
    assert np.abs(X_val.mean(0)).max() > 0.05  # the validation part is not centred with its own mean
    np.testing.assert_array_equal(y_val, breast_cancer().y[val_rows])
    # The run's fold 2 is exactly this data, trained by hand from the shared initial weights.
    net = MLP(30, 16, (), 2)
    init_uniform(net, torch.Generator().manual_seed(0))
    optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
    X, y = torch.as_tensor(X_train, dtype=torch.float32), torch.as_tensor(y_train)
    for _ in range(60):
        loss = nn.functional.cross_entropy(net(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        logits = net(torch.as_tensor(X_val, dtype=torch.float32))
    fold = kfold.folds.set_index("fold").loc[2]
    assert fold["val_loss"] == pytest.approx(nn.functional.cross_entropy(logits, torch.as_tensor(y_val)).item(),
                                             rel=1e-5)
    assert fold["val_acc"] == pytest.approx((logits.argmax(1).numpy() == y_val).mean())


def test_the_mean_and_std_are_the_folds_and_the_split_and_test_scores_are_reported(kfold):
    assert kfold.mean_acc == pytest.approx(kfold.folds["val_acc"].mean())
    assert kfold.std_acc == pytest.approx(np.std(kfold.folds["val_acc"].to_numpy()))
    assert kfold.mean_loss == pytest.approx(kfold.folds["val_loss"].mean())
    assert 0.85 < kfold.mean_acc <= 1 and 0.85 < kfold.split_acc <= 1 and 0.85 < kfold.test_acc <= 1
    dev = kfold.assignment[kfold.assignment["part"] == "development"]
    split = dev["split"].value_counts()
    assert split["train"] == 160 and split["validation"] == 40
    validation = dev["split"] == "validation"
    assert dev.loc[validation, "fold"].nunique() > 1  # the single split is its own random 20%, not one of the folds
    assert set(kfold.history["run"]) == {"fold 1", "fold 2", "fold 3", "fold 4", "fold 5", "split", "final"}
    assert "5-fold validation accuracy" in kfold.message and "test set" in kfold.message


def test_kfold_settings_are_checked():
    for config in (KFoldConfig(k=1), KFoldConfig(k=11), KFoldConfig(points=428), KFoldConfig(model="forest"),
                   KFoldConfig(k=10, points=19)):
        with pytest.raises(ValueError):
            run_kfold(config)
    assert run_kfold(KFoldConfig(k=10, points=427, steps=1)).folds["val_rows"].sum() == 427
    assert run_kfold(dataclasses.replace(TINY_KFOLD, model="mlp")).status == "finished"
