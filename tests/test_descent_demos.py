import dataclasses
import math
import time

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.linear_model import LinearRegression
from torch import nn

from engine import descent_demos as dd
from engine.descent_demos import (
    NETWORK_LRS,
    SCHEDULES,
    BatchSizeConfig,
    EveryOptimizerConfig,
    NormalizationConfig,
    ScheduleConfig,
    batch_size_steps,
    every_optimizer_steps,
    hessian,
    mse,
    normalization_features,
    normalization_steps,
    predicted_steps,
    run_batch_sizes,
    run_every_optimizer,
    run_normalization,
    run_schedules,
    schedule_steps,
    updates_per_epoch,
)
from engine.models import MLP, init_uniform
from engine.tabular import breast_cancer, classification_split, diabetes, standardize
from engine.trainer import OPTIMIZERS, optimizer_code
from jobs.results import check_result

TINY = {
    "batch sizes": (run_batch_sizes, BatchSizeConfig(epochs=1, max_train=32, mini_batch=8)),
    "normalization": (run_normalization, NormalizationConfig(steps=5)),
    "schedules": (run_schedules, ScheduleConfig(epochs=2, step_every=1, warmup_epochs=1)),
    "every optimizer": (run_every_optimizer, EveryOptimizerConfig(steps=3)),
}
PROGRESS = {"batch sizes": batch_size_steps, "normalization": normalization_steps, "schedules": schedule_steps,
            "every optimizer": every_optimizer_steps}


def assert_finite(value, where="result"):
    """Every number anywhere in a plain result is finite."""
    if isinstance(value, float):
        assert math.isfinite(value), where
    elif isinstance(value, np.ndarray) and value.dtype.kind == "f":
        assert np.isfinite(value).all(), where
    elif isinstance(value, pd.DataFrame):
        numbers = value.select_dtypes("number").to_numpy(dtype=float)
        assert np.isfinite(numbers).all(), where
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            assert_finite(item, f"{where}[{i}]")
    elif dataclasses.is_dataclass(value):
        for field in dataclasses.fields(value):
            assert_finite(getattr(value, field.name), f"{where}.{field.name}")


# Every demo: tiny configs, plain finite results, progress, Stop and the deadline


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
    assert steps == sorted(set(steps)) and steps[-1] == PROGRESS[name](config)
    assert all(row["step"] == step for step, row in zip(steps, rows, strict=True))
    assert result.steps_done == PROGRESS[name](config)


@pytest.mark.parametrize("name", list(TINY))
def test_stop_and_the_deadline_end_the_job_with_a_partial_result(name):
    fn, config = TINY[name]
    stopped = fn(config, should_stop=lambda: True)
    assert stopped.status == "cancelled" and not stopped.cacheable and stopped.steps_done == 0
    late = fn(config, deadline=time.monotonic() - 1)
    assert late.status == "out of time" and not late.cacheable
    asked = []
    halfway = fn(config, should_stop=lambda: len(asked) >= 4 or bool(asked.append(1)))
    assert halfway.status == "cancelled" and 0 < halfway.steps_done < PROGRESS[name](config)
    assert_finite(halfway)
    assert check_result(halfway)


@pytest.mark.parametrize("name", list(TINY))
def test_a_stop_between_two_runs_starts_no_further_run(name):
    fn, config = TINY[name]
    first = {"batch sizes": 1, "normalization": 5, "schedules": 2, "every optimizer": 3}[name]  # the first run's steps
    seen = []
    result = fn(config, on_report=lambda step, metrics: seen.append(step), should_stop=lambda: first in seen)
    assert result.status == "cancelled" and not result.cacheable
    assert result.steps_done == first and seen[-1] == first
    assert_finite(result)


# A. Batch, mini-batch and stochastic gradient descent


@pytest.mark.parametrize(("n", "batch_size", "expected"), [(10_000, 200, 50), (427, 32, 14), (427, 1, 427),
                                                            (427, 427, 1), (10, 3, 4)])
def test_iterations_per_epoch_are_n_over_b_rounded_up_as_a_dataloader_counts_them(n, batch_size, expected):
    assert updates_per_epoch(n, batch_size) == expected
    assert len(torch.utils.data.DataLoader(range(n), batch_size=batch_size)) == expected


