"""Overfitting and its remedies: a network too big for its data, then L2, L1, dropout, batch norm, augmentation,
early stopping and bagging, one at a time or together.

The data are tiny on purpose (20 points by default), so every model trains full batch. Training and validation
losses are measured the same way (evaluation mode, data loss only, on clean inputs), so their gap shows what the
model memorised rather than what the remedies add to the objective. Early stopping chooses its step by the
validation loss, which makes that loss a little optimistic: a separate test set would measure the final error.
"""

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from engine.datasets import moons
from engine.device import describe, pick_device
from engine.models import init_uniform
from engine.trainer import STOPPED, Hooks, InTurn, Report, TrainOutcome, loop

TASKS = {"regression": "1-D regression: a noisy sine", "classification": "2-D classification: moons, labels flipped"}
LOSS_NAMES = {"regression": "mean squared error", "classification": "cross-entropy"}
REPORT_EVERY = 10  # steps between evaluations (history rows, early-stopping checks)
CURVE_POINTS = 200  # regression: x grid of the fitted function
GRID = 60  # classification: probability grid points per axis
FREQUENCY = 1.5  # regression target: sin(FREQUENCY · π · x) on [-1, 1], one and a half periods
MOONS_JITTER = 0.1  # std of the jitter on the moons' points
MOONS_CENTRE = (0.5, 0.25)  # subtracted from the moons' points, so the inputs are centred
MAX_FLIP = 0.45  # classification: the largest fraction of training labels that may be flipped

BAGGING_VS_BOOSTING = (
    "Bagging trains each model independently (it could be in parallel) on a bootstrap resample of the training set, "
    "drawn with replacement, and averages their predictions: the models' errors partly cancel, so it lowers "
    "variance, which is what an overfitting model suffers from. Boosting trains models one after another, each one "
    "fitted to the errors the ensemble so far still makes, and adds them up with weights: it lowers bias, turning "
    "weak, underfitting models into a strong one, and can itself overfit if it runs too long."
)


@dataclass(frozen=True)
class FitConfig:
    task: str = "regression"  # "regression": 1-D noisy sine; "classification": 2-D moons with flipped labels
    points: int = 20  # training points
    noise: float = 0.3  # regression: std of the noise on y; classification: fraction of training labels flipped
    width: int = 64  # units per hidden layer
    depth: int = 3  # hidden layers (ReLU)
    l2: float = 0.0  # λ·Σw² added to the loss, on weights not biases
    l1: float = 0.0  # λ·Σ|w| added to the loss, on weights not biases
    dropout: float = 0.0  # probability of dropping a unit after each hidden layer, as nn.Dropout's p
    batchnorm: bool = False  # nn.BatchNorm1d after each hidden linear layer
    augment: float = 0.0  # std of Gaussian jitter added to the training inputs at every step (0: off)
    patience: int = 0  # early stopping: evaluations without a new best validation loss before stopping (0: off)
    ensemble: int = 1  # bagging: this many models, each on a bootstrap resample, predictions averaged
    steps: int = 1500  # full-batch Adam updates per model
    lr: float = 0.01  # Adam
    val_points: int = 200  # validation points, from the same distribution, never trained on
    seed: int = 0  # the data, the initial weights, the resamples, the jitter and the dropout masks
    device: str = ""  # "" picks the best available


TINY_FIT = FitConfig(steps=2)  # trains in about 30 ms


@dataclass(frozen=True)
class FitData:
    X_train: Tensor  # (n, d): d = 1 for regression, 2 for classification
    y_train: Tensor  # (n,) float: the noisy target, or the 0/1 label after flipping
    X_val: Tensor  # (n_val, d)
    y_val: Tensor  # (n_val,) regression: as noisy as training; classification: clean labels
    flipped: Tensor  # (n,) bool: which training labels were flipped (all False for regression)


@dataclass
class Member:
    """One trained model: the data it saw, how its training went, and its predictions at every evaluation."""

    net: nn.Sequential
    indices: np.ndarray  # (n,) the training points it trained on: a bootstrap resample when bagging
    outcome: TrainOutcome
    status: str  # the outcome's, except that an early stop counts as "finished"
    best_step: int  # early stopping: the evaluation whose weights were restored; 0 when off
    stopped_step: int  # early stopping: the step at which it stopped; 0 when it did not stop early
    steps: list[int]  # evaluation steps
    train_outputs: list[Tensor]  # (n,) each: outputs on the whole training set at each evaluation step
    val_outputs: list[Tensor]  # (n_val,) each


