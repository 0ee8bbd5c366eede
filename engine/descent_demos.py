"""Gradient descent variants: batch sizes, input normalization, learning-rate schedules, every optimizer."""

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from engine.datasets import Split
from engine.device import describe, pick_device
from engine.models import MLP, init_uniform
from engine.tabular import breast_cancer, classification_split, diabetes, standardize
from engine.trainer import (
    OPTIMIZERS,
    STOPPED,
    Hooks,
    InTurn,
    Report,
    TrainOutcome,
    TrainSettings,
    batches,
    loop,
    make_optimizer,
    optimizer_code,
    train,
)


def _count(k: int, noun: str) -> str:
    """'1 step', '2 steps'."""
    return f"{k} {noun}{'s' * (k != 1)}"


def _split(seed: int, device: torch.device, max_train: int = 0) -> Split:
    """The standardized breast-cancer split, its training rows cut to `max_train` if that is set."""
    data = classification_split(breast_cancer(), seed=seed, device=device)
    if 0 < max_train < len(data.X_train):
        data = Split(data.X_train[:max_train], data.y_train[:max_train], data.X_test, data.y_test, data.num_classes)
    return data


@torch.no_grad()
def _evaluate(net: nn.Module, X: Tensor, y: Tensor) -> tuple[float, float]:
    """Mean cross-entropy and accuracy over the whole of (X, y)."""
    logits = net(X)  # (n, classes)
    return nn.functional.cross_entropy(logits, y).item(), (logits.argmax(1) == y).float().mean().item()


def _final(net: nn.Module, data: Split, history: pd.DataFrame) -> tuple[float, float, float]:
    """Training loss, test loss and test accuracy at the end.

    After a divergence, the last finite ones measured stand in (zeros if none was), so that no NaN leaves the run.
    """
    train_loss, _ = _evaluate(net, data.X_train, data.y_train)
    test_loss, test_acc = _evaluate(net, data.X_test, data.y_test)
    if math.isfinite(train_loss) and math.isfinite(test_loss):
        return train_loss, test_loss, test_acc
    if len(history) == 0:
        return 0.0, 0.0, 0.0
    last = history.iloc[-1]
    return (float(last["train_loss"]), float(last.get("test_loss", 0.0)), float(last.get("test_acc", test_acc)))


# ---------------------------------------------------------------------------------------------------------------
# A. Batch, mini-batch and stochastic gradient descent

POINTS_PER_EPOCH = 10  # full-training-loss measurements per epoch (every update when an epoch has fewer)
RUNS = {"full": "Full batch", "mini": "Mini-batch", "stochastic": "Stochastic (batch size 1)"}
BATCH_MODEL = "logistic regression (one linear layer, softmax over the two classes)"


@dataclass(frozen=True)
class BatchSizeConfig:
    mini_batch: int = 32  # the mini-batch size; the other two runs are full batch and batch size 1
    epochs: int = 20
    lr: float = 0.05
    schedule: str = "constant"  # "constant" or "decay": lr / (1 + epoch), a decaying rate, as stochastic GD needs
    seed: int = 0
    device: str = ""  # "" picks the best available
    max_train: int = 0  # 0: all training rows; else only the first max_train


@dataclass
class BatchSizeResult:
    config: BatchSizeConfig
    status: str
    message: str
    device: str
    model: str  # what was trained
    steps_done: int  # updates over all three runs
    history: pd.DataFrame  # run, epoch (fractional), seconds, updates, train_loss (full), batch_loss, lr
    # One row per run: the arithmetic (n_train, batch_size, updates_per_epoch, total_updates), what was done
    # (updates_done, examples_done), the timing (seconds, examples_per_second) and the outcome.
    runs: pd.DataFrame

    @property
    def cacheable(self) -> bool:
        return self.status in ("finished", "diverged")


def updates_per_epoch(n: int, batch_size: int) -> int:
    """Iterations in one pass over n examples: ceil(n / B), the last batch smaller when B does not divide n."""
    return math.ceil(n / batch_size)


