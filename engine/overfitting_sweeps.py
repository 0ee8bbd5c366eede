"""Overfitting on a 1-D regression: validation error against capacity, learning curves, bias and variance.

The task: x ~ U(-1, 1), y = sin(1.5πx) + N(0, noise²), fitted by a ReLU MLP with Adam on the full
batch and the mean squared error. Validation uses VAL_POINTS fresh points from the same
distribution, noise included, so even the true function scores noise² there: that is the floor.

Each sweep trains all its networks together in one stacked run (engine.batched): networks of
different widths share it through unit masks, and networks on different training sets through
per-copy rows. Every network is exactly the one the sweep's `code` trains alone with torch.optim.
"""

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from engine.batched import (
    StackedMLP,
    StackedOptimizer,
    StackedTrainer,
    copy_mse,
    initial_net,
    stack_copies,
    stack_nets,
    summary_loss,
)
from engine.device import describe
from engine.trainer import Hooks, Report, TrainOutcome, loop

FREQUENCY = 1.5 * math.pi  # the true function is sin(FREQUENCY · x)
VAL_POINTS = 200  # fresh validation points, noisy like the training points
GRID_POINTS = 201  # evenly spaced x in [-1, 1] where fitted curves are drawn and bias and variance measured
BIAS_VARIANCE_DEPTH = 2  # hidden layers of the bias-variance models
REPORTS = 100  # history rows per copy (about): a report every steps // REPORTS steps
DEVICE = torch.device("cpu")  # networks this small train fastest on the CPU
ADVICE = "Try a smaller learning rate."


def true_function(x: Tensor) -> Tensor:
    return torch.sin(FREQUENCY * x)