@pytest.fixture(scope="module")
def small_batch_runs():
    config = BatchSizeConfig(epochs=4, max_train=150)
    return run_batch_sizes(config), run_batch_sizes(dataclasses.replace(config, schedule="decay"))


def test_each_run_reports_its_arithmetic_and_makes_that_many_updates(small_batch_runs):
    result = small_batch_runs[0]
    runs = result.runs.set_index("run")
    assert list(runs.index) == ["full", "mini", "stochastic"]
    assert runs["batch_size"].tolist() == [150, 32, 1]
    assert runs["updates_per_epoch"].tolist() == [1, 5, 150]
    assert runs["total_updates"].tolist() == [4, 20, 600] == runs["updates_done"].tolist()
    last = result.history.groupby("run")["updates"].max()
    assert last["full"] == 4 and last["mini"] == 20 and last["stochastic"] == 600
    stochastic = result.history[result.history["run"] == "stochastic"]
    assert 9 <= (stochastic["epoch"] <= 1).sum() <= 11  # about ten measurements an epoch
    np.testing.assert_allclose(stochastic["epoch"], stochastic["updates"] / 150)


def test_the_full_batch_run_is_gradient_descent_written_out_by_hand(small_batch_runs):
    result = small_batch_runs[0]
    data = classification_split(breast_cancer(), seed=0)
    X, y = data.X_train[:150], data.y_train[:150]
    net = MLP(30, 0, (), 2)
    init_uniform(net, torch.Generator().manual_seed(0))
    W, b = net.out.weight.detach().clone(), net.out.bias.detach().clone()  # (2, 30), (2,)
    expected = []
    for _ in range(4):
        W.requires_grad_(True), b.requires_grad_(True)
        loss = nn.functional.cross_entropy(X @ W.T + b, y)
        gW, gb = torch.autograd.grad(loss, (W, b))
        with torch.no_grad():
            W, b = W - 0.05 * gW, b - 0.05 * gb
            expected.append(nn.functional.cross_entropy(X @ W.T + b, y).item())
    full = result.history[result.history["run"] == "full"]
    np.testing.assert_allclose(full["train_loss"], expected, rtol=1e-5)
    # Full batch: the loss a step is taken on is the whole training loss the step before.
    np.testing.assert_allclose(full["batch_loss"].to_numpy()[1:], expected[:-1], rtol=1e-5)


def test_the_decaying_rate_is_lr_over_one_plus_the_epoch(small_batch_runs):
    for result in small_batch_runs:
        history = result.history.merge(result.runs[["run", "updates_per_epoch"]], on="run")
        epoch = (history["updates"] - 1) // history["updates_per_epoch"]  # 0-based epoch of each update
        expected = 0.05 / (1 + epoch) if result.config.schedule == "decay" else np.full(len(history), 0.05)
        np.testing.assert_allclose(history["lr"], expected, rtol=1e-6)


def test_stochastic_gd_makes_more_progress_per_epoch_but_jitters_unless_its_rate_decays(small_batch_runs):
    constant, decay = small_batch_runs
    loss = constant.runs.set_index("run")["train_loss"]
    assert loss["stochastic"] < loss["mini"] < loss["full"]  # more updates per epoch

    def rises(result):
        """How much the full training loss went up between measurements, over the second half of the run."""
        rows = result.history[(result.history["run"] == "stochastic") & (result.history["epoch"] > 2)]
        return np.clip(np.diff(rows["train_loss"].to_numpy()), 0, None).sum()

    assert rises(constant) > 5 * rises(decay)

    def estimate_error(run):
        """How far the batch loss is from the whole training loss, relative to it, over the second half."""
        rows = constant.history[(constant.history["run"] == run) & (constant.history["epoch"] > 2)]
        return (rows["batch_loss"] - rows["train_loss"]).abs().mean() / rows["train_loss"].mean()

    assert estimate_error("stochastic") > 5 * estimate_error("mini")  # one example is a noisy estimate


def test_every_run_processes_the_same_examples_per_epoch_in_very_different_numbers_of_updates(small_batch_runs):
    runs = small_batch_runs[0].runs.set_index("run")
    assert runs["examples_done"].tolist() == [4 * 150] * 3  # four epochs of 150 examples each
    assert (runs["examples_done"] / runs["updates_done"]).tolist() == [150, 30, 1]  # 4, 20, 600 updates
    assert (runs["seconds"] > 0).all()
    np.testing.assert_allclose(runs["examples_per_second"], runs["examples_done"] / runs["seconds"])