def batch_size_steps(config: BatchSizeConfig) -> int:
    """Progress steps of the whole job: every update of the three runs."""
    n = len(_split(config.seed, torch.device("cpu"), config.max_train).X_train)
    return sum(config.epochs * updates_per_epoch(n, b) for b in _batch_sizes(config, n).values())


def _batch_sizes(config: BatchSizeConfig, n: int) -> dict[str, int]:
    return {"full": n, "mini": max(1, min(config.mini_batch, n)), "stochastic": 1}


def run_batch_sizes(config: BatchSizeConfig, on_report: Report | None = None, should_stop=None,
                    deadline=None) -> BatchSizeResult:
    """Train the same logistic regression with batch size n, B and 1, from the same initial weights."""
    if config.schedule not in ("constant", "decay"):
        raise ValueError(f"schedule must be 'constant' or 'decay', not {config.schedule!r}")
    device = pick_device(config.device or None)
    data = _split(config.seed, device, config.max_train)
    start = MLP(data.X_train.shape[1], 0, (), data.num_classes)  # no hidden layer: logistic regression
    init_uniform(start, torch.Generator().manual_seed(config.seed))
    start = start.to(device)
    n = len(data.X_train)
    frames, rows = [], []
    job = InTurn(on_report, should_stop, deadline, "run")
    sizes = _batch_sizes(config, n)
    for key, hooks in job.runs(sizes):
        size = sizes[key]
        net = copy.deepcopy(start)
        outcome = _train_batch_size(net, data, size, config, hooks)
        per_epoch = updates_per_epoch(n, size)
        job.done(outcome.status, config.epochs * per_epoch)
        frames.append(outcome.history.assign(run=key))
        seconds = outcome.history["seconds"].iloc[-1] if len(outcome.history) else 0.0
        final = _final(net, data, outcome.history)
        examples = _examples(outcome.steps_done, size, n)
        rows.append({"run": key, "label": RUNS[key], "n_train": n, "batch_size": size, "updates_per_epoch": per_epoch,
                     "total_updates": config.epochs * per_epoch, "updates_done": outcome.steps_done,
                     "examples_done": examples, "seconds": seconds,
                     "examples_per_second": examples / seconds if seconds > 0 else 0.0,
                     "train_loss": final[0], "test_acc": final[2], "status": outcome.status})
    status = job.status
    history = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    history = history.reindex(columns=["run", "epoch", "seconds", "updates", "train_loss", "batch_loss", "lr"])
    runs = pd.DataFrame(rows)
    return BatchSizeResult(config, status, _batch_message(status, runs, config), describe(device), BATCH_MODEL,
                           int(runs["updates_done"].sum()), history, runs)


