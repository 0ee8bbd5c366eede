"""Mean squared error against cross-entropy on a classifier's probabilities: gradients, surfaces, training."""

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from engine.device import describe
from engine.tabular import breast_cancer, classification_split
from engine.trainer import Hooks, InTurn, Report, loop

LOSS_LABELS = {"mse": "mean squared error", "ce": "cross-entropy"}
OUTPUTS = {"sigmoid": "one sigmoid output", "softmax": "two softmax outputs"}
SURFACE_FEATURE = "worst radius"  # the one feature of the loss-surface model
WRONG = 0.05  # a prediction that gives the true class less than this is "confidently wrong"


# ---------------------------------------------------------------------------------------------------------------
# 1. The gradient at a confident mistake, and the loss over one weight (instant)


@dataclass
class LossView:
    p: np.ndarray  # (n,) the probability the sigmoid gives the true class (y = 1)
    mse: np.ndarray  # (n,) (p − 1)²
    ce: np.ndarray  # (n,) −log p
    mse_grad: np.ndarray  # (n,) ∂/∂z of (σ(z) − 1)² = 2(p − 1)·p(1 − p)
    ce_grad: np.ndarray  # (n,) ∂/∂z of −log σ(z) = p − 1
    at: float  # the prediction picked
    at_mse_grad: float
    at_ce_grad: float
    w: np.ndarray  # (m,) the one weight of p = σ(w·x), x the standardized SURFACE_FEATURE
    surface_mse: np.ndarray  # (m,) mean (p − y)² over the tumours
    surface_ce: np.ndarray  # (m,) mean cross-entropy over the tumours


