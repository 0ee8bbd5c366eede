"""Grid search versus random search for the same budget, every trial trained in one stacked run.

With a budget of n² trials, a grid tries n learning rates, each with n weight decays; random
search draws every trial's learning rate and weight decay afresh, so it tries n² different
learning rates. When the weight decay barely matters, the grid spends most of its budget
repeating learning rates it has already tried.

Trials train on part of the training split and are compared on the rest of it, the validation
rows; the test split is used only to report how the chosen trials do on data no choice saw.
"""

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from engine.batched import SweepConfig, initial_net, train_stacked
from engine.device import pick_device
from engine.tabular import breast_cancer, standardize
from engine.trainer import Hooks, Report

METHODS = ("grid", "random")
REPORT_EVERY = 10  # steps between progress reports
NETWORK = SweepConfig()  # every trial trains the sweep's default network: width, depth, activation
TEST_FRACTION = 0.25  # as engine.tabular.classification_split: the same test rows as the page's other demos
VALIDATION_FRACTION = 0.25  # of the training split, held out to compare the trials


@dataclass(frozen=True)
class SearchConfig:
    budget: int = 9  # trials per method; a perfect square (4, 9, 16, 25)
    lr_range: tuple[float, float] = (1e-4, 1.0)  # sampled on a log scale
    wd_range: tuple[float, float] = (0.0, 1e-4)  # weight decay: the unimportant hyperparameter here
    optimizer: str = "momentum"  # a key of OPTIMIZERS
    steps: int = 150  # optimizer updates of every trial
    batch_size: int = 32  # 0: full batch
    seed: int = 0  # the data split, the shared initial weights, the batch order and the random draws


TINY_SEARCH = SearchConfig(budget=4, steps=2)  # trains in a few milliseconds


@dataclass(frozen=True)
class SearchSplit:
    """Rows the trials train on, validation rows that choose between them, and test rows that only report."""

    X_train: Tensor  # (n_train, 30), standardized with the training rows' mean and std, as are the others
    y_train: Tensor  # (n_train,)
    X_val: Tensor  # (n_val, 30)
    y_val: Tensor  # (n_val,)
    X_test: Tensor  # (n_test, 30)
    y_test: Tensor  # (n_test,)
    num_classes: int


@dataclass
class Trial:
    method: str  # "grid" or "random"
    lr: float
    weight_decay: float
    val_loss: float  # on the validation rows, which chose it
    val_acc: float
    diverged_at: int  # 0: never
    test_loss: float | None = None  # on the test rows, which chose nothing; None if it overflowed there
    test_acc: float | None = None


@dataclass
class SearchResult:
    config: SearchConfig
    status: str  # "finished", "diverged" (every trial), "cancelled" or "out of time"
    message: str
    steps_done: int
    seconds: float
    # One row per trial: method, lr, weight_decay, val_loss, val_acc, diverged_at. val_loss and
    # val_acc are nullable (Float64): <NA>, never NaN, for a trial that failed.
    trials: pd.DataFrame
    # Per method, the trial with the lowest validation loss, with its test loss and accuracy; None if all failed.
    best: dict[str, Trial | None]
    distinct_lrs: dict[str, int]  # per method, how many different learning rates it tried
    split_sizes: dict[str, int]  # rows in "train", "validation" and "test"

    @property
    def cacheable(self) -> bool:
        return self.status != "out of time"


def check(config: SearchConfig) -> int:
    """The grid's side, sqrt(budget); raises ValueError for a config that cannot run."""
    side = math.isqrt(max(config.budget, 0))
    if config.budget < 1 or side * side != config.budget:
        raise ValueError(f"The budget must be a perfect square (4, 9, 16, 25), not {config.budget}.")
    (lr_lo, lr_hi), (wd_lo, wd_hi) = config.lr_range, config.wd_range
    if not 0 < lr_lo <= lr_hi:
        raise ValueError(f"The learning-rate range must be positive and low to high, not {config.lr_range}.")
    if not 0 <= wd_lo <= wd_hi:
        raise ValueError(f"The weight-decay range must be non-negative and low to high, not {config.wd_range}.")
    return side


def grid_points(config: SearchConfig) -> tuple[np.ndarray, np.ndarray]:
    """sqrt(budget) learning rates evenly spaced in log10, times sqrt(budget) evenly spaced weight decays."""
    side = check(config)
    lrs = np.logspace(math.log10(config.lr_range[0]), math.log10(config.lr_range[1]), side)  # (side,)
    wds = np.linspace(*config.wd_range, side)  # (side,)
    lr, wd = np.meshgrid(lrs, wds, indexing="ij")  # (side, side): each lr with every weight decay
    return lr.ravel(), wd.ravel()


def random_points(config: SearchConfig) -> tuple[np.ndarray, np.ndarray]:
    """`budget` independent draws: lr = 10^Uniform(log10 lo, log10 hi), weight decay uniform."""
    check(config)
    rng = np.random.default_rng(config.seed)
    lrs = 10 ** rng.uniform(math.log10(config.lr_range[0]), math.log10(config.lr_range[1]), config.budget)
    lrs = np.clip(lrs, *config.lr_range)  # 10**log10(x) may round a hair outside the range
    return lrs, rng.uniform(*config.wd_range, config.budget)