def _examples(updates: int, size: int, n: int) -> int:
    """Training examples the first `updates` updates processed: n per full epoch, `size` per update after that."""
    per_epoch = updates_per_epoch(n, size)
    return (updates // per_epoch) * n + (updates % per_epoch) * size


def _update(net: nn.Module, optimizer: torch.optim.Optimizer, xb: Tensor, yb: Tensor) -> float:
    """One SGD update on a batch; returns the batch's loss before it (a non-finite loss moves nothing)."""
    loss = nn.functional.cross_entropy(net(xb), yb)
    value = loss.item()
    if math.isfinite(value):
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return value


def _train_batch_size(net: MLP, data: Split, size: int, config: BatchSizeConfig, hooks: Hooks) -> TrainOutcome:
    """Plain SGD with batches of `size`, the full training loss measured about POINTS_PER_EPOCH times an epoch.

    `seconds` counts only the updates, not the measurements, so that wall time compares the methods.
    """
    X, y = data.X_train, data.y_train
    n = len(X)
    per_epoch = updates_per_epoch(n, size)
    spare = copy.deepcopy(net)  # a few untimed updates on a copy: one-time start-up costs count against no run
    for _ in range(3):
        _update(spare, make_optimizer("sgd", spare.parameters(), config.lr), X[:size], y[:size])
    optimizer = make_optimizer("sgd", net.parameters(), config.lr)
    scheduler = None
    if config.schedule == "decay":
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda epoch: 1 / (1 + epoch))
    batch_indices = batches(n, 0 if size >= n else size, torch.Generator().manual_seed(config.seed), X.device)
    clock = {"seconds": 0.0, "lr": config.lr}

    def step(i: int) -> float:
        started = time.perf_counter()
        idx = next(batch_indices)
        clock["lr"] = optimizer.param_groups[0]["lr"]
        value = _update(net, optimizer, X, y) if idx is None else _update(net, optimizer, X[idx], y[idx])
        if scheduler is not None and i % per_epoch == 0:
            scheduler.step()  # once per epoch
        clock["seconds"] += time.perf_counter() - started
        return value

    def measure(i: int, _: float) -> dict:
        return {"epoch": i / per_epoch, "seconds": clock["seconds"], "updates": i,
                "train_loss": _evaluate(net, X, y)[0], "lr": clock["lr"]}

    every = max(1, per_epoch // POINTS_PER_EPOCH)
    return loop(step, config.epochs * per_epoch, every, hooks, measure,
                advice=f"Try a smaller learning rate than {config.lr:g}.")


def _batch_message(status: str, runs: pd.DataFrame, config: BatchSizeConfig) -> str:
    if status in STOPPED:
        done = ", ".join(f"{RUNS[r.run].lower()} {r.updates_done} of {r.total_updates}" for r in runs.itertuples())
        why = "it reached the server's time limit" if status == "out of time" else "you pressed Stop"
        return f"Stopped because {why}; updates done: {done}."
    diverged = [RUNS[r.run].lower() for r in runs.itertuples() if r.status == "diverged"]
    if diverged:
        return f"The {' and '.join(diverged)} run diverged: try a learning rate below {config.lr:g}."
    loss = runs.set_index("run")["train_loss"]
    return (f"After {_count(config.epochs, 'epoch')} from the same initial weights the training loss was "
            f"{loss['full']:.3f} with full batches, {loss['mini']:.3f} with mini-batches of "
            f"{runs['batch_size'].iloc[1]} and {loss['stochastic']:.3f} with single examples.")


# ---------------------------------------------------------------------------------------------------------------
# B. Input normalization

GRID = 60  # loss-surface grid points per axis
EPS = 1e-8  # what engine.tabular.standardize adds to the std
VERSIONS = {"raw": "raw units (centred)", "standardized": "standardized"}  # key: how the page names the run


@dataclass(frozen=True)
class NormalizationConfig:
    x1: str = "bmi"  # two features of the raw diabetes table (engine.tabular.diabetes())
    x2: str = "s1"
    steps: int = 500
    tolerance: float = 0.01  # converged: the loss's gap above the optimum is at most this fraction of the gap at step 0


@dataclass
class Descent:
    """Full-batch gradient descent on one version of the features, with its loss surface."""

    name: str  # "raw" or "standardized", a key of VERSIONS
    label: str  # "raw units (centred)" or "standardized"
    eigenvalues: np.ndarray  # (2,) of the loss's Hessian, ascending
    condition: float  # λ_max / λ_min
    lr: float  # 2 / (λ_min + λ_max), the best fixed rate for gradient descent on a quadratic
    rate: float  # (κ − 1) / (κ + 1): each step multiplies the distance to the optimum by this
    optimum: np.ndarray  # (2,) least-squares weights
    optimum_loss: float
    trajectory: np.ndarray  # (steps_done + 1, 2) the weights before each step and after the last
    loss: np.ndarray  # (steps_done + 1,) the loss at each point of the trajectory
    gap: np.ndarray  # (steps_done + 1,) (loss − optimum_loss) / (loss[0] − optimum_loss), 0 where loss[0] is optimal
    steps_to_converge: int  # first step whose gap is within tolerance; -1 if none within the steps run
    predicted_steps: int  # what the rate predicts
    converged_text: str  # "after 2 steps" or "not within 500 steps"
    w1: np.ndarray  # (GRID,) grid axis
    w2: np.ndarray  # (GRID,) grid axis
    grid_loss: np.ndarray  # (GRID, GRID) loss; rows follow w2
    status: str
    message: str


@dataclass
class NormalizationResult:
    config: NormalizationConfig
    status: str
    message: str
    steps_done: int  # over both runs
    runs: list[Descent]  # raw, then standardized (fewer if stopped)
    epsilon: pd.DataFrame  # why standardize adds eps: every value a string, "nan" where 0/0 gives NaN

    @property
    def cacheable(self) -> bool:
        return self.status in ("finished", "diverged")


def normalization_steps(config: NormalizationConfig) -> int:
    """Progress steps of the whole job: the raw run's, then the standardized run's."""
    return 2 * config.steps


def normalization_features(config: NormalizationConfig) -> tuple[np.ndarray, np.ndarray]:
    """The two feature columns centred, in their own units, and the target centred and scaled to unit variance.

    Centring both the features and the target makes a model without intercept the same as one with an intercept,
    so the raw and the standardized runs fit the same model and reach the same loss; only the scale differs.
    """
    table = diabetes()
    for name in (config.x1, config.x2):
        if name not in table.features:
            raise ValueError(f"{name!r} is not a diabetes feature; choose from {', '.join(table.features)}")
    if config.x1 == config.x2:
        raise ValueError("choose two different features: with one feature twice the loss has no single minimum")
    X = table.X[:, [table.features.index(config.x1), table.features.index(config.x2)]]  # (n, 2)
    return X - X.mean(0), (table.y - table.y.mean()) / table.y.std()


def hessian(X: np.ndarray) -> np.ndarray:
    """The Hessian of mean((Xw − y)²) in w: 2 XᵀX / n, the same at every w."""
    return 2 * X.T @ X / len(X)  # (2, 2)


def mse(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """mean((Xw − y)²) for one weight vector (2,) or many (..., 2), from the data's second moments."""
    S, b, c = X.T @ X / len(X), X.T @ y / len(X), np.mean(y * y)
    return np.einsum("...i,ij,...j->...", w, S, w) - 2 * w @ b + c


def predicted_steps(rate: float, tolerance: float) -> int:
    """Steps until the gap above the optimum is at most `tolerance` times the starting gap, if it shrinks by rate².

    With two weights and the rate 2 / (λ_min + λ_max) both eigen-directions shrink by exactly (κ − 1) / (κ + 1)
    a step, so the gap shrinks by exactly rate² and this is exact: ⌈ln(1 / tolerance) / (2 ln(1 / rate))⌉.
    """
    if tolerance >= 1:
        return 0
    if rate <= 0:
        return 1
    return math.ceil(math.log(1 / tolerance) / (2 * math.log(1 / rate)) - 1e-9)


def relative_gap(loss: np.ndarray, optimum_loss: float) -> np.ndarray:
    """(loss − optimum) / (loss[0] − optimum): 1 at the start, 0 at the optimum; all zeros if the start is optimal."""
    start = float(loss[0]) - optimum_loss
    if not start > 0:
        return np.zeros_like(loss)
    return (loss - optimum_loss) / start


def run_normalization(config: NormalizationConfig, on_report: Report | None = None, should_stop=None,
                      deadline=None) -> NormalizationResult:
    """Gradient descent at its best fixed rate on centred features in their own units, then standardized."""
    X, y = normalization_features(config)
    runs = []
    job = InTurn(on_report, should_stop, deadline, "run")
    features = {"raw": X, "standardized": standardize(X)[0]}
    for name, hooks in job.runs(features):
        runs.append(_descend(name, features[name], y, config, hooks))
        job.done(runs[-1].status, config.steps)
    status = job.status
    steps_done = sum(len(r.loss) - 1 for r in runs)
    return NormalizationResult(config, status, _normalization_message(status, runs, config), steps_done, runs,
                               epsilon_table())


def _normalization_message(status: str, runs: list[Descent], config: NormalizationConfig) -> str:
    if status in STOPPED:
        last = runs[-1]
        where = f"during the {last.label} run" if last.status in STOPPED else f"after the {last.label} run"
        return f"Stopped {where}, at step {len(last.loss) - 1} of {config.steps}."
    if status == "diverged":
        return next(f"The {r.label} run: {r.message}" for r in runs if r.status == "diverged")
    closed = f"{100 - config.tolerance * 100:g}%"

    def steps(d: Descent) -> str:
        if d.steps_to_converge >= 0:
            return str(d.steps_to_converge)
        return f"more than {config.steps} (the rate predicts {d.predicted_steps})"

    raw, scaled = runs
    return (f"Both runs fit the same model and share the same best loss, {raw.optimum_loss:.3f}. Steps for gradient "
            f"descent to close {closed} of the gap between its starting loss and the best loss: in raw units, "
            f"centred (condition number {raw.condition:,.{0 if raw.condition >= 100 else 2}f}), {steps(raw)}; "
            f"standardized (condition number {scaled.condition:.2f}), {steps(scaled)}.")


def _descend(name: str, X: np.ndarray, y: np.ndarray, config: NormalizationConfig, hooks: Hooks) -> Descent:
    H = hessian(X)
    low, high = np.linalg.eigvalsh(H)
    lr, condition = 2 / (low + high), high / low
    rate = (condition - 1) / (condition + 1)
    optimum = np.linalg.lstsq(X, y, rcond=None)[0]  # (2,)
    optimum_loss = float(mse(X, y, optimum))
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)  # float64: the raw features' large products keep precision
    w = nn.Parameter(torch.zeros(2, dtype=torch.float64))
    optimizer = torch.optim.SGD([w], lr=lr)
    points = [w.detach().numpy().copy()]

    def step(_: int) -> float:
        loss = ((Xt @ w - yt) ** 2).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        points.append(w.detach().numpy().copy())
        return loss.item()

    outcome = loop(step, config.steps, max(1, config.steps // 50), hooks)
    trajectory = np.array(points[:outcome.steps_done + 1])  # (steps_done + 1, 2)
    loss = mse(X, y, trajectory)  # (steps_done + 1,)
    gap = relative_gap(loss, optimum_loss)  # (steps_done + 1,)
    within = np.flatnonzero(gap <= config.tolerance)
    steps = int(within[0]) if within.size else -1
    text = f"after {_count(steps, 'step')}" if steps >= 0 else f"not within {_count(len(loss) - 1, 'step')}"
    w1, w2 = _grid_axes(np.vstack([trajectory, optimum]))
    grid = mse(X, y, np.stack(np.meshgrid(w1, w2, indexing="xy"), -1))  # (GRID, GRID) rows follow w2
    return Descent(name, VERSIONS[name], np.array([low, high]), float(condition), float(lr), float(rate), optimum,
                   optimum_loss, trajectory, loss, gap, steps, predicted_steps(float(rate), config.tolerance), text,
                   w1, w2, grid, outcome.status, outcome.message)


def _grid_axes(points: np.ndarray, margin: float = 0.15) -> tuple[np.ndarray, np.ndarray]:
    """Square axes (the same span on both, so that a round bowl looks round) around every point."""
    centre = (points.min(0) + points.max(0)) / 2  # (2,)
    half = max((points.max(0) - points.min(0)).max(), 1e-3) * (0.5 + margin)
    return np.linspace(centre[0] - half, centre[0] + half, GRID), np.linspace(centre[1] - half, centre[1] + half, GRID)


def epsilon_table(value: float = 3.0, n: int = 4) -> pd.DataFrame:
    """A constant feature standardized with and without eps, every number written out as text."""
    x = np.full((n, 1), value)  # (n, 1): a feature that reads the same for every row
    mean, std = x.mean(0), x.std(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        plain = (x - mean) / std  # 0 / 0
    safe = standardize(x, eps=EPS)[0]
    text = lambda a: [f"{v:g}" for v in np.ravel(a)]
    return pd.DataFrame({"x": text(x), "x − mean": text(x - mean), "std": text(np.repeat(std, n)),
                         "(x − mean) / std": text(plain), f"(x − mean) / (std + {EPS:g})": text(safe)})


# ---------------------------------------------------------------------------------------------------------------
# C. Learning-rate schedules

SCHEDULE_BATCH = 32  # minibatch size; the schedule steps once per epoch, after that epoch's minibatches
SCHEDULE_WIDTH = 32  # units in each of the MLP's two ReLU layers
WARMUP_START = 0.1  # warm-up starts at this fraction of the peak rate
LRScheduler = torch.optim.lr_scheduler.LRScheduler


@dataclass(frozen=True)
class ScheduleConfig:
    schedules: tuple[str, ...] = ("constant", "step", "cosine", "warmup")  # keys of SCHEDULES
    lr: float = 0.1  # peak learning rate
    epochs: int = 30
    step_every: int = 10  # step: multiply by gamma every this many epochs
    gamma: float = 0.1
    warmup_epochs: int = 3  # warmup: linear warm-up from lr/10, then cosine decay
    seed: int = 0


def _warmup(optimizer: torch.optim.Optimizer, c: ScheduleConfig) -> LRScheduler:
    if c.warmup_epochs <= 0:
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, c.epochs))
    warm = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=WARMUP_START, end_factor=1.0,
                                             total_iters=c.warmup_epochs)
    cool = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, c.epochs - c.warmup_epochs))
    return torch.optim.lr_scheduler.SequentialLR(optimizer, [warm, cool], milestones=[c.warmup_epochs])


