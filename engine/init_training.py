"""Training deep networks from each initialization: symmetry, He et al. (2015), and the remedies for vanishing
and exploding gradients, each a real run on the same 2-D data."""

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from engine.datasets import Split, make_split
from engine.device import describe
from engine.initialization import SCHEMES, DeepNet, LayerSignal, build, signal
from engine.trainer import Hooks, InTurn, Report, loop

TRACKED_UNITS = 4  # units of the first hidden layer whose incoming weights are followed during training


def circles_split(seed: int) -> Split:
    """400 points on two noisy concentric circles, 30% held out."""
    return make_split("circles", 400, 0.1, 2, 0.3, torch.Generator().manual_seed(seed))


@torch.no_grad()
def _evaluate(net: nn.Module, X: Tensor, y: Tensor) -> tuple[float, float]:
    logits = net(X)  # (n, 2)
    return nn.functional.cross_entropy(logits, y).item(), (logits.argmax(1) == y).float().mean().item()


def _train(net: DeepNet, data: Split, steps: int, lr: float, hooks: Hooks, clip: float = 0.0,
           track: bool = False) -> tuple:
    """Full-batch SGD with momentum 0.9 (as He et al.); `clip` > 0 clips the gradients' total norm."""
    optimizer = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9)
    tracked = []

    def step(_: int) -> float:
        net.train()
        loss = nn.functional.cross_entropy(net(data.X_train), data.y_train)
        value = loss.item()
        if math.isfinite(value):
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if clip > 0:
                nn.utils.clip_grad_norm_(net.parameters(), clip)
            optimizer.step()
        return value

    def measure(i: int, _: float) -> dict:
        net.eval()
        train_loss, train_acc = _evaluate(net, data.X_train, data.y_train)
        test_loss, test_acc = _evaluate(net, data.X_test, data.y_test)
        if track:
            w = net.first.weight[:TRACKED_UNITS].detach().numpy()  # (units, 2): each unit's two incoming weights
            tracked.extend({"step": i, "unit": u + 1, "w_x1": float(w[u, 0]), "w_x2": float(w[u, 1])}
                           for u in range(len(w)))
        return {"train_loss": train_loss, "test_loss": test_loss, "train_acc": train_acc, "test_acc": test_acc}

    outcome = loop(step, steps, max(1, steps // 30), hooks, measure, advice=f"Try a smaller learning rate than {lr:g}.")
    tracked = pd.DataFrame(tracked, columns=["step", "unit", "w_x1", "w_x2"]).astype(float)
    return outcome, tracked[np.isfinite(tracked[["w_x1", "w_x2"]].to_numpy()).all(axis=1)]


def distinct_units(net: DeepNet, tolerance: float = 1e-6) -> list[int]:
    """Per hidden layer, how many units have different incoming weights (1: all identical)."""
    counts = []
    for layer in net.linears():
        rows = layer.weight.detach().double().numpy()
        scale = max(float(np.abs(rows).max()), 1.0)
        counts.append(len(np.unique(np.round(rows / (tolerance * scale)), axis=0)))
    return counts


# ---------------------------------------------------------------------------------------------------------------
# 1. One scheme, one deep network: per-layer histograms at initialization, training, and symmetry


@dataclass(frozen=True)
class InitConfig:
    scheme: str = "xavier"  # a key of SCHEMES
    activation: str = "tanh"  # "tanh" or "relu"
    depth: int = 10  # hidden layers
    width: int = 32  # units per hidden layer
    steps: int = 300  # full-batch SGD updates, momentum 0.9
    lr: float = 0.05
    seed: int = 0  # the data and the initial weights


TINY_INIT = InitConfig(steps=2, depth=2, width=4)


@dataclass
class InitResult:
    config: InitConfig
    status: str
    message: str
    device: str
    steps_done: int
    history: pd.DataFrame  # step, batch_loss, train_loss, test_loss, train_acc, test_acc
    at_init: LayerSignal  # per-layer activations and gradients before the first update
    tracked: pd.DataFrame  # step, unit, w_x1, w_x2: the first hidden layer's weights during training
    distinct: list[int]  # per hidden layer, units with different weights after training
    code: str

    @property
    def cacheable(self) -> bool:
        return self.status in ("finished", "diverged")


def _check_deep(scheme: str, activation: str, depth: int, width: int, steps: int, lr: float) -> None:
    if scheme not in SCHEMES:
        raise ValueError(f"Choose a scheme among {', '.join(SCHEMES)}.")
    if activation not in ("tanh", "relu", "sigmoid"):
        raise ValueError("Choose tanh, ReLU or sigmoid.")
    if not (1 <= depth <= 60 and 1 <= width <= 256 and steps >= 1 and math.isfinite(lr) and lr > 0):
        raise ValueError("Use 1 to 60 layers of 1 to 256 units, at least one step and a positive learning rate.")


def run_init(config: InitConfig, on_report: Report | None = None, should_stop=None, deadline=None) -> InitResult:
    """Build the deep network with the scheme, measure every layer at initialization, then train it."""
    c = config
    _check_deep(c.scheme, c.activation, c.depth, c.width, c.steps, c.lr)
    data = circles_split(c.seed)
    net = build(2, c.width, c.depth, c.activation, 2, c.scheme, torch.Generator().manual_seed(c.seed))
    at_init = signal(net, data.X_train, data.y_train)
    outcome, tracked = _train(net, data, c.steps, c.lr, Hooks(on_report, should_stop, deadline), track=True)
    distinct = distinct_units(net)
    final = outcome.history.iloc[-1] if len(outcome.history) else None
    message = outcome.message
    if final is not None:
        message += f" Test accuracy {final['test_acc']:.1%} (half the points are in each class)."
    return InitResult(c, outcome.status, message, describe(torch.device("cpu")), outcome.steps_done,
                      outcome.history, at_init, tracked, distinct, init_code(c))


def init_code(c: InitConfig) -> str:
    """A standalone script with the recipe `run_init(c)` follows, written with torch.nn.init (its own random draws)."""
    inits = {"zeros": "nn.init.zeros_(layer.weight)", "constant": "nn.init.constant_(layer.weight, 0.1)",
             "small": "nn.init.normal_(layer.weight, 0, 0.01)", "large": "nn.init.normal_(layer.weight, 0, 1.0)",
             "standard": "bound = 1 / layer.in_features ** 0.5; nn.init.uniform_(layer.weight, -bound, bound)",
             "xavier": "nn.init.xavier_uniform_(layer.weight)",
             "he": "nn.init.kaiming_normal_(layer.weight, nonlinearity='relu')"}
    act = "nn.Tanh()" if c.activation == "tanh" else "nn.ReLU()"
    return f'''import torch
from torch import nn

from engine.datasets import make_split

torch.manual_seed({c.seed})  # nn.init draws from the global generator: the page's recipe, other random numbers
data = make_split("circles", 400, 0.1, 2, 0.3, torch.Generator().manual_seed({c.seed}))
layers = [nn.Linear(2, {c.width}), {act}]
for _ in range({c.depth - 1}):
    layers += [nn.Linear({c.width}, {c.width}), {act}]
net = nn.Sequential(*layers, nn.Linear({c.width}, 2))
for layer in net:
    if isinstance(layer, nn.Linear):
        {inits[c.scheme]}
        nn.init.zeros_(layer.bias)

optimizer = torch.optim.SGD(net.parameters(), lr={c.lr:g}, momentum=0.9)
for step in range({c.steps}):
    loss = nn.functional.cross_entropy(net(data.X_train), data.y_train)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print("training loss", loss.item())
print("first layer, first 4 units' weights:", net[0].weight[:4])
'''


# ---------------------------------------------------------------------------------------------------------------
# 2. Several deep networks side by side: He et al. (2015), and the remedies


@dataclass(frozen=True)
class Variant:
    label: str
    activation: str
    scheme: str
    batchnorm: bool = False
    residual: bool = False
    clip: float = 0.0  # max total gradient norm; 0: off
    gain: float = 1.0  # every weight multiplied by this after the scheme: above 1 the signal grows layer by layer


HE_VARIANTS = {
    "he": Variant("He N(0, 2/fan_in)", "relu", "he"),
    "xavier": Variant("Xavier/Glorot", "relu", "xavier"),
    "small": Variant("small N(0, 0.01²)", "relu", "small"),
}
REMEDIES = {
    "plain": Variant("tanh, standard init: vanishing", "tanh", "standard"),
    "relu": Variant("ReLU + He init", "relu", "he"),
    "careful": Variant("tanh + Xavier init", "tanh", "xavier"),
    "batchnorm": Variant("tanh + batch norm", "tanh", "standard", batchnorm=True),
    "residual": Variant("tanh + residual connections", "tanh", "standard", residual=True),
    "exploding": Variant("ReLU, He init × 1.5: exploding", "relu", "he", gain=1.5),
    "clipped": Variant("ReLU, He init × 1.5 + gradient clipping", "relu", "he", gain=1.5, clip=1.0),
}


@dataclass(frozen=True)
class DeepRunsConfig:
    which: str = "he"  # "he": He et al.'s comparison; "remedies": vanishing and exploding gradients and their cures
    depth: int = 30  # hidden layers
    width: int = 16
    steps: int = 100  # full-batch SGD updates per network, momentum 0.9
    lr: float = 0.01
    seed: int = 0  # the data and the initial weights (the same draw for every network)

    @property
    def variants(self) -> dict[str, Variant]:
        return HE_VARIANTS if self.which == "he" else REMEDIES


@dataclass(frozen=True)
class RemediesConfig(DeepRunsConfig):
    which: str = "remedies"
    depth: int = 20
    lr: float = 0.02


TINY_DEEP_RUNS = DeepRunsConfig(depth=2, width=4, steps=2)
TINY_REMEDIES = RemediesConfig(depth=2, width=4, steps=2)


@dataclass
class DeepRunsResult:
    config: DeepRunsConfig
    status: str
    message: str
    device: str
    steps_done: int
    history: pd.DataFrame  # run, step, run_step, batch_loss, train_loss, test_loss, train_acc, test_acc
    layers: pd.DataFrame  # run, layer, activation_std, weight_grad_norm: at initialization
    finals: pd.DataFrame  # run, label, steps_done, train_loss, test_acc, status
    code: str

    @property
    def cacheable(self) -> bool:
        return self.status in ("finished", "diverged")


def deep_runs_steps(config: DeepRunsConfig) -> int:
    return config.steps * len(config.variants)


def run_deep(config: DeepRunsConfig, on_report: Report | None = None, should_stop=None,
             deadline=None) -> DeepRunsResult:
    """Train one deep network per variant on the same data, one after another, within one deadline."""
    c = config
    if c.which not in ("he", "remedies"):
        raise ValueError("Choose the He et al. comparison or the remedies.")
    _check_deep("he", "relu", c.depth, c.width, c.steps, c.lr)
    data = circles_split(c.seed)
    frames, layers, finals = [], [], []
    job = InTurn(on_report, should_stop, deadline, "run")
    for key, hooks in job.runs(c.variants):
        v = c.variants[key]
        net = build(2, c.width, c.depth, v.activation, 2, v.scheme, torch.Generator().manual_seed(c.seed),
                    v.batchnorm, v.residual)
        if v.gain != 1:
            with torch.no_grad():
                for layer in [*net.linears(), net.out]:
                    layer.weight.mul_(v.gain)
        at_init = signal(net, data.X_train, data.y_train)
        layers.append(pd.DataFrame({"run": key, "layer": np.arange(1, c.depth + 1),
                                    "activation_std": at_init.activation_std,
                                    "weight_grad_norm": at_init.weight_grad_norm}))
        outcome, _ = _train(net, data, c.steps, c.lr, hooks, clip=v.clip)
        job.done(outcome.status, c.steps)
        history = outcome.history.reindex(columns=["step", "batch_loss", "train_loss", "test_loss", "train_acc",
                                                    "test_acc"]).assign(run=key)
        frames.append(history.assign(run_step=history["step"]))
        last = outcome.history.iloc[-1] if len(outcome.history) else {}
        finals.append({"run": key, "label": v.label, "steps_done": outcome.steps_done,
                       "train_loss": float(last.get("train_loss", math.log(2))),
                       "test_acc": float(last.get("test_acc", 0.5)), "status": outcome.status})
    columns = ["run", "step", "run_step", "batch_loss", "train_loss", "test_loss", "train_acc", "test_acc"]
    history = pd.concat(frames, ignore_index=True).reindex(columns=columns) if frames else pd.DataFrame(columns=columns)
    finals = pd.DataFrame(finals, columns=["run", "label", "steps_done", "train_loss", "test_acc", "status"])
    layers = pd.concat(layers, ignore_index=True) if layers else pd.DataFrame(
        columns=["run", "layer", "activation_std", "weight_grad_norm"])
    status = job.status
    return DeepRunsResult(c, status, _deep_message(status, finals), describe(torch.device("cpu")),
                          int(finals["steps_done"].sum()), history, layers, finals, deep_code(c))


def _deep_message(status: str, finals: pd.DataFrame) -> str:
    if status in ("cancelled", "out of time"):
        return "Stopped before every network had its turn." if status == "cancelled" else \
            "Stopped at the server's time limit: the runs below are partial."
    parts = [f"{row.label}: {row.test_acc:.0%}" + (" (diverged)" if row.status == "diverged" else "")
             for row in finals.itertuples()]
    return "Test accuracy after training, " + "; ".join(parts) + "."


def deep_code(c: DeepRunsConfig) -> str:
    """A standalone script that trains the networks `run_deep(c)` trains, one after another."""
    rows = "\n".join(f"    {key!r}: dict(activation={v.activation!r}, scheme={v.scheme!r}, batchnorm={v.batchnorm}, "
                     f"residual={v.residual}, clip={v.clip:g}, gain={v.gain:g}),  # {v.label}"
                     for key, v in c.variants.items())
    return f'''import torch
from torch import nn

from engine.init_training import circles_split
from engine.initialization import build

data = circles_split({c.seed})  # 400 points on two noisy circles, 30% held out
variants = {{
{rows}
}}
for name, v in variants.items():
    net = build(2, {c.width}, {c.depth}, v["activation"], 2, v["scheme"], torch.Generator().manual_seed({c.seed}),
                v["batchnorm"], v["residual"])  # biases start at 0; every Linear set by the scheme
    with torch.no_grad():
        for layer in [*net.linears(), net.out]:
            layer.weight.mul_(v["gain"])
    optimizer = torch.optim.SGD(net.parameters(), lr={c.lr:g}, momentum=0.9)
    for step in range({c.steps}):
        net.train()
        loss = nn.functional.cross_entropy(net(data.X_train), data.y_train)
        if not torch.isfinite(loss):
            print(name, "diverged at step", step + 1)
            break
        optimizer.zero_grad()
        loss.backward()
        if v["clip"] > 0:
            nn.utils.clip_grad_norm_(net.parameters(), v["clip"])
        optimizer.step()
    net.eval()
    with torch.no_grad():
        accuracy = (net(data.X_test).argmax(1) == data.y_test).float().mean().item()
    print(f"{{name}}: test accuracy {{accuracy:.1%}}")
'''
