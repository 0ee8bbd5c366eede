"""The Activation functions demo: an MLP on a 2-D dataset, one activation per layer."""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

from engine.datasets import DATASETS, Split, make_split
from engine.device import describe, pick_device
from engine.models import MLP, init_uniform
from engine.trainer import Hooks, Report, TrainSettings, optimizer_code, train

GRID = 80  # decision-boundary grid points per axis
HIST_BINS = 40


@dataclass(frozen=True)
class MLPDemoConfig:
    dataset: str = "spiral"  # a key of DATASETS
    noise: float = 0.1  # std of the jitter added to each point
    classes: int = 3  # for spiral and blobs; the others have two
    points: int = 600
    test_fraction: float = 0.3
    activations: tuple[str, ...] = ("relu", "relu", "relu")  # one per hidden layer; () is a perceptron
    width: int = 16  # units per hidden layer
    slope: float = 0.01  # Leaky ReLU's negative slope
    maxout_k: int = 2  # pieces per maxout unit
    train: TrainSettings = field(default_factory=lambda: TrainSettings(steps=300, lr=0.01))
    seed: int = 0
    device: str = ""  # "" picks the best available


@dataclass
class Boundary:
    xs: np.ndarray  # (GRID,)
    ys: np.ndarray  # (GRID,)
    predicted: np.ndarray  # (GRID, GRID) class index
    confidence: np.ndarray  # (GRID, GRID) probability of the predicted class


@dataclass
class LayerStats:
    name: str  # "layer 1 (relu)"
    bin_edges: np.ndarray  # (HIST_BINS + 1,)
    counts: np.ndarray  # (HIST_BINS,)
    dead_fraction: float  # units that output exactly 0 for every training point


@dataclass
class MLPDemoResult:
    config: MLPDemoConfig
    status: str
    message: str
    device: str
    seconds: float
    steps_done: int
    history: pd.DataFrame  # step, batch_loss, train_loss, test_loss, train_acc, test_acc, grad_L*, dead_L*
    boundary: Boundary
    layers: list[LayerStats]
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray

    @property
    def cacheable(self) -> bool:
        return self.status in ("finished", "diverged")


def build(config: MLPDemoConfig, generator: torch.Generator, device: torch.device) -> tuple[Split, MLP]:
    """The data and the freshly initialised network for a config."""
    data = make_split(config.dataset, config.points, config.noise, config.classes,
                      config.test_fraction, generator, device)
    net = MLP(2, config.width, config.activations, data.num_classes, config.slope, config.maxout_k)
    init_uniform(net, generator)
    return data, net.to(device)


@torch.no_grad()
def _evaluate(net: MLP, X: Tensor, y: Tensor) -> tuple[float, float]:
    logits = net(X)
    return nn.functional.cross_entropy(logits, y).item(), (logits.argmax(1) == y).float().mean().item()


@torch.no_grad()
def _dead_fractions(net: MLP, X: Tensor) -> list[float]:
    return [(out == 0).all(dim=0).float().mean().item() for out in net.layer_outputs(X)]


def _gradient_norms(net: MLP) -> list[float]:
    return [layer.weight.grad.norm().item() if layer.weight.grad is not None else 0.0
            for layer in net.linear_layers()[:-1]]


def run(config: MLPDemoConfig, on_report: Report | None = None, should_stop=None, deadline=None) -> MLPDemoResult:
    """Train the demo network and gather everything the page plots."""
    return _run(config, Hooks(on_report, should_stop, deadline))


def _run(config: MLPDemoConfig, hooks: Hooks) -> MLPDemoResult:
    device = pick_device(config.device or None)
    generator = torch.Generator().manual_seed(config.seed)
    data, net = build(config, generator, device)

    def measure(step: int, loss: float) -> dict:
        train_loss, train_acc = _evaluate(net, data.X_train, data.y_train)
        test_loss, test_acc = _evaluate(net, data.X_test, data.y_test)
        row = {"train_loss": train_loss, "test_loss": test_loss, "train_acc": train_acc, "test_acc": test_acc}
        for i, norm in enumerate(_gradient_norms(net), 1):
            row[f"grad_L{i}"] = norm
        for i, dead in enumerate(_dead_fractions(net, data.X_train), 1):
            row[f"dead_L{i}"] = dead
        return row

    outcome = train(net, data.X_train, data.y_train, nn.functional.cross_entropy, config.train,
                    generator, measure, hooks)
    return MLPDemoResult(
        config, outcome.status, outcome.message, describe(device), outcome.seconds, outcome.steps_done,
        outcome.history, _boundary(net, data), _layer_stats(net, data.X_train),
        *(t.cpu().numpy() for t in (data.X_train, data.y_train, data.X_test, data.y_test)),
    )


@torch.no_grad()
def _boundary(net: MLP, data: Split) -> Boundary:
    X = torch.cat([data.X_train, data.X_test])
    low, high = X.min(0).values - 0.5, X.max(0).values + 0.5
    xs = torch.linspace(low[0].item(), high[0].item(), GRID, device=X.device)
    ys = torch.linspace(low[1].item(), high[1].item(), GRID, device=X.device)
    gx, gy = torch.meshgrid(xs, ys, indexing="xy")  # (GRID, GRID) each, rows follow y
    probs = torch.softmax(net(torch.stack([gx.flatten(), gy.flatten()], 1)), 1)  # (GRID², classes)
    confidence, predicted = probs.max(1)
    confidence = torch.nan_to_num(confidence, nan=0.0)  # a diverged net must not leak NaN
    return Boundary(xs.cpu().numpy(), ys.cpu().numpy(), predicted.reshape(GRID, GRID).cpu().numpy(),
                    confidence.reshape(GRID, GRID).cpu().numpy())