@dataclass(frozen=True)
class Schedule:
    label: str
    make: Callable[[torch.optim.Optimizer, ScheduleConfig], LRScheduler]
    formula_text: str  # the rate during epoch e = 0, 1, ...: η peak rate, T epochs, s step_every, γ gamma, W warm-up


SCHEDULES: dict[str, Schedule] = {
    "constant": Schedule("Constant", lambda opt, c: torch.optim.lr_scheduler.ConstantLR(opt, factor=1.0),
                         "ηₑ = η"),
    "step": Schedule("Step decay", lambda opt, c: torch.optim.lr_scheduler.StepLR(opt, c.step_every, c.gamma),
                     "ηₑ = η · γ^⌊e / s⌋"),
    "cosine": Schedule("Cosine annealing",
                       lambda opt, c: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, c.epochs)),
                       "ηₑ = η · (1 + cos(π e / T)) / 2"),
    "warmup": Schedule("Linear warm-up, then cosine", _warmup,
                       "ηₑ = η · (0.1 + 0.9 e / W) for e < W, then η · (1 + cos(π (e − W) / (T − W))) / 2"),
}


@dataclass
class ScheduleResult:
    config: ScheduleConfig
    status: str
    message: str
    device: str
    steps_done: int  # epochs over all runs
    history: pd.DataFrame  # schedule, epoch, lr (during it), batch_loss (its mean), train_loss, test_loss, test_acc
    finals: pd.DataFrame  # one row per schedule: label, epochs_done, train_loss, test_loss, test_acc, status

    @property
    def cacheable(self) -> bool:
        return self.status in ("finished", "diverged")


