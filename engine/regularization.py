"""Regularization, inside and out: dropout's mask, dropout rates, batch normalization's statistics, k-fold CV."""

import copy
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from engine.device import describe
from engine.models import MLP, init_uniform
from engine.tabular import breast_cancer, standardize
from engine.trainer import STOPPED, Hooks, InTurn, Report, loop, make_optimizer

MAX_P = 0.95  # the highest dropout rate the demos accept: at p → 1 the survivors' scale 1/(1 − p) blows up


def _check_rate(p: float) -> None:
    if not 0.0 <= p <= MAX_P:
        raise ValueError(f"the dropout rate p must be between 0 and {MAX_P:g}, not {p:g}")


# ---------------------------------------------------------------------------------------------------------------
# 1. Dropout, inside

DROPOUT_SAMPLES = 10_000  # masks averaged for the expected activation


@dataclass
class DropoutView:
    p: float  # nn.Dropout's p: the probability of dropping each unit
    keep: float  # 1 − p: the old "keep probability" convention
    scale: float  # 1 / (1 − p): what the survivors are multiplied by in train mode
    activations: np.ndarray  # (units,) a layer's output on one input: positive, so a 0 after dropout means dropped
    kept: np.ndarray  # (units,) bool: the units this mask kept
    train_output: np.ndarray  # (units,) nn.Dropout(p) in train mode: 0 where dropped, activation · scale where kept
    eval_output: np.ndarray  # (units,) nn.Dropout(p) in eval mode: the activations unchanged
    samples: int  # masks averaged below
    mean_output: np.ndarray  # (units,) the train-mode output averaged over `samples` fresh masks
    mean_error: np.ndarray  # (units,) that average's standard error: activation · sqrt(p / (1 − p) / samples)


def dropout_inside(p: float, units: int = 12, seed: int = 0) -> DropoutView:
    """What nn.Dropout(p) does to one layer's activations in train mode (one mask, and many) and in eval mode."""
    _check_rate(p)
    generator = torch.Generator().manual_seed(seed)
    activations = 0.5 + 1.5 * torch.rand(units, generator=generator)  # (units,) in [0.5, 2): all positive
    dropout = nn.Dropout(p)
    with torch.random.fork_rng(devices=[]):  # nn.Dropout draws from the global generator: seed it, then restore it
        torch.manual_seed(seed)
        train_output = dropout.train()(activations)  # (units,)
        many = dropout(activations.repeat(DROPOUT_SAMPLES, 1))  # (samples, units): a fresh mask per row
    eval_output = dropout.eval()(activations)  # (units,)
    spread = math.sqrt(p / (1 - p) / DROPOUT_SAMPLES)  # std of one masked unit is a·sqrt(p / (1 − p))
    return DropoutView(p, 1 - p, 1 / (1 - p), activations.numpy(), (train_output != 0).numpy(),
                       train_output.numpy(), eval_output.numpy(), DROPOUT_SAMPLES, many.mean(0).numpy(),
                       (activations * spread).numpy())


# ---------------------------------------------------------------------------------------------------------------
# 2. Dropout rates: a higher p drops more units and regularizes more

VALIDATION_POINTS = 200
FIT_GRID = 200  # points on which each trained network's curve is drawn
NOISE = 0.3  # std of the noise on y
FREQUENCY = 1.5 * math.pi  # y = sin(FREQUENCY · x) + noise


@dataclass(frozen=True)
class DropoutRatesConfig:
    rates: tuple[float, ...] = (0.0, 0.2, 0.5, 0.8)  # nn.Dropout's p: the probability of DROPPING a unit
    points: int = 30  # training points, 1-D noisy regression (y = sin(1.5πx) + N(0, 0.3²), x ~ U(−1, 1))
    width: int = 128
    depth: int = 2  # hidden layers, each Linear → ReLU → Dropout(p)
    steps: int = 1500
    lr: float = 0.01  # Adam, full batch
    seed: int = 0


TINY_DROPOUT_RATES = DropoutRatesConfig(steps=2)