def test_batch_size_one_processes_far_fewer_examples_per_second_of_cpu_time():
    """Timed with this thread's CPU time, the best of several rounds, so that other load on the machine cannot
    slow one side down; the true gap is roughly a hundredfold, the assertion asks for three."""
    data = classification_split(breast_cancer(), seed=0)
    X, y = data.X_train[:150], data.y_train[:150]  # (150, 30), (150,)

    def cpu_seconds_per_update(size: int) -> float:
        net = MLP(30, 0, (), 2)
        optimizer = torch.optim.SGD(net.parameters(), lr=0.01)
        rounds = []
        for _ in range(5):
            started = time.thread_time()
            for _ in range(20):
                dd._update(net, optimizer, X[:size], y[:size])
            rounds.append((time.thread_time() - started) / 20)
        return min(rounds)

    cpu_seconds_per_update(1)  # one-time start-up costs
    full, single = cpu_seconds_per_update(150), cpu_seconds_per_update(1)
    assert 150 / full > 3 * (1 / single)  # examples per CPU second


def test_an_unknown_schedule_is_refused():
    with pytest.raises(ValueError, match="schedule"):
        run_batch_sizes(BatchSizeConfig(schedule="cosine"))


# B. Input normalization


@pytest.fixture(scope="module")
def normalization():
    return run_normalization(NormalizationConfig())


def _features(config=NormalizationConfig()):
    X, y = normalization_features(config)
    return {"raw": X, "standardized": standardize(X)[0]}, y


def _columns(*names):
    table = diabetes()
    return table.X[:, [table.features.index(name) for name in names]]  # (n, len(names)) raw, uncentred


def test_both_versions_are_centred_and_only_the_standardized_one_is_rescaled():
    features, y = _features()
    raw = _columns("bmi", "s1")
    np.testing.assert_allclose(features["raw"], raw - raw.mean(0), atol=1e-12)  # the features' own units
    np.testing.assert_allclose(features["standardized"], (raw - raw.mean(0)) / (raw.std(0) + dd.EPS), atol=1e-12)
    np.testing.assert_allclose(features["standardized"].std(0), 1.0, rtol=1e-6)
    assert abs(y.mean()) < 1e-12 and y.std() == pytest.approx(1.0)
    assert dd.VERSIONS == {"raw": "raw units (centred)", "standardized": "standardized"}


@pytest.mark.parametrize("name", ["raw", "standardized"])
def test_the_closed_form_hessian_matches_autograd(name):
    X, y = _features()[0][name], _features()[1]
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    reference = torch.autograd.functional.hessian(lambda w: ((Xt @ w - yt) ** 2).mean(), torch.tensor([0.3, -0.2],
                                                                                                      dtype=torch.float64))
    np.testing.assert_allclose(hessian(X), reference.numpy(), rtol=1e-10)


def test_each_run_reports_the_hessians_spectrum_and_the_best_fixed_rate(normalization):
    features, y = _features()
    assert [(r.name, r.label) for r in normalization.runs] == list(dd.VERSIONS.items())
    for run in normalization.runs:
        eigenvalues = np.linalg.eigvalsh(2 * features[run.name].T @ features[run.name] / len(y))
        np.testing.assert_allclose(run.eigenvalues, eigenvalues, rtol=1e-10)
        assert run.condition == pytest.approx(eigenvalues[1] / eigenvalues[0])
        assert run.lr == pytest.approx(2 / eigenvalues.sum())
        assert run.rate == pytest.approx((run.condition - 1) / (run.condition + 1))
    raw, scaled = normalization.runs
    assert raw.condition > 30 and scaled.condition < 2  # elongated against nearly round


def test_standardized_the_hessian_is_twice_the_correlation_matrix():
    features, _ = _features(NormalizationConfig(x1="s1", x2="s2"))
    rho = np.corrcoef(_columns("s1", "s2").T)[0, 1]
    np.testing.assert_allclose(hessian(features["standardized"]), 2 * np.array([[1, rho], [rho, 1]]), rtol=1e-6)