@dataclass
class Fitted:
    """What `fit_models` trained, for `fit_result` to summarise (tensors: stays inside the worker)."""

    config: FitConfig
    device: torch.device
    data: FitData
    members: list[Member]  # the models trained, in order; fewer than config.ensemble when stopped
    status: str
    seconds: float


@dataclass
class FitResult:
    config: FitConfig
    status: str  # "finished", "diverged", "cancelled" or "out of time"
    message: str
    device: str
    seconds: float
    steps_done: int  # over all models
    history: pd.DataFrame  # step, train_loss, val_loss (+ train_acc, val_acc): the averaged prediction's when bagging
    model_history: pd.DataFrame  # each model's own: model, step, batch_loss (the objective), train_loss, val_loss...
    models: pd.DataFrame  # one row per model: model, points_seen, distinct_points, steps_done, best_step, ...
    train_loss: float  # the final (averaged) prediction's loss on the whole training set
    val_loss: float
    gap: float  # val_loss − train_loss
    train_acc: float | None  # classification only
    val_acc: float | None
    best_step: int  # early stopping with one model: the step whose weights were restored; 0 otherwise
    stopped_step: int  # early stopping with one model: the step at which training stopped; 0 if it did not
    loss_name: str  # "mean squared error" or "cross-entropy"
    noise_floor: float  # regression: noise², the validation loss of the true function; 0 for classification
    x_grid: np.ndarray  # regression: (CURVE_POINTS,); classification: (GRID,) first-input axis
    y_grid: np.ndarray  # classification: (GRID,) second-input axis; regression: empty
    fit: np.ndarray  # regression: (CURVE_POINTS,) ŷ; classification: (GRID, GRID) P(class 1), rows follow y_grid
    member_fits: np.ndarray  # (models, ...) each model's own `fit`, of which `fit` is the average
    truth: np.ndarray  # regression: (CURVE_POINTS,) the true function; classification: empty
    X_train: np.ndarray  # (n, d)
    y_train: np.ndarray  # (n,)
    X_val: np.ndarray  # (n_val, d)
    y_val: np.ndarray  # (n_val,)
    flipped: np.ndarray  # (n,) bool: training labels flipped
    resamples: np.ndarray  # (models, n) indices of the training points each model trained on
    weight_norm: float  # √Σw² over every linear layer's weights, the mean over the models
    near_zero: float  # the share of those weights within lr of zero (see _weight_stats), the mean over the models
    first_layer: np.ndarray  # (width, d) the first model's first-layer weights
    ensemble_text: str  # bagging versus boosting, when bagging
    code: str  # the model and its training, with the chosen remedies, in plain PyTorch

    @property
    def cacheable(self) -> bool:
        return self.status != "out of time"


def fit_steps(config: FitConfig) -> int:
    """Progress steps of the whole job: every update of every model."""
    return config.steps * config.ensemble


def target(x: Tensor) -> Tensor:
    """The regression's true function."""
    return torch.sin(FREQUENCY * math.pi * x)


def check(config: FitConfig) -> None:
    """Raise ValueError, in a sentence, for settings that cannot run."""
    problems = {
        config.task not in TASKS: f"Unknown task {config.task!r}: choose {' or '.join(map(repr, TASKS))}.",
        config.points < 2: "Give at least 2 training points.",
        config.val_points < 1: "Give at least 1 validation point.",
        config.noise < 0: "The noise cannot be negative.",
        config.task == "classification" and config.noise > MAX_FLIP:
            f"Flip at most {MAX_FLIP:.0%} of the labels (noise {MAX_FLIP:g}); flipping half or more would make the "
            "flipped class the majority.",
        config.width < 1 or config.depth < 0: "Give at least 1 unit per hidden layer and no negative depth.",
        config.l2 < 0 or config.l1 < 0: "The L1 and L2 penalties cannot be negative.",
        not 0 <= config.dropout < 1: "The dropout rate is a probability below 1: at 1 every unit would be dropped.",
        config.augment < 0: "The augmentation jitter cannot be negative.",
        config.patience < 0: "The patience cannot be negative (0 turns early stopping off).",
        config.ensemble < 1: "Bagging needs at least 1 model.",
        config.steps < 1: "Train for at least 1 step.",
        not config.lr > 0: "The learning rate must be positive.",
    }
    for bad, sentence in problems.items():
        if bad:
            raise ValueError(sentence)


