"""Grid search versus random search for the same budget, every trial trained in one stacked run.

With a budget of n² trials, a grid tries n learning rates, each with n weight decays; random
search draws every trial's learning rate and weight decay afresh, so it tries n² different
learning rates. When the weight decay barely matters, the grid spends most of its budget
repeating learning rates it has already tried.
"""

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from engine.batched import SweepConfig, initial_net, train_stacked
from engine.device import pick_device
from engine.tabular import breast_cancer, classification_split
from engine.trainer import Hooks, Report

METHODS = ("grid", "random")
REPORT_EVERY = 10  # steps between progress reports
NETWORK = SweepConfig()  # every trial trains the sweep's default network: width, depth, activation


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


@dataclass
class Trial:
    method: str  # "grid" or "random"
    lr: float
    weight_decay: float
    val_loss: float  # on the held-out split
    val_acc: float
    diverged_at: int  # 0: never


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
    best: dict[str, Trial | None]  # per method, the trial with the lowest validation loss; None if all failed
    distinct_lrs: dict[str, int]  # per method, how many different learning rates it tried

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


def run_search(config: SearchConfig, on_report: Report | None = None, should_stop=None,
               deadline=None) -> SearchResult:
    """Train the grid's and the random search's trials together, then score each on the held-out split."""
    (grid_lr, grid_wd), (random_lr, random_wd) = grid_points(config), random_points(config)
    lrs, wds = np.concatenate([grid_lr, random_lr]), np.concatenate([grid_wd, random_wd])
    methods = ["grid"] * config.budget + ["random"] * config.budget
    hooks = Hooks(on_report, should_stop, deadline)
    device = pick_device()
    data = classification_split(breast_cancer(), seed=config.seed, device=device)
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
    val_loss, val_acc = trainer.evaluate(data.X_test, data.y_test)
    failed = ~np.isfinite(val_loss)
    for k in np.flatnonzero(failed):  # finite weights whose held-out loss still overflows: failed too
        trainer.freeze(k, max(run.outcome.steps_done, 1))
    trials = pd.DataFrame({
        "method": methods, "lr": lrs, "weight_decay": wds,
        "val_loss": pd.array(np.where(failed, 0.0, val_loss), dtype="Float64"),
        "val_acc": pd.array(np.where(failed, 0.0, val_acc), dtype="Float64"),
        "diverged_at": np.array(trainer.diverged_at, dtype=np.int64),
    })
    trials.loc[failed, ["val_loss", "val_acc"]] = pd.NA
    best = {method: _best(trials[trials["method"] == method]) for method in METHODS}
    distinct = {method: int(trials.loc[trials["method"] == method, "lr"].nunique()) for method in METHODS}
    outcome = run.outcome
    status = "diverged" if failed.all() and outcome.status == "finished" else outcome.status
    return SearchResult(config, status, _message(outcome.status, outcome.message, best, distinct),
                        outcome.steps_done, outcome.seconds, trials, best, distinct)


def _best(rows: pd.DataFrame) -> Trial | None:
    scored = rows[rows["val_loss"].notna()]
    if scored.empty:
        return None
    row = scored.loc[scored["val_loss"].astype(float).idxmin()]
    return Trial(row["method"], float(row["lr"]), float(row["weight_decay"]), float(row["val_loss"]),
                 float(row["val_acc"]), int(row["diverged_at"]))


def _message(status: str, loop_message: str, best: dict[str, Trial | None], distinct: dict[str, int]) -> str:
    if all(trial is None for trial in best.values()):
        return "Every trial diverged: the loss became NaN or infinite. Try a lower top of the learning-rate range."
    parts = []
    for method in METHODS:
        trial, tried = best[method], f"{method.capitalize()} search tried {distinct[method]} different learning rates"
        parts.append(f"{tried}, and every trial diverged" if trial is None else
                     f"{tried}; its best validation loss was {trial.val_loss:.4f} (lr = {trial.lr:.3g})")
    text = ". ".join(parts) + "."
    if status in ("cancelled", "out of time"):
        text = f"{loop_message} Scores are from where training stopped. {text}"
    return text