def test_both_runs_fit_scikit_learns_least_squares_line_with_an_intercept(normalization):
    """Centred features and target without intercept are the same model as the raw columns with one."""
    features, y = _features()
    fit = LinearRegression().fit(_columns("bmi", "s1"), y)
    raw, scaled = normalization.runs
    np.testing.assert_allclose(raw.optimum, fit.coef_, rtol=1e-7)
    np.testing.assert_allclose(scaled.optimum, fit.coef_ * features["raw"].std(0), rtol=1e-6)  # per std, not unit
    expected = np.mean((fit.predict(_columns("bmi", "s1")) - y) ** 2)
    assert raw.optimum_loss == pytest.approx(expected, rel=1e-9) and scaled.optimum_loss == pytest.approx(expected,
                                                                                                          rel=1e-9)


def test_both_runs_start_from_the_same_loss_and_reach_the_same_optimum_loss(normalization):
    raw, scaled = normalization.runs
    assert raw.loss[0] == pytest.approx(scaled.loss[0], rel=1e-12) == pytest.approx(1.0)  # w = 0: mean(y²)
    assert raw.loss[-1] == pytest.approx(raw.optimum_loss, rel=1e-9)
    assert scaled.loss[-1] == pytest.approx(scaled.optimum_loss, rel=1e-9)
    assert raw.optimum_loss == pytest.approx(scaled.optimum_loss, rel=1e-10)


def test_the_trajectory_is_gradient_descent_in_closed_form(normalization):
    features, y = _features()
    for run in normalization.runs:
        X = features[run.name]
        H, g = 2 * X.T @ X / len(y), 2 * X.T @ y / len(y)
        w = np.zeros(2)
        for k in range(len(run.trajectory)):
            np.testing.assert_allclose(run.trajectory[k], w, rtol=1e-8, atol=1e-14)
            w = w - run.lr * (H @ w - g)
        np.testing.assert_allclose(run.loss, [np.mean((X @ p - y) ** 2) for p in run.trajectory], rtol=1e-10)


def test_the_gap_is_the_loss_above_the_optimum_as_a_fraction_of_the_starting_gap(normalization):
    for run in normalization.runs:
        np.testing.assert_allclose(run.gap, (run.loss - run.optimum_loss) / (run.loss[0] - run.optimum_loss))
        assert run.gap[0] == 1
        assert run.steps_to_converge == np.flatnonzero(run.gap <= 0.01)[0]
        assert run.gap[run.steps_to_converge - 1] > 0.01
    np.testing.assert_array_equal(dd.relative_gap(np.array([0.5, 0.5]), 0.5), [0.0, 0.0])  # started at the optimum


def test_at_the_best_rate_the_gap_to_the_optimum_shrinks_by_the_rate_squared_each_step(normalization):
    raw = normalization.runs[0]
    gap = raw.gap[raw.gap > 1e-8]  # below that, float64 rounding of the loss shows
    assert len(gap) > 200
    np.testing.assert_allclose(gap[1:] / gap[:-1], raw.rate ** 2, rtol=1e-5)


@pytest.mark.parametrize(("x1", "x2", "steps", "expected"), [("bmi", "s1", 100, (76, 2)), ("s1", "s2", 50, (22, 22)),
                                                             ("s3", "s4", 300, (258, 8)), ("bmi", "bp", 50, (14, 3))])
def test_steps_to_converge_are_what_the_rate_predicts(x1, x2, steps, expected):
    result = run_normalization(NormalizationConfig(x1=x1, x2=x2, steps=steps))
    assert [r.steps_to_converge for r in result.runs] == [r.predicted_steps for r in result.runs] == list(expected)
    assert [r.converged_text for r in result.runs] == [f"after {k} steps" for k in expected]


def test_the_predicted_steps_are_the_first_step_where_the_shrinking_gap_is_small_enough():
    for rate, tolerance in [(0.998, 0.01), (0.25, 0.01), (0.9, 0.05), (0.5, 0.5)]:
        k = 0
        while rate ** (2 * k) > tolerance:
            k += 1
        assert predicted_steps(rate, tolerance) == k
    assert predicted_steps(0.9, 1.0) == 0 and predicted_steps(0.0, 0.01) == 1


def test_strongly_correlated_features_converge_slowly_with_or_without_standardizing():
    result = run_normalization(NormalizationConfig(x1="s1", x2="s2"))
    raw, scaled = result.runs
    assert raw.steps_to_converge == scaled.steps_to_converge == 22  # neither converges at step 0
    assert 15 < scaled.condition < raw.condition < 20
    assert "in raw units, centred (condition number 18.70), 22; standardized (condition number 18.35), 22." \
        in result.message