def schedule_steps(config: ScheduleConfig) -> int:
    """Progress steps of the whole job: one per epoch of each schedule."""
    return config.epochs * len(config.schedules)


def run_schedules(config: ScheduleConfig, on_report: Report | None = None, should_stop=None,
                  deadline=None) -> ScheduleResult:
    """Train one MLP from the same initial weights under each schedule, stepping the schedule once per epoch."""
    if unknown := [s for s in config.schedules if s not in SCHEDULES]:
        raise ValueError(f"unknown schedule {', '.join(unknown)}; choose from {', '.join(SCHEDULES)}")
    device = pick_device()
    data = _split(config.seed, device)
    start = MLP(data.X_train.shape[1], SCHEDULE_WIDTH, ("relu", "relu"), data.num_classes)
    init_uniform(start, torch.Generator().manual_seed(config.seed))
    start = start.to(device)
    frames, finals = [], []
    job = InTurn(on_report, should_stop, deadline, "schedule")
    for name, hooks in job.runs(config.schedules):
        net = copy.deepcopy(start)
        outcome = _train_schedule(net, data, name, config, hooks)
        job.done(outcome.status, config.epochs)
        frames.append(outcome.history.assign(schedule=name))
        train_loss, test_loss, test_acc = _final(net, data, outcome.history)
        finals.append({"schedule": name, "label": SCHEDULES[name].label, "epochs_done": outcome.steps_done,
                       "train_loss": train_loss, "test_loss": test_loss, "test_acc": test_acc,
                       "status": outcome.status, "message": outcome.message})
    status = job.status
    history = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    history = history.reindex(columns=["schedule", "epoch", "lr", "batch_loss", "train_loss", "test_loss", "test_acc"])
    finals = pd.DataFrame(finals)
    return ScheduleResult(config, status, _schedule_message(status, finals, config), describe(device),
                          int(finals["epochs_done"].sum()) if len(finals) else 0, history, finals)