# --- data and model ------------------------------------------------------------------------------------------


def make_data(config: FitConfig, generator: torch.Generator) -> FitData:
    """The training and validation sets, drawn from `generator` (CPU tensors)."""
    if config.task == "regression":
        X_train, y_train = _sine(config.points, config.noise, generator)
        X_val, y_val = _sine(config.val_points, config.noise, generator)
        return FitData(X_train, y_train, X_val, y_val, torch.zeros(config.points, dtype=torch.bool))
    X_train, labels = _moons(config.points, generator)
    X_val, y_val = _moons(config.val_points, generator)
    flipped = torch.zeros(config.points, dtype=torch.bool)
    flipped[torch.randperm(config.points, generator=generator)[:round(config.noise * config.points)]] = True
    y_train = torch.where(flipped, 1 - labels, labels)  # the model is trained on these labels
    return FitData(X_train, y_train, X_val, y_val, flipped)  # validation labels stay clean


def _sine(n: int, noise: float, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    x = torch.rand(n, 1, generator=generator) * 2 - 1  # (n, 1) uniform on [-1, 1]
    return x, target(x[:, 0]) + noise * torch.randn(n, generator=generator)  # (n, 1), (n,)


def _moons(n: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    X, y = moons(n, MOONS_JITTER, 2, generator)
    return X - torch.tensor(MOONS_CENTRE), y.float()  # (n, 2), (n,)


def build_net(config: FitConfig, in_features: int) -> nn.Sequential:
    """in -> [Linear -> BatchNorm -> ReLU -> Dropout] per hidden layer -> Linear -> one output."""
    layers, fan_in = [], in_features
    for _ in range(config.depth):
        layers.append(nn.Linear(fan_in, config.width))
        if config.batchnorm:
            layers.append(nn.BatchNorm1d(config.width))
        layers.append(nn.ReLU())
        if config.dropout > 0:
            layers.append(nn.Dropout(config.dropout))
        fan_in = config.width
    layers.append(nn.Linear(fan_in, 1))  # regression: ŷ; classification: the logit of P(class 1)
    return nn.Sequential(*layers)


def weights(net: nn.Module) -> list[Tensor]:
    """The linear layers' weight matrices: what L1 and L2 penalise (biases and batch-norm parameters are not)."""
    return [m.weight for m in net.modules() if isinstance(m, nn.Linear)]


def penalty(net: nn.Module, l2: float, l1: float) -> Tensor:
    """λ₂·Σw² + λ₁·Σ|w| over the weights.

    The L2 term is added to the loss, so Adam sees its gradient 2λ₂w and rescales it like any other gradient:
    the same as torch.optim.Adam(weight_decay=2λ₂) on the weights. AdamW's weight decay is a different thing: it
    shrinks the weights directly, outside Adam's rescaling, and is not an L2 term once the optimizer is adaptive.
    """
    return _penalty(weights(net), l2, l1)


def _penalty(ws: list[Tensor], l2: float, l1: float) -> Tensor:
    total = torch.zeros((), device=ws[0].device)
    for w in ws:
        if l2:
            total = total + l2 * (w * w).sum()
        if l1:
            total = total + l1 * w.abs().sum()
    return total


def data_loss(task: str, outputs: Tensor, y: Tensor) -> Tensor:
    """Mean squared error, or binary cross-entropy on the logits: (n,) outputs and targets -> a scalar."""
    if task == "regression":
        return nn.functional.mse_loss(outputs, y)
    return nn.functional.binary_cross_entropy_with_logits(outputs, y)


def average(task: str, outputs: Tensor) -> Tensor:
    """The ensemble's prediction from its models' outputs, (K, n) -> (n,).

    Regression: the mean ŷ. Classification: the mean probability, given back as its logit, log(p̄ / (1 − p̄)),
    computed in log space so that confident models cannot overflow it.
    """
    if task == "regression":
        return outputs.mean(0)
    log_p = nn.functional.logsigmoid(outputs)  # (K, n) log P(class 1)
    log_q = nn.functional.logsigmoid(-outputs)  # (K, n) log P(class 0)
    return torch.logsumexp(log_p, 0) - torch.logsumexp(log_q, 0)  # the log K of the two means cancels


def accuracy(outputs: Tensor, y: Tensor) -> float:
    return ((outputs > 0).float() == y).float().mean().item()


@torch.no_grad()
def outputs(net: nn.Module, X: Tensor) -> Tensor:
    """The network's prediction in evaluation mode (no dropout; batch norm's running statistics): (n, d) -> (n,)."""
    training = net.training
    net.eval()
    out = net(X)[:, 0]  # (n,)
    net.train(training)
    return out


# --- training ------------------------------------------------------------------------------------------------


def run_fit(config: FitConfig, on_report: Report | None = None, should_stop=None, deadline=None) -> FitResult:
    """Train the model (or the bagged models, in turn) with the chosen remedies, and gather what the page plots."""
    return fit_result(fit_models(config, on_report, should_stop, deadline))


def fit_models(config: FitConfig, on_report: Report | None = None, should_stop=None, deadline=None) -> Fitted:
    """Train config.ensemble models one after another under one Stop and one deadline."""
    check(config)
    device = pick_device(config.device or None)
    generator = torch.Generator().manual_seed(config.seed)
    cpu = make_data(config, generator)
    data = FitData(*(t.to(device) for t in (cpu.X_train, cpu.y_train, cpu.X_val, cpu.y_val, cpu.flipped)))
    job = InTurn(on_report, should_stop, deadline, "model")
    members = []
    # Dropout masks come from torch's global generator: seed it here, and give it back untouched afterwards.
    with torch.random.fork_rng(devices=_cuda_devices(device)):
        torch.manual_seed(config.seed)
        for _, hooks in job.runs(range(1, config.ensemble + 1)):
            n = config.points
            indices = torch.randint(n, (n,), generator=generator) if config.ensemble > 1 else torch.arange(n)
            net = build_net(config, data.X_train.shape[1])
            init_uniform(net, generator)
            members.append(_train(net.to(device), data, indices, config, hooks, generator))
            job.done(members[-1].status, config.steps)
    seconds = sum(m.outcome.seconds for m in members)
    return Fitted(config, device, data, members, job.status, seconds)


def _cuda_devices(device: torch.device) -> list[int]:
    if device.type != "cuda":
        return []
    return [device.index if device.index is not None else torch.cuda.current_device()]


def _state(net: nn.Module) -> dict[str, Tensor]:
    return {name: t.detach().clone() for name, t in net.state_dict().items()}


def _train(net: nn.Sequential, data: FitData, indices: Tensor, config: FitConfig, hooks: Hooks,
           generator: torch.Generator) -> Member:
    """Full-batch Adam on the points `indices` picks, with the chosen remedies; evaluations every REPORT_EVERY steps."""
    X = data.X_train[indices.to(data.X_train.device)]  # (n, d) this model's training points
    y = data.y_train[indices.to(data.X_train.device)]  # (n,)
    # No weight_decay: the L2 term is in the loss. foreach: one update for all tensors (faster on a CPU).
    optimizer = torch.optim.Adam(net.parameters(), lr=config.lr, foreach=True)
    penalised = weights(net) if config.l2 or config.l1 else []
    member = Member(net, indices.numpy(), TrainOutcome("finished", "", 0, 0.0), "finished", 0, 0, [], [], [])
    early = {"best": math.inf, "since": 0, "stop": False, "best_state": None, "last_good": _state(net)}

    def step(_: int) -> float:
        xb = X
        if config.augment > 0:  # fresh jitter every step: the model never sees the same inputs twice
            xb = X + config.augment * torch.randn(X.shape, generator=generator).to(X.device)  # (n, d)
        loss = data_loss(config.task, net(xb)[:, 0], y)
        if penalised:
            loss = loss + _penalty(penalised, config.l2, config.l1)
        value = loss.item()
        if math.isfinite(value):  # a diverged loss must not move the weights
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        return value

    def measure(i: int, _: float) -> dict:
        train_out, val_out = outputs(net, data.X_train), outputs(net, data.X_val)  # (n,), (n_val,)
        row = _metrics(config.task, train_out, val_out, data)
        if not all(math.isfinite(v) for v in row.values()):
            return row  # the loop sees it and stops as diverged
        member.steps.append(i)
        member.train_outputs.append(train_out)
        member.val_outputs.append(val_out)
        early["last_good"] = _state(net)
        if row["val_loss"] < early["best"]:
            early.update(best=row["val_loss"], since=0, best_state=early["last_good"])
            member.best_step = i
        else:
            early["since"] += 1
            early["stop"] = 0 < config.patience <= early["since"]
        return row

    net.train()  # dropout drops, batch norm uses the batch's statistics; `outputs` switches to eval and back
    asked = hooks.should_stop
    stop = lambda: early["stop"] or (asked is not None and asked())  # early stopping ends the loop like Stop does
    outcome = loop(step, config.steps, REPORT_EVERY, Hooks(hooks.on_report, stop, hooks.deadline), measure,
                   advice="Try a smaller penalty or fewer layers.")
    member.outcome, member.status = outcome, outcome.status
    if early["stop"]:
        member.status, member.stopped_step = "finished", outcome.steps_done
    if config.patience > 0 and early["best_state"] is not None:
        net.load_state_dict(early["best_state"])  # early stopping keeps the best evaluation's weights
    else:
        member.best_step = 0
        if outcome.status == "diverged":
            net.load_state_dict(early["last_good"])  # the last weights whose losses were finite
    return member


def _metrics(task: str, train_out: Tensor, val_out: Tensor, data: FitData) -> dict:
    """Training and validation loss (and accuracy) of outputs on the whole training and validation sets."""
    row = {"train_loss": data_loss(task, train_out, data.y_train).item(),
           "val_loss": data_loss(task, val_out, data.y_val).item()}
    if task == "classification":
        row |= {"train_acc": accuracy(train_out, data.y_train), "val_acc": accuracy(val_out, data.y_val)}
    return row


# --- the result ----------------------------------------------------------------------------------------------


def fit_result(fitted: Fitted) -> FitResult:
    """Plain data for the page: curves, final losses, the fitted function, the points and the code."""
    config, data, members = fitted.config, fitted.data, fitted.members  # the first model always starts
    task = config.task
    train_out = average(task, torch.stack([outputs(m.net, data.X_train) for m in members]))  # (n,)
    val_out = average(task, torch.stack([outputs(m.net, data.X_val) for m in members]))  # (n_val,)
    final = {k: v if math.isfinite(v) else 0.0 for k, v in _metrics(task, train_out, val_out, data).items()}
    x_grid, y_grid, fits, truth = _grids(fitted)
    single = members[0] if config.ensemble == 1 else None
    stats = np.array([_weight_stats(m.net, config.lr) for m in members])  # (models, 2)
    as_numpy = lambda t: t.cpu().numpy()
    result = FitResult(
        config=config, status=fitted.status, message="", device=describe(fitted.device), seconds=fitted.seconds,
        steps_done=sum(m.outcome.steps_done for m in members), history=_history(fitted),
        model_history=_model_history(members), models=_models_frame(fitted), train_loss=final["train_loss"],
        val_loss=final["val_loss"], gap=final["val_loss"] - final["train_loss"], train_acc=final.get("train_acc"),
        val_acc=final.get("val_acc"), best_step=single.best_step if single else 0,
        stopped_step=single.stopped_step if single else 0, loss_name=LOSS_NAMES[task],
        noise_floor=config.noise ** 2 if task == "regression" else 0.0, x_grid=x_grid, y_grid=y_grid,
        fit=fits.mean(0), member_fits=fits, truth=truth, X_train=as_numpy(data.X_train),
        y_train=as_numpy(data.y_train), X_val=as_numpy(data.X_val), y_val=as_numpy(data.y_val),
        flipped=as_numpy(data.flipped), resamples=np.stack([m.indices for m in members]),
        weight_norm=float(stats[:, 0].mean()), near_zero=float(stats[:, 1].mean()),
        first_layer=np.nan_to_num(as_numpy(weights(members[0].net)[0].detach())),
        ensemble_text=BAGGING_VS_BOOSTING if config.ensemble > 1 else "", code=fit_code(config))
    result.message = _message(result, members)
    return result


def _history(fitted: Fitted) -> pd.DataFrame:
    """The (averaged) prediction's losses at each evaluation step.

    A model whose training ended (early stopping, or the end of its steps) counts with its final weights at later
    steps; a step that some model has no evaluation for is left out.
    """
    task, members, data = fitted.config.task, fitted.members, fitted.data
    columns = ["step", "train_loss", "val_loss"] + ["train_acc", "val_acc"] * (task == "classification")
    finals = [(outputs(m.net, data.X_train), outputs(m.net, data.X_val)) for m in members]
    rows = []
    recorded = [{s: j for j, s in enumerate(m.steps)} for m in members]  # step -> evaluation index, per model
    for s in sorted({s for m in members for s in m.steps}):
        chosen = []
        for m, final, at in zip(members, finals, recorded, strict=True):
            if s in at:
                chosen.append((m.train_outputs[at[s]], m.val_outputs[at[s]]))
            elif not m.steps or s > m.steps[-1]:
                chosen.append(final)
            else:
                break
        else:
            train_out = average(task, torch.stack([c[0] for c in chosen]))
            val_out = average(task, torch.stack([c[1] for c in chosen]))
            row = {"step": s} | _metrics(task, train_out, val_out, data)
            if all(math.isfinite(v) for v in row.values()):
                rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def _model_history(members: list[Member]) -> pd.DataFrame:
    frames = [m.outcome.history.assign(model=k) for k, m in enumerate(members, 1) if len(m.outcome.history)]
    if not frames:
        return pd.DataFrame(columns=["model", "step", "batch_loss", "train_loss", "val_loss"])
    frame = pd.concat(frames, ignore_index=True)
    return frame[["model"] + [c for c in frame.columns if c != "model"]]


def _models_frame(fitted: Fitted) -> pd.DataFrame:
    """One row per model: what it trained on, how far it got, and its own final losses."""
    task, data = fitted.config.task, fitted.data
    columns = ["model", "points_seen", "distinct_points", "steps_done", "best_step", "stopped_step", "status",
               "train_loss", "val_loss"] + ["train_acc", "val_acc"] * (task == "classification")
    rows = []
    for k, m in enumerate(fitted.members, 1):
        own = _metrics(task, outputs(m.net, data.X_train), outputs(m.net, data.X_val), data)
        rows.append({"model": k, "points_seen": len(m.indices), "distinct_points": len(np.unique(m.indices)),
                     "steps_done": m.outcome.steps_done, "best_step": m.best_step, "stopped_step": m.stopped_step,
                     "status": m.status} | {name: v if math.isfinite(v) else 0.0 for name, v in own.items()})
    return pd.DataFrame(rows, columns=columns)


@torch.no_grad()
def _grids(fitted: Fitted) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """x axis, y axis, each model's prediction over the grid (K, ...), and the true function (regression)."""
    config, data, device = fitted.config, fitted.data, fitted.device
    if config.task == "regression":
        xs = torch.linspace(-1, 1, CURVE_POINTS)
        fits = [outputs(m.net, xs.view(-1, 1).to(device)) for m in fitted.members]  # (CURVE_POINTS,) each
        stacked = torch.stack(fits).cpu().numpy()  # (K, CURVE_POINTS)
        return xs.numpy(), np.zeros(0), np.nan_to_num(stacked), target(xs).numpy()
    X = torch.cat([data.X_train, data.X_val]).cpu()
    low, high = X.min(0).values - 0.3, X.max(0).values + 0.3
    xs = torch.linspace(low[0].item(), high[0].item(), GRID)
    ys = torch.linspace(low[1].item(), high[1].item(), GRID)
    gx, gy = torch.meshgrid(xs, ys, indexing="xy")  # (GRID, GRID) each, rows follow y
    points = torch.stack([gx.flatten(), gy.flatten()], 1).to(device)  # (GRID², 2)
    probs = [torch.sigmoid(outputs(m.net, points)).view(GRID, GRID) for m in fitted.members]
    stacked = torch.stack(probs).cpu().numpy()  # (K, GRID, GRID)
    return xs.numpy(), ys.numpy(), np.nan_to_num(stacked, nan=0.5), np.zeros(0)


@torch.no_grad()
def _weight_stats(net: nn.Module, lr: float) -> tuple[float, float]:
    """√Σw² and the share of weights within lr of zero, over every linear layer.

    Adam moves each weight by about lr a step whatever its gradient's size, so a weight that L1 pulls to zero
    never lands exactly on it: it hovers within about one step of zero. Within lr of zero counts as zero.
    """
    w = torch.cat([t.flatten() for t in weights(net)])
    norm, share = w.norm().item(), (w.abs() < lr).float().mean().item()
    return (norm if math.isfinite(norm) else 0.0), share


def _message(result: FitResult, members: list[Member]) -> str:
    config = result.config
    K = config.ensemble
    if result.status in STOPPED:
        why = "it reached the server's time limit" if result.status == "out of time" else "you pressed Stop"
        if result.steps_done == 0:
            return f"Stopped because {why}, before the first training step."
        last = members[-1]
        if K == 1:
            return f"Stopped because {why}, at step {last.outcome.steps_done} of {config.steps}."
        if last.outcome.status in STOPPED:
            so_far = "is that model, part-trained" if len(members) == 1 else \
                f"averages the {len(members)} models so far, the last one part-trained"
            return (f"Stopped because {why}, at step {last.outcome.steps_done} of {config.steps} of model "
                    f"{len(members)} of {K}; the result {so_far}.")
        return f"Stopped because {why}, after model {len(members)} of {K}; the result averages those {len(members)}."
    if result.status == "diverged":
        which = next((k for k, m in enumerate(members, 1) if m.status == "diverged"), 1)
        text = members[which - 1].outcome.message
        return f"Model {which} of {K}: {text}" if K > 1 else text
    sentences = []
    if K > 1:
        sentences.append(f"{K} models, each trained on its own bootstrap resample of the {config.points} points; "
                         "their predictions are averaged.")
    if config.patience > 0:
        stopped = [m for m in members if m.stopped_step]
        if K == 1 and stopped:
            sentences.append(f"Early stopping ended training at step {result.stopped_step} of {config.steps} and "
                             f"restored the weights from step {result.best_step}, where the validation loss was "
                             "lowest.")
        elif K == 1:
            sentences.append(f"Training ran all {config.steps} steps; early stopping restored the weights from step "
                             f"{result.best_step}, where the validation loss was lowest.")
        else:
            sentences.append(f"Early stopping ended {len(stopped)} of the {K} models early; each keeps the weights "
                             "of its lowest validation loss.")
    sentences.append(f"Training loss {result.train_loss:.4f}, validation loss {result.val_loss:.4f} "
                     f"({result.loss_name}): a gap of {result.gap:.4f}.")
    if config.task == "regression" and config.noise > 0:
        sentences.append(f"Even the true function scores about {result.noise_floor:.4f} on validation points, the "
                         "variance of their noise.")
    if config.task == "classification":
        sentences.append(f"Accuracy {result.train_acc:.0%} on the training labels ({int(result.flipped.sum())} of "
                         f"them flipped) and {result.val_acc:.0%} on clean validation labels.")
    return " ".join(sentences)


# --- the code ------------------------------------------------------------------------------------------------


def fit_code(config: FitConfig) -> str:
    """A PyTorch script: the data, the model and its training with the chosen remedies (the moons come from
    this app's engine.datasets)."""
    c = config
    layers, fan_in = [], 1 if c.task == "regression" else 2
    for _ in range(c.depth):
        parts = [f"nn.Linear({fan_in}, {c.width})"] + [f"nn.BatchNorm1d({c.width})"] * c.batchnorm + ["nn.ReLU()"]
        layers.append(", ".join(parts + [f"nn.Dropout(p={c.dropout:g})"] * (c.dropout > 0)) + ",")
        fan_in = c.width
    layers.append(f"nn.Linear({fan_in}, 1),")
    lines = ["import copy"] * (c.patience > 0) + ["", "import torch", "from torch import nn"]
    if c.task == "regression":
        lines += ["", f"g = torch.Generator().manual_seed({c.seed})",
                  "",
                  "",
                  "def sine(n):  # x ~ U(-1, 1), y = sin(1.5πx) + noise",
                  "    x = torch.rand(n, 1, generator=g) * 2 - 1",
                  f"    return x, torch.sin({FREQUENCY:g} * torch.pi * x[:, 0]) + {c.noise:g} * torch.randn(n, "
                  "generator=g)",
                  "",
                  "",
                  f"X_train, y_train = sine({c.points})",
                  f"X_val, y_val = sine({c.val_points})  # the same distribution, never trained on",
                  "loss_fn = nn.functional.mse_loss"]
    else:
        lines += ["", "from engine.datasets import moons", "",
                  f"g = torch.Generator().manual_seed({c.seed})",
                  f"centre = torch.tensor({list(MOONS_CENTRE)})",
                  f"X_train, y_train = moons({c.points}, {MOONS_JITTER:g}, 2, g)",
                  f"X_val, y_val = moons({c.val_points}, {MOONS_JITTER:g}, 2, g)  # clean labels, never trained on",
                  f"flip = torch.randperm({c.points}, generator=g)[:{round(c.noise * c.points)}]",
                  "y_train[flip] = 1 - y_train[flip]  # label noise: the model can only memorise these",
                  "X_train, X_val, y_train, y_val = X_train - centre, X_val - centre, y_train.float(), y_val.float()",
                  "loss_fn = nn.functional.binary_cross_entropy_with_logits  # one output: the logit of P(class 1)"]
    lines += ["", "",
              "def make_net():",
              "    return nn.Sequential(",
              *(f"        {layer}" for layer in layers),
              "    )",
              "",
              "",
              "def train(X, y):",
              "    net = make_net()",
              f"    optimizer = torch.optim.Adam(net.parameters(), lr={c.lr:g})  # no weight_decay: L2 is in the loss",
              "    weights = [m.weight for m in net if isinstance(m, nn.Linear)]  # biases are not penalised"]
    if c.patience:
        lines.append("    best, best_state, since = float('inf'), None, 0")
    lines += [f"    for step in range(1, {c.steps + 1}):",
              "        net.train()" + ("  # dropout drops units; batch norm uses this batch's statistics"
                                     if c.dropout or c.batchnorm else "")]
    if c.augment:
        lines.append(f"        x = X + {c.augment:g} * torch.randn_like(X)  # augmentation: fresh jitter every step")
    lines.append(f"        loss = loss_fn(net({'x' if c.augment else 'X'})[:, 0], y)")
    if c.l2:
        lines.append(f"        loss = loss + {c.l2:g} * sum((w ** 2).sum() for w in weights)  # L2: λ·Σw²")
    if c.l1:
        lines.append(f"        loss = loss + {c.l1:g} * sum(w.abs().sum() for w in weights)  # L1: λ·Σ|w|")
    lines += ["        optimizer.zero_grad()", "        loss.backward()", "        optimizer.step()"]
    if c.patience:
        lines += [f"        if step % {REPORT_EVERY} == 0:  # early stopping, judged on the validation set",
                  "            net.eval()",
                  "            with torch.no_grad():",
                  "                val_loss = loss_fn(net(X_val)[:, 0], y_val).item()",
                  "            if val_loss < best:",
                  "                best, best_state, since = val_loss, copy.deepcopy(net.state_dict()), 0",
                  "            else:",
                  "                since += 1",
                  f"                if since == {c.patience}:  # patience",
                  "                    break",
                  "    net.load_state_dict(best_state)  # back to the weights with the lowest validation loss"]
    lines += ["    return net.eval()  # no dropout; batch norm uses its running statistics", "", ""]
    if c.ensemble > 1:
        lines += [f"nets = []  # bagging: {c.ensemble} models, each on its own bootstrap resample",
                  f"for _ in range({c.ensemble}):",
                  f"    idx = torch.randint({c.points}, ({c.points},), generator=g)  # drawn with replacement",
                  "    nets.append(train(X_train[idx], y_train[idx]))"]
    else:
        lines.append("nets = [train(X_train, y_train)]")
    lines.append("with torch.no_grad():" + ("  # the models' predictions, averaged" if c.ensemble > 1 else ""))
    if c.task == "regression":
        lines += ["    y_hat = torch.stack([net(X_val)[:, 0] for net in nets]).mean(0)",
                  "    print('validation loss', nn.functional.mse_loss(y_hat, y_val).item())"]
    else:
        lines += ["    p = torch.stack([torch.sigmoid(net(X_val)[:, 0]) for net in nets]).mean(0)",
                  "    print('validation loss', nn.functional.binary_cross_entropy(p, y_val).item())"]
    return "\n".join(lines).lstrip("\n") + "\n"