def test_standardizing_turns_dozens_of_steps_into_two(normalization):
    raw, scaled = normalization.runs
    assert raw.steps_to_converge == raw.predicted_steps == 76 and raw.converged_text == "after 76 steps"
    assert scaled.steps_to_converge == scaled.predicted_steps == 2 and scaled.converged_text == "after 2 steps"
    assert normalization.message.startswith("Both runs fit the same model and share the same best loss, 0.651.")
    assert "close 99% of the gap between its starting loss and the best loss" in normalization.message


def test_a_run_that_has_not_converged_says_so_and_what_the_rate_predicts():
    result = run_normalization(NormalizationConfig(x1="age", x2="sex", steps=300))
    raw, scaled = result.runs
    assert raw.steps_to_converge == -1 and raw.converged_text == "not within 300 steps" and raw.predicted_steps == 818
    assert scaled.steps_to_converge == 2
    assert "(condition number 710), more than 300 (the rate predicts 818);" in result.message


def test_the_loss_grid_is_square_covers_the_whole_path_and_holds_the_loss(normalization):
    features, y = _features()
    for run in normalization.runs:
        assert run.grid_loss.shape == (dd.GRID, dd.GRID)
        assert run.w1[-1] - run.w1[0] == pytest.approx(run.w2[-1] - run.w2[0])
        points = np.vstack([run.trajectory, run.optimum])
        assert (points[:, 0] > run.w1[0]).all() and (points[:, 0] < run.w1[-1]).all()
        assert (points[:, 1] > run.w2[0]).all() and (points[:, 1] < run.w2[-1]).all()
        for i, j in [(0, 0), (17, 41), (59, 3)]:
            w = np.array([run.w1[j], run.w2[i]])  # rows follow w2
            assert run.grid_loss[i, j] == pytest.approx(np.mean((features[run.name] @ w - y) ** 2), rel=1e-10)
        assert run.grid_loss.min() >= run.optimum_loss * (1 - 1e-12)
    np.testing.assert_allclose(mse(features["raw"], y, np.zeros(2)), np.mean(y ** 2))