def _train_schedule(net: MLP, data: Split, name: str, config: ScheduleConfig, hooks: Hooks) -> TrainOutcome:
    """SGD with momentum 0.9, one loop step per epoch.

    SGD's step is the learning rate times the (momentum-averaged) gradient, so each schedule's curve shows up
    directly in the training; Adam divides by a running gradient scale, which blurs that, and a peak of 0.1 is far
    too large for it.
    """
    X, y = data.X_train, data.y_train
    per_epoch = updates_per_epoch(len(X), SCHEDULE_BATCH)
    optimizer = make_optimizer("momentum", net.parameters(), config.lr)
    scheduler = SCHEDULES[name].make(optimizer, config)
    batch_indices = batches(len(X), SCHEDULE_BATCH, torch.Generator().manual_seed(config.seed), X.device)
    used = {"lr": config.lr}

    def epoch(_: int) -> float:
        used["lr"] = optimizer.param_groups[0]["lr"]
        total = 0.0
        for _ in range(per_epoch):
            idx = next(batch_indices)
            xb, yb = (X, y) if idx is None else (X[idx], y[idx])  # (B, 30), (B,)
            loss = nn.functional.cross_entropy(net(xb), yb)
            if not torch.isfinite(loss):
                return math.nan
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.item()
        scheduler.step()
        return total / per_epoch

    def measure(i: int, __: float) -> dict:
        train_loss, _ = _evaluate(net, X, y)
        test_loss, test_acc = _evaluate(net, data.X_test, data.y_test)
        return {"epoch": i, "lr": used["lr"], "train_loss": train_loss, "test_loss": test_loss, "test_acc": test_acc}

    return loop(epoch, config.epochs, 1, hooks, measure, advice=f"Try a peak learning rate below {config.lr:g}.")