def logit_gradients(p: np.ndarray, y: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """∂L/∂z for L = (σ(z) − y)² and for L = −[y log σ(z) + (1 − y) log(1 − σ(z))], at σ(z) = p."""
    return 2 * (p - y) * p * (1 - p), p - y


def surface_data() -> tuple[np.ndarray, np.ndarray]:
    """One standardized feature of the breast-cancer tumours, and their labels (1: benign)."""
    table = breast_cancer()
    x = table.X[:, table.features.index(SURFACE_FEATURE)]
    return (x - x.mean()) / x.std(), table.y.astype(np.float64)


def loss_view(at: float) -> LossView:
    """Both losses and their gradients against the predicted probability, and both over one weight."""
    if not 0 < at < 1:
        raise ValueError("The predicted probability must lie strictly between 0 and 1.")
    p = np.linspace(0.001, 0.999, 300)
    mse_grad, ce_grad = logit_gradients(p)
    at_mse, at_ce = logit_gradients(np.array(at))
    x, y = surface_data()
    w = np.linspace(-12, 12, 241)
    z = np.outer(w, x)  # (m, tumours)
    prob = 1 / (1 + np.exp(-z))
    surface_ce = (np.logaddexp(0, z) - y * z).mean(1)  # softplus(z) − y·z: −log-likelihood without overflow
    return LossView(p, (p - 1) ** 2, -np.log(p), mse_grad, ce_grad, at, float(at_mse), float(at_ce), w,
                    ((prob - y) ** 2).mean(1), surface_ce)


# ---------------------------------------------------------------------------------------------------------------
# 2. The same network trained with each loss (a job)


@dataclass(frozen=True)
class LossTrainConfig:
    output: str = "sigmoid"  # a key of OUTPUTS
    wrong_start: float = 4.0  # the starting weights' norm, pointing against the classes: confident mistakes
    steps: int = 300  # full-batch SGD updates per loss
    lr: float = 0.1  # plain SGD, the same for both losses
    seed: int = 0  # the train/test split


TINY_LOSS_TRAIN = LossTrainConfig(steps=3)


@dataclass
class LossTrainResult:
    config: LossTrainConfig
    status: str
    message: str
    device: str
    steps_done: int
    history: pd.DataFrame  # loss ("mse" or "ce"), step, run_step, batch_loss, train_acc, test_acc, wrong
    finals: pd.DataFrame  # loss, steps_done, train_acc, test_acc, wrong, status
    code: str

    @property
    def cacheable(self) -> bool:
        return self.status in ("finished", "diverged")


def loss_train_steps(config: LossTrainConfig) -> int:
    return 2 * config.steps


def wrong_way(X: Tensor, y: Tensor, norm: float) -> Tensor:
    """A weight vector of this norm along mean(x | class 0) − mean(x | class 1): it scores every class backwards."""
    d = X[y == 0].mean(0) - X[y == 1].mean(0)  # (features,)
    return norm * d / d.norm()


def classifier(config: LossTrainConfig, X: Tensor, y: Tensor) -> nn.Linear:
    """Logistic regression (one sigmoid logit) or its softmax form (two logits), started confidently wrong."""
    w = wrong_way(X, y, config.wrong_start)  # (features,)
    net = nn.Linear(X.shape[1], 1 if config.output == "sigmoid" else 2)
    with torch.no_grad():
        net.weight.copy_(w[None] if config.output == "sigmoid" else torch.stack([-w / 2, w / 2]))
        net.bias.zero_()
    return net


def true_class_probability(logits: Tensor, y: Tensor) -> Tensor:
    """The probability the model gives each example's true class, (n,)."""
    if logits.shape[1] == 1:
        p = torch.sigmoid(logits[:, 0])  # (n,)
        return torch.where(y == 1, p, 1 - p)
    return torch.softmax(logits, 1).gather(1, y[:, None])[:, 0]  # (n,)


def loss_of(name: str, logits: Tensor, y: Tensor) -> Tensor:
    """Mean squared error on the probabilities (one-hot targets for softmax) or cross-entropy on the logits."""
    if logits.shape[1] == 1:
        if name == "ce":
            return nn.functional.binary_cross_entropy_with_logits(logits[:, 0], y.float())
        return nn.functional.mse_loss(torch.sigmoid(logits[:, 0]), y.float())
    if name == "ce":
        return nn.functional.cross_entropy(logits, y)
    return nn.functional.mse_loss(torch.softmax(logits, 1), nn.functional.one_hot(y, 2).float())


def _check_train(config: LossTrainConfig) -> None:
    if config.output not in OUTPUTS:
        raise ValueError(f"Choose an output among {', '.join(OUTPUTS)}.")
    if not (math.isfinite(config.wrong_start) and config.wrong_start >= 0 and config.lr > 0 and config.steps >= 1):
        raise ValueError("The starting norm must be 0 or more, the learning rate above 0, and at least one step.")


def run_loss_training(config: LossTrainConfig, on_report: Report | None = None, should_stop=None,
                      deadline=None) -> LossTrainResult:
    """Train the same network from the same weights on the breast-cancer tumours, once with each loss."""
    _check_train(config)
    data = classification_split(breast_cancer(), seed=config.seed)
    frames, finals = [], []
    job = InTurn(on_report, should_stop, deadline, "loss")
    for name, hooks in job.runs(LOSS_LABELS):
        net = classifier(config, data.X_train, data.y_train)  # the same start for both losses
        outcome = _train(net, name, data, config, hooks)
        job.done(outcome.status, config.steps)
        frames.append(outcome.history.assign(loss=name))
        last = outcome.history.iloc[-1] if len(outcome.history) else {}
        finals.append({"loss": LOSS_LABELS[name], "steps_done": outcome.steps_done,
                       **{k: float(last.get(k, 0.0)) for k in ("train_acc", "test_acc", "wrong")},
                       "status": outcome.status})
    history = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    history = history.reindex(columns=["loss", "step", "batch_loss", "train_acc", "test_acc", "wrong"])
    history["run_step"] = history["step"]
    finals = pd.DataFrame(finals, columns=["loss", "steps_done", "train_acc", "test_acc", "wrong", "status"])
    status = job.status
    return LossTrainResult(config, status, _message(status, finals), describe(torch.device("cpu")),
                           int(finals["steps_done"].sum()), history, finals, loss_code(config))


def _train(net: nn.Linear, name: str, data, config: LossTrainConfig, hooks: Hooks):
    optimizer = torch.optim.SGD(net.parameters(), lr=config.lr)

    def step(_: int) -> float:
        loss = loss_of(name, net(data.X_train), data.y_train)
        value = loss.item()
        if math.isfinite(value):
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        return value

    @torch.no_grad()
    def measure(_: int, __: float) -> dict:
        train, test = net(data.X_train), net(data.X_test)
        accuracy = lambda logits, y: (true_class_probability(logits, y) > 0.5).float().mean().item()  # noqa: E731
        return {"train_acc": accuracy(train, data.y_train), "test_acc": accuracy(test, data.y_test),
                "wrong": (true_class_probability(train, data.y_train) < WRONG).float().mean().item()}

    return loop(step, config.steps, max(1, config.steps // 100), hooks, measure,
                advice=f"Try a smaller learning rate than {config.lr:g}.")


def _message(status: str, finals: pd.DataFrame) -> str:
    if status == "cancelled":
        return "Stopped."
    if status == "out of time":
        return "Stopped at the server's time limit: the runs below are partial."
    if len(finals) < 2:
        return "Only one run finished."
    mse, ce = finals.iloc[0], finals.iloc[1]
    return (f"Training accuracy after {int(mse['steps_done'])} steps: {mse['train_acc']:.1%} with mean squared error, "
            f"{ce['train_acc']:.1%} with cross-entropy; confidently wrong training examples left: "
            f"{mse['wrong']:.1%} and {ce['wrong']:.1%}.")


def loss_code(config: LossTrainConfig) -> str:
    """A standalone script that trains what `run_loss_training(config)` trains."""
    if config.output == "sigmoid":
        head, start = "nn.Linear(30, 1)", "w[None]"
        losses = ('    "mse": lambda logits, y: F.mse_loss(torch.sigmoid(logits[:, 0]), y.float()),\n'
                  '    "ce": lambda logits, y: F.binary_cross_entropy_with_logits(logits[:, 0], y.float()),\n')
    else:
        head, start = "nn.Linear(30, 2)", "torch.stack([-w / 2, w / 2])"
        losses = ('    "mse": lambda logits, y: F.mse_loss(torch.softmax(logits, 1), F.one_hot(y, 2).float()),\n'
                  '    "ce": lambda logits, y: F.cross_entropy(logits, y),\n')
    return f'''import torch
import torch.nn.functional as F
from torch import nn

from engine.tabular import breast_cancer, classification_split

data = classification_split(breast_cancer(), seed={config.seed})  # standardized, 75% for training
X, y = data.X_train, data.y_train
d = X[y == 0].mean(0) - X[y == 1].mean(0)  # points from class 1 towards class 0: the wrong way
w = {config.wrong_start:g} * d / d.norm()
losses = {{
{losses}}}
for name, loss_fn in losses.items():
    net = {head}
    with torch.no_grad():  # the same confidently wrong start for both losses
        net.weight.copy_({start})
        net.bias.zero_()
    optimizer = torch.optim.SGD(net.parameters(), lr={config.lr:g})
    for step in range({config.steps}):
        loss = loss_fn(net(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(name, "final training loss", loss.item())
'''