def test_a_constant_feature_gives_nan_without_eps_and_zero_with_it(normalization):
    table = normalization.epsilon
    assert all(table[c].map(type).eq(str).all() for c in table.columns)
    x = np.full(4, 3.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        reference = (x - x.mean()) / x.std()
    assert np.isnan(reference).all() and (table["(x − mean) / std"] == "nan").all()
    assert (table["(x − mean) / (std + 1e-08)"] == "0").all() and (table["std"] == "0").all()


def test_an_unknown_feature_is_refused():
    with pytest.raises(ValueError, match="not a diabetes feature"):
        run_normalization(NormalizationConfig(x1="height"))


# C. Learning-rate schedules


def closed_form(name: str, e: int, c: ScheduleConfig) -> float:
    """The rate during epoch e (from 0), written out by hand."""
    if name == "constant":
        return c.lr
    if name == "step":
        return c.lr * c.gamma ** (e // c.step_every)
    if name == "cosine":
        return c.lr * (1 + math.cos(math.pi * e / c.epochs)) / 2
    if e < c.warmup_epochs:
        return c.lr * (0.1 + 0.9 * e / c.warmup_epochs)
    return c.lr * (1 + math.cos(math.pi * (e - c.warmup_epochs) / (c.epochs - c.warmup_epochs))) / 2


@pytest.mark.parametrize("config", [ScheduleConfig(), ScheduleConfig(lr=0.3, epochs=12, step_every=4, gamma=0.5,
                                                                     warmup_epochs=4)], ids=["default", "other"])
@pytest.mark.parametrize("name", list(SCHEDULES))
def test_each_torch_scheduler_follows_its_closed_form(name, config):
    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=config.lr)
    scheduler = SCHEDULES[name].make(optimizer, config)
    rates = []
    for _ in range(config.epochs):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    np.testing.assert_allclose(rates, [closed_form(name, e, config) for e in range(config.epochs)], rtol=1e-9,
                               atol=1e-15)


def test_the_schedule_table_lists_what_the_config_offers():
    assert ScheduleConfig().schedules == tuple(SCHEDULES)
    assert all(s.label and s.formula_text.startswith("ηₑ = ") for s in SCHEDULES.values())


@pytest.fixture(scope="module")
def schedules():
    return run_schedules(ScheduleConfig(epochs=6, step_every=2, warmup_epochs=2))


def test_training_records_the_scheduled_rate_each_epoch(schedules):
    config = schedules.config
    for name, rows in schedules.history.groupby("schedule"):
        assert rows["epoch"].tolist() == list(range(1, config.epochs + 1))
        np.testing.assert_allclose(rows["lr"], [closed_form(name, e, config) for e in range(config.epochs)],
                                   rtol=1e-9)
    assert schedules.finals["epochs_done"].tolist() == [6] * 4


def test_every_schedule_starts_from_the_same_weights_and_batch_order(schedules):
    first = schedules.history[schedules.history["epoch"] == 1].set_index("schedule")
    # The same rate in the first epoch gives the same first epoch.
    assert first.loc["constant", "train_loss"] == first.loc["step", "train_loss"] == first.loc["cosine", "train_loss"]
    assert first.loc["warmup", "lr"] == pytest.approx(0.01)


def test_an_unknown_schedule_name_is_refused():
    with pytest.raises(ValueError, match="unknown schedule"):
        run_schedules(ScheduleConfig(schedules=("constant", "exponential")))


# D. The same network under every optimizer


def test_every_optimizer_has_a_chosen_learning_rate():
    assert set(NETWORK_LRS) == set(OPTIMIZERS)


@pytest.fixture(scope="module")
def every_optimizer():
    return run_every_optimizer(EveryOptimizerConfig(steps=20))


def test_each_optimizer_starts_from_the_same_weights_on_the_same_first_batch(every_optimizer):
    first = every_optimizer.history[every_optimizer.history["step"] == 1]
    assert len(first) == len(OPTIMIZERS) and first["batch_loss"].nunique() == 1
    assert [r.name for r in every_optimizer.runs] == list(OPTIMIZERS)


@pytest.mark.parametrize("name", ["sgd", "adam"])
def test_a_run_matches_a_plain_torch_optim_loop_with_the_same_start_and_batches(every_optimizer, name):
    data = classification_split(breast_cancer(), seed=0)
    g = torch.Generator().manual_seed(0)
    net = MLP(30, 16, ("relu", "relu"), 2)
    init_uniform(net, g)
    make = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}[name]
    optimizer = make(net.parameters(), lr=NETWORK_LRS[name])
    shuffle = torch.Generator().manual_seed(0)
    epochs = [torch.randperm(len(data.X_train), generator=shuffle).split(32) for _ in range(2)]  # 14 batches each
    for idx in [*epochs[0], *epochs[1]][:20]:
        loss = nn.functional.cross_entropy(net(data.X_train[idx]), data.y_train[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        expected = nn.functional.cross_entropy(net(data.X_train), data.y_train).item()
    run = next(r for r in every_optimizer.runs if r.name == name)
    assert run.train_loss == pytest.approx(expected, rel=1e-5)
    assert run.code == optimizer_code(name, NETWORK_LRS[name])
    built = eval(run.code, {"torch": torch, "net": net})
    assert type(built) is make and built.param_groups[0]["lr"] == NETWORK_LRS[name]


def test_one_optimizer_diverging_does_not_stop_the_others(monkeypatch):
    monkeypatch.setitem(NETWORK_LRS, "momentum", 1e30)
    result = run_every_optimizer(EveryOptimizerConfig(steps=10))
    statuses = {r.name: r.status for r in result.runs}
    assert statuses.pop("momentum") == "diverged" and set(statuses.values()) == {"finished"}
    assert result.status == "diverged" and "SGD + momentum diverged" in result.message
    assert result.cacheable
    assert_finite(result)


def test_a_schedule_run_that_diverges_says_so_with_finite_numbers():
    result = run_schedules(ScheduleConfig(lr=1e30, epochs=2))
    assert result.status == "diverged" and "diverged under every schedule" in result.message
    assert set(result.finals["status"]) == {"diverged"}
    assert_finite(result)


def test_the_same_feature_twice_is_refused_with_a_sentence():
    with pytest.raises(ValueError, match="two different features"):
        run_normalization(NormalizationConfig(x1="bmi", x2="bmi", steps=2))