def sine_data(n: int, noise: float, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """n points: x ~ U(-1, 1) as (n, 1), y = sin(1.5πx) + N(0, noise²) as (n,)."""
    X = torch.rand(n, 1, generator=generator) * 2 - 1  # (n, 1)
    y = true_function(X[:, 0]) + noise * torch.randn(n, generator=generator)  # (n,)
    return X, y


def grid() -> Tensor:
    return torch.linspace(-1, 1, GRID_POINTS).view(-1, 1)  # (GRID_POINTS, 1)


def parameter_count(width: int, depth: int) -> int:
    """Weights and biases of a 1-input, 1-output MLP with `depth` hidden layers of `width` units."""
    return 2 * width + (depth - 1) * (width * width + width) + width + 1  # first layer, the others, the output


def _number(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _check(values: tuple[int, ...], name: str) -> None:
    if not values or min(values) < 1 or len(set(values)) != len(values):
        raise ValueError(f"Give at least one {name}, each a positive whole number and none twice.")


def _check_common(noise: float, steps: int, lr: float, depth: int = 1) -> None:
    if noise < 0:
        raise ValueError("The noise level cannot be negative.")
    if steps < 1 or lr <= 0:
        raise ValueError("Train for at least one step, with a positive learning rate.")
    if depth < 1:
        raise ValueError("The network needs at least one hidden layer.")


def _fast_relu(model: StackedMLP) -> StackedMLP:
    """The same model with nn.ReLU: engine.activations' relu on every finite input, several times faster."""
    model.activations = [nn.ReLU()] * len(model.activations)
    return model


def _nets(widths, depth: int, state: Tensor) -> list:
    """One MLP per width, each initialised from the same generator state (PyTorch's default init)."""
    nets = []
    for width in widths:
        generator = torch.Generator()
        generator.set_state(state)
        nets.append(initial_net(1, width, depth, "relu", 1, generator))
    return nets


# --- one stacked, full-batch training run ----------------------------------------------------


@dataclass
class StackedFit:
    outcome: TrainOutcome
    trainer: StackedTrainer
    history: pd.DataFrame  # long form: step, copy, train_loss, val_loss; finite values only


def fit_stacked(model: StackedMLP, X: Tensor, y: Tensor, X_val: Tensor, y_val: Tensor, lr: float, steps: int,
                hooks: Hooks, report: Callable[[np.ndarray, np.ndarray], dict],
                row_mask: Tensor | None = None) -> StackedFit:
    """Full-batch Adam on every copy at once; at each report, every copy's training and validation MSE.

    `report(train, val)` turns the per-copy losses (NaN for a diverged copy) into the progress report.
    """
    model = _fast_relu(model)
    optimizer = StackedOptimizer("adam", model.parameters(), [lr] * model.copies)
    trainer = StackedTrainer(model, optimizer, X, y, itertools.repeat(None), loss=copy_mse, row_mask=row_mask)
    rows: list[tuple[int, int, float, float]] = []

    def measure(step: int, _: float) -> dict:
        train, val = trainer.losses(X, y, row_mask), trainer.losses(X_val, y_val)
        rows.extend((step, k, float(t), float(v)) for k, (t, v) in enumerate(zip(train, val, strict=True))
                    if math.isfinite(t) and math.isfinite(v))
        return report(train, val)

    outcome = loop(lambda i: summary_loss(trainer.step(i)), steps, max(1, steps // REPORTS), hooks, measure, ADVICE)
    trainer.freeze_nonfinite(outcome.steps_done)
    history = pd.DataFrame(rows, columns=["step", "copy", "train_loss", "val_loss"]).astype(
        {"step": int, "copy": int, "train_loss": float, "val_loss": float})
    return StackedFit(outcome, trainer, history)


def _finite(keys: list[str], values: np.ndarray) -> dict:
    return {key: float(v) for key, v in zip(keys, values, strict=True) if math.isfinite(v)}


def _diverged_sentence(fit: StackedFit, names: list[str]) -> str:
    which = [f"{name} at step {step}" for name, step in zip(names, fit.trainer.diverged_at, strict=True) if step]
    return f" Diverged: {', '.join(which)}." if which else ""


def _last(fit: StackedFit) -> str:
    """" (the last at step k)": where the last copy to diverge stopped."""
    return f" (the last at step {max(fit.trainer.diverged_at)})" if max(fit.trainer.diverged_at) else ""


def _status(fit: StackedFit) -> str:
    """The loop's status, or "diverged" when every copy diverged."""
    return "diverged" if fit.trainer.frozen.all() else fit.outcome.status


def _history(fit: StackedFit, column: str, labels) -> pd.DataFrame:
    """The fit's history with `copy` replaced by each copy's label (a width or a size)."""
    h = fit.history
    return pd.DataFrame({"step": h["step"].to_numpy(), column: np.asarray(labels)[h["copy"].to_numpy()],
                         "train_loss": h["train_loss"].to_numpy(), "val_loss": h["val_loss"].to_numpy()})


@torch.no_grad()
def _predictions(model: StackedMLP) -> np.ndarray:
    return model(grid())[:, :, 0].double().numpy()  # (K, GRID_POINTS)


def _plottable(predictions: np.ndarray, frozen: np.ndarray) -> np.ndarray:
    """(K, grid) predictions with the rows of diverged copies, or of any non-finite value, set to 0."""
    return np.where((~frozen & np.isfinite(predictions).all(1))[:, None], predictions, 0.0)


def _code(data: str, width: int, depth: int, lr: float, steps: int, seed: int) -> str:
    """A standalone script: one of the sweep's networks trained alone by torch.optim, as the sweep trains it."""
    layers = ["    nn.Linear(1, width), nn.ReLU(),"] + ["    nn.Linear(width, width), nn.ReLU(),"] * (depth - 1)
    layers.append("    nn.Linear(width, 1),")
    newline = "\n"
    every = max(1, steps // 10)
    return f'''import torch
from torch import nn

from engine.overfitting_sweeps import sine_data  # x ~ U(-1, 1), y = sin(1.5πx) + N(0, noise²)

g = torch.Generator().manual_seed({seed})  # the data, then the initial weights
{data}
width = {width}
net = nn.Sequential(
{newline.join(layers)}
)
with torch.no_grad():  # PyTorch's default init, drawn from our generator
    for layer in net:
        if isinstance(layer, nn.Linear):
            bound = 1 / layer.in_features ** 0.5
            nn.init.uniform_(layer.weight, -bound, bound, generator=g)
            nn.init.uniform_(layer.bias, -bound, bound, generator=g)
optimizer = torch.optim.Adam(net.parameters(), lr={lr:g})
loss_fn = nn.MSELoss()

for step in range(1, {steps + 1}):
    loss = loss_fn(net(X_train).squeeze(1), y_train)  # full batch
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % {every} == 0:
        with torch.no_grad():
            train_mse = loss_fn(net(X_train).squeeze(1), y_train).item()
            val_mse = loss_fn(net(X_val).squeeze(1), y_val).item()
        print(f"step {{step}}: training MSE {{train_mse:.4f}}, validation MSE {{val_mse:.4f}}")
'''


# --- 1. validation error against capacity ----------------------------------------------------


@dataclass(frozen=True)
class CapacityConfig:
    widths: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64, 128)  # units per hidden layer: the capacity axis
    depth: int = 2  # hidden layers
    # With 20 points and noise 0.3 the wide networks overfit only a little at most seeds; with more noise to
    # fit they overfit visibly, and validation error rises again from width 8 on.
    points: int = 30  # training points
    noise: float = 0.5  # std of the noise on every y, training and validation
    steps: int = 2000  # full-batch Adam updates
    lr: float = 0.01
    seed: int = 0  # the data and the initial weights


TINY_CAPACITY = CapacityConfig(widths=(1, 4), steps=2)  # trains in a few milliseconds


@dataclass
class WidthFit:
    width: int
    parameters: int
    train_mse: float | None  # at the end; None for a diverged network
    val_mse: float | None
    diverged_at: int  # 0: never


@dataclass
class CapacityResult:
    config: CapacityConfig
    status: str  # "finished", "diverged" (every width), "cancelled" or "out of time"
    message: str
    steps_done: int
    seconds: float
    device: str
    history: pd.DataFrame  # long form: step, width, train_loss, val_loss
    fits: list[WidthFit]  # one per width, in the config's order
    best_width: int | None  # the lowest validation MSE
    X_train: np.ndarray  # (points,)
    y_train: np.ndarray  # (points,)
    grid: np.ndarray  # (GRID_POINTS,)
    truth: np.ndarray  # (GRID_POINTS,) sin(1.5πx)
    predictions: np.ndarray  # (widths, GRID_POINTS); a diverged width's row is 0
    code: str  # the best width trained alone by a plain torch.optim loop

    @property
    def cacheable(self) -> bool:
        return self.status != "out of time"

    @property
    def table(self) -> pd.DataFrame:
        """One row per width (NaN where a diverged width has no value; for tables, not charts)."""
        return pd.DataFrame([vars(f) for f in self.fits])


def capacity_steps(config: CapacityConfig) -> int:
    return config.steps


def capacity_key(kind: str, width: int) -> str:
    """A width's name in progress reports, e.g. "val_w=8"."""
    return f"{kind}_w={width}"


def run_capacity_sweep(config: CapacityConfig, on_report: Report | None = None, should_stop=None,
                       deadline=None) -> CapacityResult:
    """Train one network per width, all in one stacked run, and compare training and validation MSE."""
    _check(config.widths, "width")
    _check_common(config.noise, config.steps, config.lr, config.depth)
    if config.points < 1:
        raise ValueError("Train on at least one point.")
    hooks = Hooks(on_report, should_stop, deadline)
    generator = torch.Generator().manual_seed(config.seed)
    X, y = sine_data(config.points, config.noise, generator)
    X_val, y_val = sine_data(VAL_POINTS, config.noise, generator)
    model = stack_nets(_nets(config.widths, config.depth, generator.get_state()))
    keys = [(capacity_key("train", w), capacity_key("val", w)) for w in config.widths]

    def report(train: np.ndarray, val: np.ndarray) -> dict:
        return _finite([t for t, _ in keys], train) | _finite([v for _, v in keys], val)

    fit = fit_stacked(model, X, y, X_val, y_val, config.lr, config.steps, hooks, report)
    train, val = fit.trainer.losses(X, y), fit.trainer.losses(X_val, y_val)
    fits = [WidthFit(w, parameter_count(w, config.depth), _number(t), _number(v), step)
            for w, t, v, step in zip(config.widths, train, val, fit.trainer.diverged_at, strict=True)]
    scored = [f for f in fits if f.val_mse is not None]
    best = min(scored, key=lambda f: f.val_mse).width if scored else None
    status = _status(fit)
    message = _capacity_message(fit, status, fits, best, config)
    return CapacityResult(config, status, message, fit.outcome.steps_done, fit.outcome.seconds, describe(DEVICE),
                          _history(fit, "width", config.widths), fits, best, X[:, 0].numpy(), y.numpy(),
                          grid()[:, 0].numpy(), true_function(grid()[:, 0]).numpy(),
                          _plottable(_predictions(fit.trainer.model), fit.trainer.frozen),
                          capacity_code(config, best or config.widths[0]))


def _capacity_message(fit: StackedFit, status: str, fits: list[WidthFit], best: int | None,
                      config: CapacityConfig) -> str:
    if status == "diverged" or best is None:
        return f"Every width diverged{_last(fit)}: the loss became NaN or infinite. {ADVICE}"
    scored = [f for f in fits if f.val_mse is not None]
    best_fit = next(f for f in fits if f.width == best)
    narrow, wide = min(scored, key=lambda f: f.width), max(scored, key=lambda f: f.width)
    sentences = [fit.outcome.message + _diverged_sentence(fit, [f"width {w}" for w in config.widths]),
                 f"The lowest validation MSE, {best_fit.val_mse:.3f}, came from width {best}.",
                 f"Width {narrow.width} ends at training MSE {narrow.train_mse:.3f} and validation MSE "
                 f"{narrow.val_mse:.3f}; width {wide.width} at {wide.train_mse:.3f} and {wide.val_mse:.3f}.",
                 f"The noise alone costs {config.noise ** 2:.3f} on validation: no model can score below that."]
    return " ".join(sentences)


def capacity_code(config: CapacityConfig, width: int) -> str:
    n, noise = config.points, f"{config.noise:g}"
    data = (f"X_train, y_train = sine_data({n}, noise={noise}, generator=g)  # ({n}, 1), ({n},)\n"
            f"X_val, y_val = sine_data({VAL_POINTS}, noise={noise}, generator=g)  # fresh points, noisy too\n")
    return _code(data, width, config.depth, config.lr, config.steps, config.seed)


# --- 2. learning curves: error against training-set size -------------------------------------


@dataclass(frozen=True)
class LearningCurveConfig:
    sizes: tuple[int, ...] = (5, 10, 20, 40, 80, 160)  # training points; each size trains its own network
    width: int = 64  # units per hidden layer
    depth: int = 2  # hidden layers
    noise: float = 0.3  # std of the noise on every y
    steps: int = 1500  # full-batch Adam updates
    lr: float = 0.01
    seed: int = 0  # the data and the initial weights, shared by every size


TINY_LEARNING_CURVE = LearningCurveConfig(sizes=(5, 20), width=8, steps=2)  # trains in a few milliseconds


@dataclass
class SizeFit:
    size: int  # training points
    train_mse: float | None  # on its own training points, at the end; None for a diverged network
    val_mse: float | None
    diverged_at: int  # 0: never


@dataclass
class LearningCurveResult:
    config: LearningCurveConfig
    status: str  # "finished", "diverged" (every size), "cancelled" or "out of time"
    message: str
    steps_done: int
    seconds: float
    device: str
    history: pd.DataFrame  # long form: step, size, train_loss, val_loss
    fits: list[SizeFit]  # one per size, in the config's order
    code: str  # the largest size trained alone by a plain torch.optim loop

    @property
    def cacheable(self) -> bool:
        return self.status != "out of time"

    @property
    def table(self) -> pd.DataFrame:
        """One row per size, with the gap between validation and training MSE (NaN where diverged)."""
        table = pd.DataFrame([vars(f) for f in self.fits])
        return table.assign(gap=table["val_mse"].astype(float) - table["train_mse"].astype(float))


def learning_curve_steps(config: LearningCurveConfig) -> int:
    return config.steps


def size_key(kind: str, size: int) -> str:
    """A size's name in progress reports, e.g. "val_n=20"."""
    return f"{kind}_n={size}"


def run_learning_curves(config: LearningCurveConfig, on_report: Report | None = None, should_stop=None,
                        deadline=None) -> LearningCurveResult:
    """Train one network per training-set size, all in one stacked run: size n trains on the first n points."""
    _check(config.sizes, "training-set size")
    if config.width < 1:
        raise ValueError("The network needs at least one unit per hidden layer.")
    _check_common(config.noise, config.steps, config.lr, config.depth)
    hooks = Hooks(on_report, should_stop, deadline)
    generator = torch.Generator().manual_seed(config.seed)
    X, y = sine_data(max(config.sizes), config.noise, generator)  # every size's points are the first n of these
    X_val, y_val = sine_data(VAL_POINTS, config.noise, generator)
    net = initial_net(1, config.width, config.depth, "relu", 1, generator)
    sizes = torch.tensor(config.sizes).view(-1, 1)  # (K, 1)
    row_mask = (torch.arange(len(X)) < sizes).float()  # (K, n): copy k trains on its first sizes[k] points
    keys = [(size_key("train", n), size_key("val", n)) for n in config.sizes]

    def report(train: np.ndarray, val: np.ndarray) -> dict:
        return _finite([t for t, _ in keys], train) | _finite([v for _, v in keys], val)

    fit = fit_stacked(stack_copies(net, len(config.sizes)), X, y, X_val, y_val, config.lr, config.steps, hooks,
                      report, row_mask)
    train, val = fit.trainer.losses(X, y, row_mask), fit.trainer.losses(X_val, y_val)
    fits = [SizeFit(n, _number(t), _number(v), step)
            for n, t, v, step in zip(config.sizes, train, val, fit.trainer.diverged_at, strict=True)]
    status = _status(fit)
    return LearningCurveResult(config, status, _learning_message(fit, status, fits, config), fit.outcome.steps_done,
                               fit.outcome.seconds, describe(DEVICE), _history(fit, "size", config.sizes), fits,
                               learning_curve_code(config, max(config.sizes)))


def _learning_message(fit: StackedFit, status: str, fits: list[SizeFit], config: LearningCurveConfig) -> str:
    scored = sorted((f for f in fits if f.val_mse is not None), key=lambda f: f.size)
    if status == "diverged" or not scored:
        return f"Every size diverged{_last(fit)}: the loss became NaN or infinite. {ADVICE}"
    sentences = [fit.outcome.message + _diverged_sentence(fit, [f"{n} points" for n in config.sizes])]
    small, large = scored[0], scored[-1]
    sentences.append(f"With {small.size} points the validation MSE is {small.val_mse:.3f} against "
                     f"{small.train_mse:.3f} on training (a gap of {small.val_mse - small.train_mse:.3f}); with "
                     f"{large.size} it is {large.val_mse:.3f} against {large.train_mse:.3f} "
                     f"(a gap of {large.val_mse - large.train_mse:.3f}).")
    sentences.append(f"The noise alone costs {config.noise ** 2:.3f} on validation: no model can score below that.")
    return " ".join(sentences)


def learning_curve_code(config: LearningCurveConfig, size: int) -> str:
    pool = max(config.sizes)
    data = (f"X_pool, y_pool = sine_data({pool}, noise={config.noise:g}, generator=g)  # every size's first n\n"
            f"X_val, y_val = sine_data({VAL_POINTS}, noise={config.noise:g}, generator=g)  # fresh points, noisy too\n"
            f"X_train, y_train = X_pool[:{size}], y_pool[:{size}]  # this network's {size} points\n")
    return _code(data, config.width, config.depth, config.lr, config.steps, config.seed)


# --- 3. bias and variance --------------------------------------------------------------------


@dataclass(frozen=True)
class BiasVarianceConfig:
    widths: tuple[int, ...] = (2, 64)  # a simple and a flexible model
    resamples: int = 10  # training sets drawn afresh from the same distribution
    points: int = 20  # training points in each set
    noise: float = 0.3  # std of the noise on every y
    steps: int = 1500  # full-batch Adam updates
    lr: float = 0.01
    seed: int = 0  # the training sets, the validation points and the initial weights


TINY_BIAS_VARIANCE = BiasVarianceConfig(widths=(2, 8), resamples=3, steps=2)  # trains in a few milliseconds


@dataclass
class Spread:
    """One width's models, each trained on its own training set, measured on the grid against the true function."""

    width: int
    models: int  # the models that trained to the end (diverged ones are left out)
    bias2: float | None  # mean over the grid of (mean prediction - true f)²; None when no model is left
    variance: float | None  # mean over the grid of the predictions' variance across models (divided by models)
    noise2: float  # noise², the error no model can remove
    train_mse: float | None  # mean over the models, each on its own training set
    val_mse: float | None  # mean over the models, on the shared noisy validation points
    predictions: np.ndarray  # (models, GRID_POINTS)
    mean_prediction: np.ndarray  # (GRID_POINTS,), zeros when no model is left

    @property
    def expected_error(self) -> float | None:
        """bias² + variance + noise²: what the validation MSE estimates."""
        return None if self.bias2 is None else self.bias2 + self.variance + self.noise2


@dataclass
class BiasVarianceResult:
    config: BiasVarianceConfig
    status: str  # "finished", "diverged" (every model), "cancelled" or "out of time"
    message: str
    steps_done: int
    seconds: float
    device: str
    history: pd.DataFrame  # long form: step, width, resample, train_loss, val_loss
    spreads: list[Spread]  # one per width, in the config's order
    grid: np.ndarray  # (GRID_POINTS,)
    truth: np.ndarray  # (GRID_POINTS,) sin(1.5πx)
    X_train: np.ndarray  # (resamples, points): each training set
    y_train: np.ndarray  # (resamples, points)
    code: str  # the first width on the first training set, trained alone by a plain torch.optim loop

    @property
    def cacheable(self) -> bool:
        return self.status != "out of time"

    @property
    def table(self) -> pd.DataFrame:
        """One row per width: bias², variance, noise², their sum, and the measured errors."""
        return pd.DataFrame([{"width": s.width, "models": s.models, "bias2": s.bias2, "variance": s.variance,
                              "noise2": s.noise2, "sum": s.expected_error, "train_mse": s.train_mse,
                              "val_mse": s.val_mse} for s in self.spreads])


def bias_variance_steps(config: BiasVarianceConfig) -> int:
    return config.steps


def bias_variance(predictions: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """(bias², variance) of (models, grid) predictions against the true values on the grid.

    The variance divides by the number of models, so that bias² + variance is exactly the models'
    mean squared distance from the true function.
    """
    mean = predictions.mean(0)  # (grid,)
    return float(np.mean((mean - truth) ** 2)), float(np.mean(predictions.var(0)))


def run_bias_variance(config: BiasVarianceConfig, on_report: Report | None = None, should_stop=None,
                      deadline=None) -> BiasVarianceResult:
    """Per width, `resamples` networks on fresh training sets, all in one stacked run; their bias² and variance.

    The networks of one width all start from the same initial weights, so their differences come from
    their training sets alone.
    """
    _check(config.widths, "width")
    _check_common(config.noise, config.steps, config.lr)
    if config.resamples < 1 or config.points < 1:
        raise ValueError("Draw at least one training set of at least one point.")
    hooks = Hooks(on_report, should_stop, deadline)
    R = config.resamples
    generator = torch.Generator().manual_seed(config.seed)
    X_val, y_val = sine_data(VAL_POINTS, config.noise, generator)
    sets = [sine_data(config.points, config.noise, generator) for _ in range(R)]
    X = torch.stack([x for x, _ in sets])  # (R, points, 1)
    y = torch.stack([t for _, t in sets])  # (R, points)
    nets = _nets(config.widths, BIAS_VARIANCE_DEPTH, generator.get_state())
    model = stack_nets([net for net in nets for _ in range(R)])  # copy i·R + r: width i, training set r
    X_copies, y_copies = X.repeat(len(config.widths), 1, 1), y.repeat(len(config.widths), 1)  # (K, points, ·)
    keys = [(capacity_key("train", w), capacity_key("val", w)) for w in config.widths]

    def report(train: np.ndarray, val: np.ndarray) -> dict:  # each width's mean over its models still training
        return _finite([t for t, _ in keys], _group_means(train, R)) | _finite([v for _, v in keys],
                                                                              _group_means(val, R))

    fit = fit_stacked(model, X_copies, y_copies, X_val, y_val, config.lr, config.steps, hooks, report)
    train, val = fit.trainer.losses(X_copies, y_copies), fit.trainer.losses(X_val, y_val)
    predictions = _predictions(fit.trainer.model).reshape(len(config.widths), R, GRID_POINTS)
    live = ~fit.trainer.frozen.reshape(len(config.widths), R)
    truth = true_function(grid()[:, 0]).double().numpy()
    spreads = [_spread(w, predictions[i][live[i]], truth, config.noise, train[i * R:(i + 1) * R][live[i]],
                       val[i * R:(i + 1) * R][live[i]]) for i, w in enumerate(config.widths)]
    status = _status(fit)
    h = fit.history
    history = pd.DataFrame({"step": h["step"].to_numpy(),
                            "width": np.asarray(config.widths)[h["copy"].to_numpy() // R],
                            "resample": h["copy"].to_numpy() % R,
                            "train_loss": h["train_loss"].to_numpy(), "val_loss": h["val_loss"].to_numpy()})
    names = [f"width {w} on set {r + 1}" for w in config.widths for r in range(R)]
    return BiasVarianceResult(config, status, _bias_variance_message(fit, status, spreads, names),
                              fit.outcome.steps_done, fit.outcome.seconds, describe(DEVICE), history, spreads,
                              grid()[:, 0].double().numpy(), truth, X[:, :, 0].numpy(), y.numpy(),
                              bias_variance_code(config, config.widths[0]))


def _group_means(values: np.ndarray, R: int) -> np.ndarray:
    """(widths · R,) -> (widths,): each width's mean over its finite values, NaN when none is."""
    groups = values.reshape(-1, R)
    counts = np.isfinite(groups).sum(1)
    sums = np.where(np.isfinite(groups), groups, 0).sum(1)
    return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def _spread(width: int, predictions: np.ndarray, truth: np.ndarray, noise: float, train: np.ndarray,
            val: np.ndarray) -> Spread:
    ok = np.isfinite(predictions).all(1) & np.isfinite(train) & np.isfinite(val)
    predictions, train, val = predictions[ok], train[ok], val[ok]
    if not len(predictions):
        return Spread(width, 0, None, None, noise**2, None, None, np.zeros((0, GRID_POINTS)), np.zeros(GRID_POINTS))
    bias2, variance = bias_variance(predictions, truth)
    return Spread(width, len(predictions), bias2, variance, noise**2, float(train.mean()), float(val.mean()),
                  predictions, predictions.mean(0))


def _bias_variance_message(fit: StackedFit, status: str, spreads: list[Spread], names: list[str]) -> str:
    scored = [s for s in spreads if s.bias2 is not None]
    if status == "diverged" or not scored:
        return f"Every model diverged{_last(fit)}: the loss became NaN or infinite. {ADVICE}"
    parts = [f"width {s.width}: bias² {s.bias2:.3f}, variance {s.variance:.3f}" for s in scored]
    noise2 = scored[0].noise2
    return (f"{fit.outcome.message}{_diverged_sentence(fit, names)} Measured against the true function on "
            f"{GRID_POINTS} points in [-1, 1]: {'; '.join(parts)}; noise² {noise2:.3f} for every model.")


def bias_variance_code(config: BiasVarianceConfig, width: int) -> str:
    n, noise, R = config.points, f"{config.noise:g}", config.resamples
    data = (f"X_val, y_val = sine_data({VAL_POINTS}, noise={noise}, generator=g)  # shared by every model\n"
            f"sets = [sine_data({n}, noise={noise}, generator=g) for _ in range({R})]  # {R} training sets\n"
            "X_train, y_train = sets[0]  # this network's training set: the first\n")
    return _code(data, width, BIAS_VARIANCE_DEPTH, config.lr, config.steps, config.seed)
