"""Grid versus random search: what each method samples, that trials are tuned on validation rows carved from the
training split and reported on test rows, and that a stacked trial trains as it would alone."""

import math

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from engine import search
from engine.batched import initial_net
from engine.search import TINY_SEARCH, SearchConfig, grid_points, random_points, run_search, search_split
from engine.tabular import breast_cancer, classification_split, standardize
from engine.trainer import TrainSettings, train
from jobs.results import check_result


@pytest.fixture(scope="module")
def result():
    return run_search(SearchConfig(steps=60))


def test_the_grid_tries_sqrt_budget_learning_rates_each_with_every_weight_decay():
    config = SearchConfig(budget=16, lr_range=(1e-4, 1.0), wd_range=(0.0, 1e-4))
    lrs, wds = grid_points(config)
    assert len(lrs) == len(wds) == 16
    np.testing.assert_allclose(np.unique(lrs), [1e-4, 1e-4 * 10 ** (4 / 3), 1e-4 * 10 ** (8 / 3), 1.0])
    np.testing.assert_allclose(np.unique(wds), [0.0, 1e-4 / 3, 2e-4 / 3, 1e-4])
    assert len(set(zip(lrs, wds, strict=True))) == 16  # every pair once


def test_random_search_tries_budget_distinct_learning_rates_inside_the_ranges():
    config = SearchConfig(budget=25, lr_range=(1e-3, 0.5), wd_range=(1e-5, 1e-4), seed=7)
    lrs, wds = random_points(config)
    assert len(np.unique(lrs)) == len(np.unique(wds)) == 25
    assert ((1e-3 <= lrs) & (lrs <= 0.5)).all() and ((1e-5 <= wds) & (wds <= 1e-4)).all()
    assert not np.array_equal(lrs, random_points(SearchConfig(budget=25, lr_range=(1e-3, 0.5), seed=8))[0])


def test_random_learning_rates_are_log_uniform_and_weight_decays_uniform():
    lrs, wds = random_points(SearchConfig(budget=100**2, lr_range=(1e-4, 1.0), wd_range=(0.0, 1e-4)))
    assert np.mean(lrs < 1e-2) == pytest.approx(0.5, abs=0.02)  # below the geometric midpoint: half
    assert np.mean(lrs < 1e-3) == pytest.approx(0.25, abs=0.02)  # one decade of four
    assert np.mean(lrs < 0.5) == pytest.approx(1 - math.log10(2) / 4, abs=0.02)  # uniform would give a half
    assert np.mean(wds < 0.5e-4) == pytest.approx(0.5, abs=0.02)


def test_a_budget_that_is_not_a_perfect_square_is_refused():
    with pytest.raises(ValueError, match="perfect square"):
        grid_points(SearchConfig(budget=10))
    with pytest.raises(ValueError, match="learning-rate range"):
        random_points(SearchConfig(lr_range=(0.0, 1.0)))


def _same_rows(a: torch.Tensor, b: torch.Tensor) -> None:
    """a and b hold the same rows in the same order, each standardized with its own statistics."""
    np.testing.assert_allclose(standardize(a.double().numpy())[0], standardize(b.double().numpy())[0], atol=1e-4)


def test_validation_rows_are_carved_from_the_training_split_and_the_test_rows_are_left_alone():
    data, reference = search_split(seed=3), classification_split(breast_cancer(), seed=3)
    assert (len(data.y_train), len(data.y_val), len(data.y_test)) == (320, 107, 142)  # 569 rows
    assert torch.equal(data.y_test, reference.y_test)
    _same_rows(data.X_test, reference.X_test)
    # The training split's rows, in its shuffled order: the first quarter validates, the rest trains.
    assert torch.equal(torch.cat([data.y_val, data.y_train]), reference.y_train)
    _same_rows(torch.cat([data.X_val, data.X_train]), reference.X_train)
    # Standardized with the training rows' statistics only.
    np.testing.assert_allclose(data.X_train.mean(0).numpy(), 0, atol=1e-5)
    np.testing.assert_allclose(data.X_train.std(0, unbiased=False).numpy(), 1, atol=1e-4)
    assert data.X_val.mean(0).abs().max() > 0.05
    assert torch.equal(search_split(seed=3).X_val, data.X_val)  # fixed by the seed
    assert not torch.equal(search_split(seed=4).y_val, data.y_val)