def _schedule_message(status: str, finals: pd.DataFrame, config: ScheduleConfig) -> str:
    if status in STOPPED:
        done = ", ".join(f"{SCHEDULES[r.schedule].label.lower()} {r.epochs_done}" for r in finals.itertuples())
        return f"Stopped before every schedule had run its {config.epochs} epochs (epochs done: {done})."
    diverged = [SCHEDULES[r.schedule].label.lower() for r in finals.itertuples() if r.status == "diverged"]
    if diverged:
        which = "every schedule" if len(diverged) == len(finals) else ", ".join(diverged)
        return f"Training diverged under {which}: try a peak rate below {config.lr:g}."
    best = finals.loc[finals["test_loss"].idxmin()]
    return (f"After {_count(config.epochs, 'epoch')} the lowest test loss, {best.test_loss:.3f}, "
            f"came from {best.label.lower()}.")


# ---------------------------------------------------------------------------------------------------------------
# D. The same network under every optimizer

# A fair rate for each optimizer on this network: the one of 0.001, 0.003, 0.01, 0.03, 0.1, 0.3 and 1 with the lowest
# mean training loss after 300 steps (batch 32) over seeds 0, 1 and 2. This compares how fast each one optimizes; the
# test loss is lowest at smaller rates, where the network has not yet fitted the training set as tightly.
# Momentum's best rate is SGD's over 1 / (1 − 0.9): the same effective step.
NETWORK_LRS: dict[str, float] = {"sgd": 0.3, "momentum": 0.03, "nesterov": 0.03, "adagrad": 0.1, "rmsprop": 0.01,
                                 "adam": 0.01, "adamw": 0.01}
NETWORK_WIDTH = 16  # 30 → 16 → 16 → 2, ReLU


@dataclass(frozen=True)
class EveryOptimizerConfig:
    steps: int = 300
    batch_size: int = 32
    seed: int = 0