def search_split(seed: int = 0, device: torch.device | str = "cpu") -> SearchSplit:
    """The breast-cancer data in three parts, fixed by the seed.

    The test rows are classification_split's for the same seed; its training rows, in their shuffled order,
    give the first VALIDATION_FRACTION to validation and the rest to training. Every part is standardized with
    the training rows' mean and std, so nothing about the validation or test rows leaks into the inputs.
    """
    table = breast_cancer()
    order = np.random.default_rng(seed).permutation(len(table.y))  # as classification_split shuffles
    n_test = max(1, round(len(order) * TEST_FRACTION))
    test, rest = order[:n_test], order[n_test:]
    n_val = max(1, round(len(rest) * VALIDATION_FRACTION))
    val, train = rest[:n_val], rest[n_val:]
    features = standardize(table.X[train], table.X[val], table.X[test])
    X_train, X_val, X_test = (torch.as_tensor(X, dtype=torch.float32, device=device) for X in features)
    label = lambda rows: torch.as_tensor(table.y[rows], dtype=torch.int64, device=device)  # noqa: E731
    return SearchSplit(X_train, label(train), X_val, label(val), X_test, label(test), int(table.y.max()) + 1)


def run_search(config: SearchConfig, on_report: Report | None = None, should_stop=None,
               deadline=None) -> SearchResult:
    """Train the grid's and the random search's trials together, compare them on validation, report on test."""
    (grid_lr, grid_wd), (random_lr, random_wd) = grid_points(config), random_points(config)
    lrs, wds = np.concatenate([grid_lr, random_lr]), np.concatenate([grid_wd, random_wd])
    methods = ["grid"] * config.budget + ["random"] * config.budget
    hooks = Hooks(on_report, should_stop, deadline)
    device = pick_device()
    data = search_split(config.seed, device)
    generator = torch.Generator().manual_seed(config.seed)
    net = initial_net(data.X_train.shape[1], NETWORK.width, NETWORK.depth, NETWORK.activation, data.num_classes,
                      generator).to(device)

    def report(losses: np.ndarray) -> dict:  # each method's lowest training loss so far
        per_method = {"grid_best_loss": losses[:config.budget], "random_best_loss": losses[config.budget:]}
        return {name: float(np.nanmin(v)) for name, v in per_method.items() if np.isfinite(v).any()}

    run = train_stacked(net, data.X_train, data.y_train, config.optimizer, lrs.tolist(), wds.tolist(),
                        config.steps, config.batch_size, REPORT_EVERY, generator, hooks, report)
    trainer = run.trainer
    trainer.freeze_nonfinite(run.outcome.steps_done)
    val_loss, val_acc = trainer.evaluate(data.X_val, data.y_val)
    failed = ~np.isfinite(val_loss)
    for k in np.flatnonzero(failed):  # finite weights whose validation loss still overflows: failed too
        trainer.freeze(k, max(run.outcome.steps_done, 1))
    trials = pd.DataFrame({
        "method": methods, "lr": lrs, "weight_decay": wds,
        "val_loss": pd.array(np.where(failed, 0.0, val_loss), dtype="Float64"),
        "val_acc": pd.array(np.where(failed, 0.0, val_acc), dtype="Float64"),
        "diverged_at": np.array(trainer.diverged_at, dtype=np.int64),
    })
    trials.loc[failed, ["val_loss", "val_acc"]] = pd.NA
    test_loss, test_acc = trainer.evaluate(data.X_test, data.y_test)  # read only for the chosen trials
    best = {method: _best(trials[trials["method"] == method], test_loss, test_acc) for method in METHODS}
    distinct = {method: int(trials.loc[trials["method"] == method, "lr"].nunique()) for method in METHODS}
    sizes = {"train": len(data.y_train), "validation": len(data.y_val), "test": len(data.y_test)}
    outcome = run.outcome
    status = "diverged" if failed.all() and outcome.status == "finished" else outcome.status
    return SearchResult(config, status, _message(outcome.status, outcome.message, best, distinct, sizes),
                        outcome.steps_done, outcome.seconds, trials, best, distinct, sizes)


def _best(rows: pd.DataFrame, test_loss: np.ndarray, test_acc: np.ndarray) -> Trial | None:
    """The rows' trial with the lowest validation loss, with its test loss and accuracy (indexed by trial)."""
    scored = rows[rows["val_loss"].notna()]
    if scored.empty:
        return None
    k = scored["val_loss"].astype(float).idxmin()
    row = scored.loc[k]
    finite = math.isfinite(test_loss[k])
    return Trial(row["method"], float(row["lr"]), float(row["weight_decay"]), float(row["val_loss"]),
                 float(row["val_acc"]), int(row["diverged_at"]), float(test_loss[k]) if finite else None,
                 float(test_acc[k]) if finite else None)


def _message(status: str, loop_message: str, best: dict[str, Trial | None], distinct: dict[str, int],
             sizes: dict[str, int]) -> str:
    if all(trial is None for trial in best.values()):
        return "Every trial diverged: the loss became NaN or infinite. Try a lower top of the learning-rate range."
    parts = [f"Tuned on validation, reported on test: the trials trained on {sizes['train']} rows and were "
             f"compared on {sizes['validation']} validation rows; the {sizes['test']} test rows chose nothing"]
    for method in METHODS:
        trial, tried = best[method], f"{method.capitalize()} search tried {distinct[method]} different learning rates"
        if trial is None:
            parts.append(f"{tried}, and every trial diverged")
            continue
        on_test = ("its test loss overflowed" if trial.test_loss is None else
                   f"test accuracy {trial.test_acc:.1%} (test loss {trial.test_loss:.4f})")
        parts.append(f"{tried}; its best (lr = {trial.lr:.3g}) had validation loss {trial.val_loss:.4f} and "
                     f"{on_test}")
    text = ". ".join(parts) + "."
    if status in ("cancelled", "out of time"):
        text = f"{loop_message} Scores are from where training stopped. {text}"
    return text