def test_the_result_lists_every_trial_with_its_method_and_counts_distinct_learning_rates(result):
    trials = result.trials
    assert list(trials.columns) == ["method", "lr", "weight_decay", "val_loss", "val_acc", "diverged_at"]
    assert (trials["method"] == "grid").sum() == (trials["method"] == "random").sum() == 9
    assert result.distinct_lrs == {"grid": 3, "random": 9}
    assert result.split_sizes == {"train": 320, "validation": 107, "test": 142}
    assert result.status == "finished" and result.steps_done == 60 and result.cacheable
    assert result.message.startswith("Tuned on validation, reported on test: the trials trained on 320 rows and "
                                      "were compared on 107 validation rows; the 142 test rows chose nothing.")
    for method in ("grid", "random"):
        rows, best = trials[trials["method"] == method], result.best[method]
        assert best.val_loss == pytest.approx(float(rows["val_loss"].min()))
        assert 0 < best.test_loss and 0.5 < best.test_acc <= 1
        assert f"{method.capitalize()} search tried {result.distinct_lrs[method]}" in result.message
        assert f"test accuracy {best.test_acc:.1%} (test loss {best.test_loss:.4f})" in result.message
    check_result(result)


def test_a_stacked_trial_scores_as_it_does_trained_alone_with_torch_optim(result):
    """Trained on the training rows alone, scored on validation (which chose it) and on test (which reports)."""
    best = result.best["random"]
    generator = torch.Generator().manual_seed(0)
    net = initial_net(30, 16, 2, "relu", 2, generator)
    data = search_split(seed=0)
    settings = TrainSettings(steps=60, batch_size=32, optimizer="momentum", lr=best.lr,
                             hyper=(("weight_decay", best.weight_decay),))
    outcome = train(net, data.X_train, data.y_train, nn.functional.cross_entropy, settings, generator)
    assert outcome.status == "finished"
    for X, y, loss, accuracy in [(data.X_val, data.y_val, best.val_loss, best.val_acc),
                                 (data.X_test, data.y_test, best.test_loss, best.test_acc)]:
        with torch.no_grad():
            logits = net(X)
        assert loss == pytest.approx(nn.functional.cross_entropy(logits, y).item(), rel=1e-5)
        assert accuracy == pytest.approx((logits.argmax(1) == y).double().mean().item())


def test_diverged_trials_score_as_failed_with_no_nan_in_the_trials():
    result = run_search(SearchConfig(budget=4, steps=20, lr_range=(1e-2, 1e6), optimizer="sgd"))
    failed = result.trials[result.trials["diverged_at"] > 0]
    assert len(failed) and failed["val_loss"].isna().all() and failed["val_acc"].isna().all()
    assert result.trials["val_loss"].dtype == pd.Float64Dtype()  # missing is <NA>, never NaN
    scored = result.trials.dropna()
    assert np.isfinite(scored[["lr", "weight_decay", "val_loss", "val_acc"]].to_numpy(dtype=float)).all()
    for method, best in result.best.items():
        assert best is None or best.diverged_at == 0 and math.isfinite(best.val_loss), method
        assert best is None or math.isfinite(best.test_loss) and math.isfinite(best.test_acc), method
    check_result(result)


def test_the_tiny_search_trains_and_a_stop_gives_a_cancelled_partial_result():
    assert run_search(TINY_SEARCH).status == "finished"
    calls = []
    result = run_search(SearchConfig(budget=4, steps=500), should_stop=lambda: calls.append(1) or len(calls) > 3)
    assert result.status == "cancelled" and result.steps_done == 3 and result.cacheable
    assert "Scores are from where training stopped" in result.message
    assert result.trials["val_loss"].notna().all()


def test_the_deadline_gives_an_out_of_time_result_that_is_not_cached():
    import time

    reports = []
    result = run_search(SearchConfig(budget=4, steps=10**6), on_report=lambda step, m: reports.append(m),
                        deadline=time.monotonic() + 0.2)
    assert result.status == "out of time" and not result.cacheable
    assert {"grid_best_loss", "random_best_loss"} <= set(reports[0])


def test_a_chosen_trial_whose_test_loss_overflows_reports_none_rather_than_infinity():
    rows = pd.DataFrame({"method": ["grid", "grid"], "lr": [0.1, 1.0], "weight_decay": [0.0, 0.0],
                         "val_loss": pd.array([0.3, 0.2], dtype="Float64"),
                         "val_acc": pd.array([0.9, 0.9], dtype="Float64"), "diverged_at": [0, 0]})
    best = search._best(rows, np.array([0.4, np.inf]), np.array([0.9, 0.5]))
    assert best.lr == 1.0 and best.test_loss is None and best.test_acc is None  # chosen on validation alone
    assert "its test loss overflowed" in search._message("finished", "", {"grid": best, "random": None},
                                                         {"grid": 1, "random": 1},
                                                         {"train": 3, "validation": 1, "test": 1})