@dataclass
class DropoutRatesResult:
    config: DropoutRatesConfig
    status: str
    message: str
    device: str
    steps_done: int  # over all runs
    history: pd.DataFrame  # rate, step, batch_loss (with dropout), train_loss and val_loss (eval mode)
    finals: pd.DataFrame  # one row per rate run: rate, keep, steps_done, train_loss, val_loss, gap, status
    X_train: np.ndarray  # (points,)
    y_train: np.ndarray  # (points,)
    fits: pd.DataFrame  # rate, x, y: each trained network's prediction (eval mode) on a grid over [−1, 1]

    @property
    def cacheable(self) -> bool:
        return self.status in ("finished", "diverged")


def dropout_rates_steps(config: DropoutRatesConfig) -> int:
    """Progress steps of the whole job: every step of every rate's run."""
    return config.steps * len(config.rates)


def sine_data(n: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """x ~ U(−1, 1), y = sin(1.5πx) + N(0, 0.3²), as (n, 1) float32 columns."""
    x = 2 * torch.rand(n, 1, generator=generator) - 1  # (n, 1)
    return x, torch.sin(FREQUENCY * x) + NOISE * torch.randn(n, 1, generator=generator)


def dropout_net(width: int, depth: int, p: float) -> nn.Sequential:
    """1 → [Linear → ReLU → Dropout(p)] × depth → Linear → 1."""
    layers, fan_in = [], 1
    for _ in range(depth):
        layers += [nn.Linear(fan_in, width), nn.ReLU(), nn.Dropout(p)]
        fan_in = width
    return nn.Sequential(*layers, nn.Linear(fan_in, 1))


@torch.no_grad()
def _mse(net: nn.Module, X: Tensor, y: Tensor) -> float:
    """Mean squared error in eval mode (no unit dropped), leaving the net in the mode it was in."""
    was_training = net.training
    net.eval()
    loss = nn.functional.mse_loss(net(X), y).item()
    net.train(was_training)
    return loss


def run_dropout_rates(config: DropoutRatesConfig, on_report: Report | None = None, should_stop=None,
                      deadline=None) -> DropoutRatesResult:
    """Train the same network from the same initial weights on the same points once per dropout rate."""
    for p in config.rates:
        _check_rate(p)
    if len(set(config.rates)) != len(config.rates):
        raise ValueError("each dropout rate may appear once")
    device = torch.device("cpu")  # 30 points: a GPU's launch overheads cost more than they save
    generator = torch.Generator().manual_seed(config.seed)
    X, y = sine_data(config.points, generator)
    X_val, y_val = sine_data(VALIDATION_POINTS, generator)
    start = dropout_net(config.width, config.depth, 0.0)
    init_uniform(start, generator)
    grid = torch.linspace(-1, 1, FIT_GRID).unsqueeze(1)  # (FIT_GRID, 1)
    frames, finals, fits = [], [], []
    job = InTurn(on_report, should_stop, deadline, "rate")
    for p, hooks in job.runs(config.rates):
        net = dropout_net(config.width, config.depth, p)
        net.load_state_dict(start.state_dict())  # dropout has no weights: the same start for every rate
        outcome = _train_dropout(net, X, y, X_val, y_val, config, hooks)
        job.done(outcome.status, config.steps)
        frames.append(outcome.history.assign(rate=p))
        train_loss, val_loss = _mse(net, X, y), _mse(net, X_val, y_val)
        if not (math.isfinite(train_loss) and math.isfinite(val_loss)):  # diverged: the last finite measurement
            last = outcome.history.iloc[-1] if len(outcome.history) else {"train_loss": 0.0, "val_loss": 0.0}
            train_loss, val_loss = float(last["train_loss"]), float(last["val_loss"])
        finals.append({"rate": p, "keep": 1 - p, "steps_done": outcome.steps_done, "train_loss": train_loss,
                       "val_loss": val_loss, "gap": val_loss - train_loss, "status": outcome.status})
        with torch.no_grad():
            curve = net.eval()(grid).squeeze(1)  # (FIT_GRID,)
        if torch.isfinite(curve).all():
            fits.append(pd.DataFrame({"rate": p, "x": grid.squeeze(1).numpy(), "y": curve.numpy()}))
    status = job.status
    history = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    history = history.reindex(columns=["rate", "step", "batch_loss", "train_loss", "val_loss"])
    finals = pd.DataFrame(finals, columns=["rate", "keep", "steps_done", "train_loss", "val_loss", "gap", "status"])
    fits = pd.concat(fits, ignore_index=True) if fits else pd.DataFrame(columns=["rate", "x", "y"])
    return DropoutRatesResult(config, status, _rates_message(status, finals, config), describe(device),
                              int(finals["steps_done"].sum()), history, finals, X.squeeze(1).numpy(),
                              y.squeeze(1).numpy(), fits)


def _train_dropout(net: nn.Sequential, X: Tensor, y: Tensor, X_val: Tensor, y_val: Tensor,
                   config: DropoutRatesConfig, hooks: Hooks):
    """Full-batch Adam on the MSE with dropout on (train mode); the masks come from a generator seeded by the run."""
    optimizer = make_optimizer("adam", net.parameters(), config.lr)
    net.train()

    def step(_: int) -> float:
        loss = nn.functional.mse_loss(net(X), y)  # a fresh mask for every point at every step
        value = loss.item()
        if math.isfinite(value):
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        return value

    def measure(_: int, __: float) -> dict:
        return {"train_loss": _mse(net, X, y), "val_loss": _mse(net, X_val, y_val)}

    with torch.random.fork_rng(devices=[]):  # the same masks on every run with this seed, the global state untouched
        torch.manual_seed(config.seed)
        return loop(step, config.steps, max(1, config.steps // 100), hooks, measure,
                    advice=f"Try a smaller learning rate than {config.lr:g}.")


def _rates_message(status: str, finals: pd.DataFrame, config: DropoutRatesConfig) -> str:
    if status in STOPPED:
        done = ", ".join(f"p = {r.rate:g}: {r.steps_done}" for r in finals.itertuples())
        return f"Stopped before every rate had run its {config.steps} steps (steps done: {done})."
    if status == "diverged":
        return f"Training diverged for at least one rate: try a learning rate below {config.lr:g}."
    gaps = ", ".join(f"{r.gap:.3f} at p = {r.rate:g}" for r in finals.itertuples())
    return f"Validation loss minus training loss after {config.steps} steps: {gaps}."


# ---------------------------------------------------------------------------------------------------------------
# 3. Batch normalization, inside


@dataclass(frozen=True)
class BatchNormConfig:
    batch: int = 8  # rows in the batch
    features: int = 3
    shift: float = 2.0  # the batch's features are drawn around this mean, with this spread:
    scale: float = 3.0
    gamma: float = 1.0  # the layer's learnable scale (weight) and shift (bias), as set by training
    beta: float = 0.0
    momentum: float = 0.1  # nn.BatchNorm1d's momentum for the running statistics
    batches_seen: int = 5  # how many training batches have updated the running statistics
    seed: int = 0


@dataclass
class BatchNormView:
    config: BatchNormConfig
    eps: float  # nn.BatchNorm1d's eps, added to the variance
    batch: np.ndarray  # (batch, features) a new batch from the same distribution as the training batches
    mean: np.ndarray  # (features,) its per-feature mean
    var: np.ndarray  # (features,) its biased variance (divided by n): what train mode normalizes with
    var_unbiased: np.ndarray  # (features,) divided by n − 1: what the running variance averages
    normalized: np.ndarray  # (batch, features) (x − mean) / sqrt(var + eps)
    train_output: np.ndarray  # (batch, features) nn.BatchNorm1d in train mode: γ · normalized + β
    running_mean: np.ndarray  # (features,) after `batches_seen` training batches (the new batch not among them)
    running_var: np.ndarray  # (features,)
    eval_output: np.ndarray  # (batch, features) eval mode: γ · (x − running_mean) / sqrt(running_var + eps) + β
    history: pd.DataFrame  # seen (1..batches_seen), feature, batch_mean, batch_var_unbiased, running_mean, running_var
    parameters: pd.DataFrame  # name, kind (learnable parameter or buffer), shape, value: what the layer holds


def _check_batchnorm(config: BatchNormConfig) -> None:
    if config.batch < 2:
        raise ValueError("batch normalization in train mode needs at least 2 rows in the batch")
    if config.features < 1 or config.batches_seen < 0:
        raise ValueError("features must be at least 1 and batches_seen at least 0")
    if not 0.0 <= config.momentum <= 1.0:
        raise ValueError(f"momentum must be between 0 and 1, not {config.momentum:g}")


def batchnorm_inside(config: BatchNormConfig) -> BatchNormView:
    """nn.BatchNorm1d on one batch, in train mode and in eval mode, after `batches_seen` training batches."""
    _check_batchnorm(config)
    generator = torch.Generator().manual_seed(config.seed)
    draw = lambda: config.shift + config.scale * torch.randn(config.batch, config.features, generator=generator,
                                                              dtype=torch.float64)  # (batch, features)
    layer = nn.BatchNorm1d(config.features, momentum=config.momentum, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.fill_(config.gamma)
        layer.bias.fill_(config.beta)
    rows = []
    layer.train()
    with torch.no_grad():
        for seen in range(1, config.batches_seen + 1):
            xb = draw()
            layer(xb)  # train mode: normalizes with xb's statistics and updates the running ones
            for f in range(config.features):
                rows.append({"seen": seen, "feature": f + 1, "batch_mean": xb[:, f].mean().item(),
                             "batch_var_unbiased": xb[:, f].var(correction=1).item(),
                             "running_mean": layer.running_mean[f].item(), "running_var": layer.running_var[f].item()})
        x = draw()
        running_mean, running_var = layer.running_mean.clone(), layer.running_var.clone()  # before this batch
        train_output = copy.deepcopy(layer).train()(x)  # a copy, so this batch leaves the running statistics alone
        eval_output = layer.eval()(x)
    mean, var = x.mean(0), x.var(0, correction=0)  # (features,) each
    normalized = (x - mean) / torch.sqrt(var + layer.eps)  # (batch, features)
    history = pd.DataFrame(rows, columns=["seen", "feature", "batch_mean", "batch_var_unbiased", "running_mean",
                                          "running_var"]).astype({"seen": int, "feature": int}).astype(
        {c: float for c in ("batch_mean", "batch_var_unbiased", "running_mean", "running_var")})
    return BatchNormView(config, layer.eps, x.numpy(), mean.numpy(), var.numpy(), x.var(0, correction=1).numpy(),
                         normalized.numpy(), train_output.numpy(), running_mean.numpy(), running_var.numpy(),
                         eval_output.numpy(), history, _batchnorm_parameters(layer))


def _batchnorm_parameters(layer: nn.BatchNorm1d) -> pd.DataFrame:
    """Every tensor the layer holds: the two learned by gradient descent, and the buffers updated by counting."""
    text = lambda t: ", ".join(f"{v:.4g}" for v in t.flatten().tolist())
    rows = [{"name": name, "kind": "learnable parameter (trained by the optimizer)", "shape": str(tuple(t.shape)),
             "value": text(t.detach())} for name, t in layer.named_parameters()]
    rows += [{"name": name, "kind": "buffer (updated in train mode, used in eval mode)", "shape": str(tuple(t.shape)),
              "value": text(t)} for name, t in layer.named_buffers()]
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------------------------
# 4. K-fold cross-validation

TEST_FRACTION = 0.25  # of all rows, held out before any fold is cut
SPLIT_FRACTION = 0.8  # the single split's training share of the development rows
KFOLD_LR = 0.01  # Adam
FOLD_COLUMNS = ["fold", "train_rows", "val_rows", "val_acc", "val_loss", "train_acc", "train_loss", "status",
                "steps_done"]
KFOLD_MODELS = {"logistic": "logistic regression (one linear layer)",
                "mlp": "a small MLP (30 → 16 → 2, ReLU)"}


@dataclass(frozen=True)
class KFoldConfig:
    k: int = 5
    points: int = 200  # development rows (training + validation) from the breast-cancer table, plus a held-out test set
    model: str = "logistic"  # "logistic" regression (one linear layer) trained with Adam, full batch
    steps: int = 300
    seed: int = 0


TINY_KFOLD = KFoldConfig(steps=2, k=2, points=40)


@dataclass
class KFoldResult:
    config: KFoldConfig
    status: str
    message: str
    device: str
    model: str  # what was trained
    steps_done: int  # over every run: the k folds, the single split and the final model
    folds: pd.DataFrame  # fold, train_rows, val_rows, val_acc, val_loss, train_acc, train_loss, status
    mean_acc: float  # of the folds' validation accuracies (0 when no fold ran)
    std_acc: float  # their standard deviation (ddof=0, as numpy's default and scikit-learn's examples)
    mean_loss: float
    split_acc: float | None  # the single 80/20 split's validation accuracy; None if the job stopped before it
    split_loss: float | None
    test_acc: float | None  # the model trained on every development row, scored once on the test set
    test_loss: float | None
    assignment: pd.DataFrame  # one row per table row in shuffled order: row, part ("test", "development",
    # "unused"), fold (1..k for development rows, 0 otherwise), split ("train"/"validation" for development rows)
    history: pd.DataFrame  # run, step, batch_loss

    @property
    def cacheable(self) -> bool:
        return self.status in ("finished", "diverged")


def kfold_steps(config: KFoldConfig) -> int:
    """Progress steps of the whole job: k folds, the single split and the final model."""
    return config.steps * (config.k + 2)


def _check_kfold(config: KFoldConfig, available: int) -> None:
    if not 2 <= config.k <= 10:
        raise ValueError(f"k must be between 2 and 10, not {config.k}")
    if config.model not in KFOLD_MODELS:
        raise ValueError(f"unknown model {config.model!r}; choose from {', '.join(KFOLD_MODELS)}")
    if not 2 * config.k <= config.points <= available:
        raise ValueError(f"points must be between {2 * config.k} and {available} for k = {config.k}")


def kfold_assignment(config: KFoldConfig) -> pd.DataFrame:
    """Which part each row of the table plays: test, development (with its fold and 80/20 side) or unused."""
    n = len(breast_cancer().y)
    rng = np.random.default_rng(config.seed)
    order = rng.permutation(n)
    n_test = round(n * TEST_FRACTION)
    _check_kfold(config, n - n_test)
    part = np.array(["test"] * n_test + ["development"] * config.points + ["unused"] * (n - n_test - config.points))
    sizes = np.full(config.k, config.points // config.k) + (np.arange(config.k) < config.points % config.k)
    fold = np.zeros(n, dtype=int)
    fold[n_test:n_test + config.points] = np.repeat(np.arange(1, config.k + 1), sizes)  # contiguous, as KFold cuts
    split = np.full(n, "", dtype=object)
    n_split = round(config.points * SPLIT_FRACTION)
    sides = np.array(["train"] * n_split + ["validation"] * (config.points - n_split), dtype=object)
    split[n_test:n_test + config.points] = sides[rng.permutation(config.points)]  # its own random 20%, not a fold
    return pd.DataFrame({"row": order, "part": part, "fold": fold, "split": split.astype(str)})


def fold_data(train_rows: np.ndarray, val_rows: np.ndarray) -> tuple[np.ndarray, ...]:
    """X_train, y_train, X_val, y_val for the given table rows, standardized with the training rows' statistics."""
    table = breast_cancer()
    X_train, X_val = standardize(table.X[train_rows], table.X[val_rows])
    return X_train, table.y[train_rows], X_val, table.y[val_rows]


def _kfold_net(config: KFoldConfig) -> nn.Module:
    """The model every run starts from: the same initial weights for each fold, the split and the final model."""
    net = MLP(len(breast_cancer().features), 16, ("relu",) if config.model == "mlp" else (), 2)
    init_uniform(net, torch.Generator().manual_seed(config.seed))
    return net


@torch.no_grad()
def _scores(net: nn.Module, X: Tensor, y: Tensor) -> tuple[float, float]:
    """Accuracy and mean cross-entropy."""
    logits = net(X)  # (n, 2)
    return (logits.argmax(1) == y).float().mean().item(), nn.functional.cross_entropy(logits, y).item()


def _train_classifier(net: nn.Module, X: Tensor, y: Tensor, config: KFoldConfig, hooks: Hooks):
    """Full-batch Adam on the cross-entropy. Adam moves each weight by about lr a step, so no weight can blow up."""
    optimizer = make_optimizer("adam", net.parameters(), KFOLD_LR)

    def step(_: int) -> float:
        loss = nn.functional.cross_entropy(net(X), y)
        value = loss.item()
        if math.isfinite(value):
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        return value

    return loop(step, config.steps, max(1, config.steps // 50), hooks)


def run_kfold(config: KFoldConfig, on_report: Report | None = None, should_stop=None,
              deadline=None) -> KFoldResult:
    """K-fold cross-validation on the development rows, a single 80/20 split of them, then one look at the test set."""
    assignment = kfold_assignment(config)
    dev = assignment[assignment["part"] == "development"]
    test_rows = assignment.loc[assignment["part"] == "test", "row"].to_numpy()
    runs = {f"fold {i}": (dev.loc[dev["fold"] != i, "row"].to_numpy(), dev.loc[dev["fold"] == i, "row"].to_numpy())
            for i in range(1, config.k + 1)}
    runs["split"] = (dev.loc[dev["split"] == "train", "row"].to_numpy(),
                     dev.loc[dev["split"] == "validation", "row"].to_numpy())
    runs["final"] = (dev["row"].to_numpy(), test_rows)
    start = _kfold_net(config)
    tensor = lambda a: torch.as_tensor(a, dtype=torch.float32 if a.dtype.kind == "f" else torch.int64)  # noqa: E731
    job = InTurn(on_report, should_stop, deadline, "run")
    scores, frames = {}, []
    for name, hooks in job.runs(runs):
        X, y, X_val, y_val = map(tensor, fold_data(*runs[name]))  # standardized with the training part's statistics
        net = copy.deepcopy(start)
        outcome = _train_classifier(net, X, y, config, hooks)
        job.done(outcome.status, config.steps)
        frames.append(outcome.history.assign(run=name))
        (val_acc, val_loss), (train_acc, train_loss) = _scores(net, X_val, y_val), _scores(net, X, y)
        scores[name] = {"train_rows": len(X), "val_rows": len(X_val), "val_acc": val_acc, "val_loss": val_loss,
                        "train_acc": train_acc, "train_loss": train_loss, "status": outcome.status,
                        "steps_done": outcome.steps_done}
    folds = pd.DataFrame([{"fold": int(name.split()[1])} | row for name, row in scores.items()
                          if name.startswith("fold")], columns=FOLD_COLUMNS)
    split, final = scores.get("split", {}), scores.get("final", {})
    history = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    result = KFoldResult(
        config, job.status, "", describe(torch.device("cpu")), KFOLD_MODELS[config.model],
        sum(row["steps_done"] for row in scores.values()), folds.drop(columns="steps_done"),
        float(folds["val_acc"].mean()) if len(folds) else 0.0,
        float(folds["val_acc"].std(ddof=0)) if len(folds) else 0.0,
        float(folds["val_loss"].mean()) if len(folds) else 0.0,
        split.get("val_acc"), split.get("val_loss"), final.get("val_acc"), final.get("val_loss"),
        assignment, history.reindex(columns=["run", "step", "batch_loss"]))
    result.message = _kfold_message(result)
    return result


def _kfold_message(r: KFoldResult) -> str:
    if r.status in STOPPED:
        return (f"Stopped after {r.steps_done} of {kfold_steps(r.config)} steps; the scores cover only the runs "
                "that got that far.")
    text = (f"{r.config.k}-fold validation accuracy: {r.mean_acc:.1%} ± {r.std_acc:.1%}; a single 80/20 split gave "
            f"{r.split_acc:.1%}; the final model scored {r.test_acc:.1%} on the test set.")
    return ("Training diverged in at least one run. " + text) if r.status == "diverged" else text