@dataclass
class OptimizerRun:
    name: str  # key of OPTIMIZERS
    label: str
    lr: float
    code: str  # the torch.optim call, as source
    status: str
    message: str
    steps_done: int
    train_loss: float  # final, over the whole training set
    test_loss: float
    test_acc: float


@dataclass
class EveryOptimizerResult:
    config: EveryOptimizerConfig
    status: str
    message: str
    device: str
    steps_done: int  # over all runs
    history: pd.DataFrame  # optimizer, step, batch_loss, train_loss, test_loss, test_acc
    runs: list[OptimizerRun]

    @property
    def cacheable(self) -> bool:
        return self.status in ("finished", "diverged")


def every_optimizer_steps(config: EveryOptimizerConfig) -> int:
    """Progress steps of the whole job."""
    return config.steps * len(OPTIMIZERS)


def run_every_optimizer(config: EveryOptimizerConfig, on_report: Report | None = None, should_stop=None,
                        deadline=None) -> EveryOptimizerResult:
    """Train one initialised network with each optimizer in turn, each with the same minibatch order."""
    device = pick_device()
    data = _split(config.seed, device)
    start = MLP(data.X_train.shape[1], NETWORK_WIDTH, ("relu", "relu"), data.num_classes)
    init_uniform(start, torch.Generator().manual_seed(config.seed))
    start = start.to(device)
    frames, runs = [], []
    job = InTurn(on_report, should_stop, deadline, "optimizer")
    for name, hooks in job.runs(OPTIMIZERS):
        net = copy.deepcopy(start)
        settings = TrainSettings(steps=config.steps, batch_size=config.batch_size, optimizer=name,
                                 lr=NETWORK_LRS[name], report_every=max(1, config.steps // 60))

        def measure(_: int, __: float, net=net) -> dict:
            train_loss, _ = _evaluate(net, data.X_train, data.y_train)
            test_loss, test_acc = _evaluate(net, data.X_test, data.y_test)
            return {"train_loss": train_loss, "test_loss": test_loss, "test_acc": test_acc}

        outcome = train(net, data.X_train, data.y_train, nn.functional.cross_entropy, settings,
                        torch.Generator().manual_seed(config.seed), measure, hooks)
        frames.append(outcome.history.assign(optimizer=name))
        train_loss, test_loss, test_acc = _final(net, data, outcome.history)
        runs.append(OptimizerRun(name, OPTIMIZERS[name].label, NETWORK_LRS[name],
                                 optimizer_code(name, NETWORK_LRS[name]), outcome.status, outcome.message,
                                 outcome.steps_done, train_loss, test_loss, test_acc))
        job.done(outcome.status, config.steps)
    status = job.status
    history = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    history = history.reindex(columns=["optimizer", "step", "batch_loss", "train_loss", "test_loss", "test_acc"])
    return EveryOptimizerResult(config, status, _optimizer_message(status, runs, config), describe(device),
                                sum(r.steps_done for r in runs), history, runs)


def _optimizer_message(status: str, runs: list[OptimizerRun], config: EveryOptimizerConfig) -> str:
    if status in STOPPED:
        last = runs[-1]
        if last.status in STOPPED:
            return (f"Stopped during {last.label}, at step {last.steps_done} of {config.steps}; "
                    f"{len(runs) - 1} of {len(OPTIMIZERS)} optimizers had finished.")
        return f"Stopped after {_count(len(runs), 'optimizer')} of {len(OPTIMIZERS)}; the rest did not run."
    diverged = [r.label for r in runs if r.status == "diverged"]
    finished = [r for r in runs if r.status == "finished"]
    text = f"{', '.join(diverged)} diverged. " if diverged else ""
    if finished:
        best = min(finished, key=lambda r: r.train_loss)
        text += f"Lowest training loss after {config.steps} steps: {best.label}, {best.train_loss:.3f}."
    return text.strip()


# The functions that do each demo's training, for the page's "show the code".
SOURCES: dict[str, tuple[Callable, ...]] = {
    "batch_sizes": (_train_batch_size, _update),
    "normalization": (hessian, _descend),
    "schedules": (_warmup, _train_schedule),
}