@torch.no_grad()
def _layer_stats(net: MLP, X: Tensor) -> list[LayerStats]:
    stats = []
    for i, (name, out) in enumerate(zip(net.activations, net.layer_outputs(X), strict=True), 1):
        values = out.flatten().cpu().double().numpy()  # float64: huge float32 values would overflow the bins
        values = values[np.isfinite(values)]
        if values.size:
            counts, edges = np.histogram(values, bins=HIST_BINS)
        else:  # every output was NaN or infinite: an empty histogram, not a crash
            counts, edges = np.zeros(HIST_BINS, dtype=int), np.linspace(0, 1, HIST_BINS + 1)
        dead = (out == 0).all(dim=0).float().mean().item()
        stats.append(LayerStats(f"layer {i} ({name})", edges, counts, dead))
    return stats


@dataclass(frozen=True)
class XorConfig:
    """A single-layer perceptron and a one-hidden-layer MLP, trained on the same XOR data."""

    hidden_activation: str = "tanh"
    width: int = 4
    steps: int = 400
    lr: float = 0.05
    noise: float = 0.15
    seed: int = 0
    device: str = ""

    def demo(self, activations: tuple[str, ...]) -> MLPDemoConfig:
        return MLPDemoConfig(dataset="xor", noise=self.noise, points=400, activations=activations,
                             width=self.width, train=TrainSettings(steps=self.steps, lr=self.lr),
                             seed=self.seed, device=self.device)


@dataclass
class XorResult:
    perceptron: MLPDemoResult
    mlp: MLPDemoResult | None  # None when the run was stopped before the MLP's turn

    @property
    def cacheable(self) -> bool:
        return self.perceptron.cacheable and self.mlp is not None and self.mlp.cacheable


def run_xor(config: XorConfig, on_report: Report | None = None, should_stop=None, deadline=None) -> XorResult:
    """Train both XOR models within one deadline; progress covers the perceptron's steps, then the MLP's."""
    def hooks_from(offset: int) -> Hooks:
        report = None
        if on_report is not None:
            report = lambda step, metrics: on_report(offset + step, metrics | {"step": offset + step})
        return Hooks(report, should_stop, deadline)

    perceptron = _run(config.demo(()), hooks_from(0))
    if perceptron.status in ("cancelled", "out of time") or Hooks(None, should_stop, deadline).stop_reason():
        return XorResult(perceptron, None)  # stopped during the perceptron, or right after it
    return XorResult(perceptron, _run(config.demo((config.hidden_activation,)), hooks_from(config.steps)))


def code_for(config: MLPDemoConfig) -> str:
    """A standalone PyTorch script that trains exactly what `run(config)` trains."""
    from engine.activations import ACTIVATIONS

    t = config.train
    layers, fan_in = [], 2
    for name in config.activations:
        act = ACTIVATIONS[name]
        module = act.torch_code.format(slope=config.slope, k=config.maxout_k)
        layers.append(f"nn.Linear({fan_in}, {act.units(config.width, config.maxout_k)}), {module},")
        fan_in = config.width
    classes = DATASETS[config.dataset].fixed_classes or config.classes
    layers.append(f"nn.Linear({fan_in}, {classes}),")
    helpers = "".join("\n\n" + ACTIVATIONS[name].helper_code for name in dict.fromkeys(config.activations)
                      if ACTIVATIONS[name].helper_code)
    if t.batch_size <= 0:
        batch_lines = "    X, y = data.X_train, data.y_train  # full batch\n"
    else:
        batch_lines = (
            f"    if not batches:  # a new epoch: reshuffle, cut into batches of {t.batch_size}\n"
            f"        order = torch.randperm(len(data.X_train), generator=g).to(device)\n"
            f"        batches = list(order.split({t.batch_size}))\n"
            "    idx = batches.pop(0)\n"
            "    X, y = data.X_train[idx], data.y_train[idx]\n"
        )
    body = "\n".join("    " + line for line in layers)
    return f'''import torch
from torch import nn

from engine.datasets import make_split
{helpers}
device = "cuda" if torch.cuda.is_available() else "cpu"
g = torch.Generator().manual_seed({config.seed})  # one seeded generator drives everything
data = make_split("{config.dataset}", n={config.points}, noise={config.noise}, classes={config.classes},
                  test_fraction={config.test_fraction}, generator=g, device=device)

net = nn.Sequential(
{body}
)
with torch.no_grad():  # PyTorch's default init, drawn from our generator
    for layer in net:
        if isinstance(layer, nn.Linear):
            bound = 1 / layer.in_features ** 0.5
            nn.init.uniform_(layer.weight, -bound, bound, generator=g)
            nn.init.uniform_(layer.bias, -bound, bound, generator=g)
net = net.to(device)
optimizer = {optimizer_code(t.optimizer, t.lr, t.hyper)}
loss_fn = nn.CrossEntropyLoss()

batches = []
for step in range(1, {t.steps + 1}):
{batch_lines}    loss = loss_fn(net(X), y)
    if not torch.isfinite(loss):
        print(f"diverged at step {{step}}")
        break
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % {t.report_every} == 0:
        with torch.no_grad():
            test_acc = (net(data.X_test).argmax(1) == data.y_test).float().mean().item()
        print(f"step {{step}}: loss {{loss.item():.4f}}, test accuracy {{test_acc:.1%}}")
'''
