"""Weight initialization: the schemes, deep plain networks, and what each scheme does to a signal through depth.

The views here need no training: one forward and one backward pass at initialization, which is what
Glorot and Bengio (2010) measured layer by layer, and what decides whether gradients vanish or explode.
"""

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import Tensor, nn

CONSTANT = 0.1  # every weight of the "constant" scheme
SMALL, LARGE = 0.01, 1.0  # the std of the "small random" and "large random" schemes
SCHEMES = {
    "zeros": "all zeros",
    "constant": f"constant {CONSTANT:g}",
    "small": f"small random N(0, {SMALL:g}²)",
    "large": f"large random N(0, {LARGE:g}²)",
    "standard": "standard U(±1/√fan_in)",
    "xavier": "Xavier/Glorot U(±√(6/(fan_in + fan_out)))",
    "he": "He N(0, 2/fan_in)",
}
ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid}
HIST_BINS = 30


@torch.no_grad()
def init_linear(layer: nn.Linear, scheme: str, generator: torch.Generator) -> None:
    """Set a layer's weights by the scheme; biases start at zero, as in both papers."""
    w, fan_in, fan_out = layer.weight, layer.in_features, layer.out_features
    if scheme == "zeros":
        w.zero_()
    elif scheme == "constant":
        w.fill_(CONSTANT)
    elif scheme == "small":
        w.normal_(0, SMALL, generator=generator)
    elif scheme == "large":
        w.normal_(0, LARGE, generator=generator)
    elif scheme == "standard":
        w.uniform_(-1 / math.sqrt(fan_in), 1 / math.sqrt(fan_in), generator=generator)
    elif scheme == "xavier":
        bound = math.sqrt(6 / (fan_in + fan_out))
        w.uniform_(-bound, bound, generator=generator)
    elif scheme == "he":
        w.normal_(0, math.sqrt(2 / fan_in), generator=generator)
    else:
        raise ValueError(f"Choose a scheme among {', '.join(SCHEMES)}.")
    layer.bias.zero_()


class DeepNet(nn.Module):
    """in → [Linear → (BatchNorm) → activation] × depth → Linear → logits; `residual` adds x back around each block."""

    def __init__(self, in_features: int, width: int, depth: int, activation: str, out_features: int,
                 batchnorm: bool = False, residual: bool = False):
        super().__init__()
        self.residual = residual
        self.first = nn.Linear(in_features, width)  # lifts the input to `width`; a hidden layer like the others
        self.hidden = nn.ModuleList(nn.Linear(width, width) for _ in range(depth - 1))
        self.norms = nn.ModuleList(nn.BatchNorm1d(width) for _ in range(depth)) if batchnorm else None
        self.act = ACTIVATIONS[activation]()
        self.out = nn.Linear(width, out_features)

    def linears(self) -> list[nn.Linear]:
        """The hidden layers, first to last (the output layer apart)."""
        return [self.first, *self.hidden]

    def layer_outputs(self, x: Tensor) -> list[Tensor]:
        """Each hidden layer's output after its activation, (batch, width) each."""
        outputs = []
        for i, linear in enumerate(self.linears()):
            z = linear(x)  # (batch, width)
            if self.norms is not None:
                z = self.norms[i](z)
            h = self.act(z)
            x = x + h if self.residual and i > 0 else h  # the first layer changes the width: no skip
            outputs.append(x)
        return outputs

    def forward(self, x: Tensor) -> Tensor:
        return self.out(self.layer_outputs(x)[-1])  # (batch, out_features)


def build(in_features: int, width: int, depth: int, activation: str, out_features: int, scheme: str,
          generator: torch.Generator, batchnorm: bool = False, residual: bool = False) -> DeepNet:
    """A deep net with every Linear (the output layer too) set by the scheme."""
    net = DeepNet(in_features, width, depth, activation, out_features, batchnorm, residual)
    for layer in [*net.linears(), net.out]:
        init_linear(layer, scheme, generator)
    return net


@dataclass
class LayerSignal:
    """What one forward and backward pass at initialization carries through each hidden layer."""

    activation_std: np.ndarray  # (depth,) the std of each layer's outputs
    gradient_std: np.ndarray  # (depth,) the std of ∂L/∂(layer output), the back-propagated gradient
    weight_grad_norm: np.ndarray  # (depth,) ‖∂L/∂W‖ of each hidden layer's weights
    act_hist: np.ndarray  # (depth, HIST_BINS) counts of each layer's outputs over `act_edges`
    act_edges: np.ndarray  # (HIST_BINS + 1,) shared by all layers
    grad_hist: np.ndarray  # (depth, HIST_BINS) counts of each layer's back-propagated gradients over `grad_edges`
    grad_edges: np.ndarray  # (HIST_BINS + 1,)


def _histograms(values: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per-layer counts over one set of edges spanning every layer's finite values."""
    finite = [v[np.isfinite(v)] for v in values]
    everything = np.concatenate(finite) if finite else np.zeros(0)
    if everything.size == 0:
        return np.zeros((len(values), HIST_BINS), dtype=int), np.linspace(-1, 1, HIST_BINS + 1)
    low, high = float(everything.min()), float(everything.max())
    if high - low < 1e-12:
        low, high = low - 0.5, high + 0.5
    edges = np.linspace(low, high, HIST_BINS + 1)
    return np.stack([np.histogram(v, bins=edges)[0] for v in finite]), edges


def _finite(a: np.ndarray) -> np.ndarray:
    """Non-finite statistics (an overflow in a huge init) become 0, so no NaN or inf reaches a chart."""
    return np.where(np.isfinite(a), a, 0.0)


def signal(net: DeepNet, X: Tensor, y: Tensor) -> LayerSignal:
    """One forward and backward pass of the cross-entropy on (X, y): each layer's outputs and gradients."""
    net.zero_grad(set_to_none=True)
    outputs = net.layer_outputs(X)
    for out in outputs:
        out.retain_grad()
    nn.functional.cross_entropy(net.out(outputs[-1]), y).backward()
    acts = [o.detach().double().flatten().numpy() for o in outputs]
    grads = [o.grad.double().flatten().numpy() for o in outputs]
    act_hist, act_edges = _histograms(acts)
    grad_hist, grad_edges = _histograms(grads)
    std = lambda values: _finite(np.array([v.std() for v in values]))  # noqa: E731
    norms = _finite(np.array([layer.weight.grad.double().norm().item() for layer in net.linears()]))
    net.zero_grad(set_to_none=True)
    return LayerSignal(std(acts), std(grads), norms, act_hist, act_edges, grad_hist, grad_edges)


def gaussian_inputs(n: int, features: int, classes: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """Standard normal inputs with random labels: enough to measure how a signal travels through the layers."""
    return torch.randn(n, features, generator=generator), torch.randint(classes, (n,), generator=generator)


# ---------------------------------------------------------------------------------------------------------------
# Glorot and Bengio (2010): standard against normalized initialization in a deep tanh network


@dataclass
class GlorotView:
    depth: int
    input_std: float
    width: int
    signals: dict[str, LayerSignal]  # "standard" and "xavier"
    spread: dict[str, float]  # largest over smallest per-layer activation std, per scheme


def glorot_view(depth: int = 10, input_std: float = 0.3, width: int = 128, points: int = 256,
                seed: int = 0) -> GlorotView:
    """Both schemes on the same inputs: the per-layer spread of activations and of back-propagated gradients."""
    if not (1 <= depth <= 50 and 2 <= width <= 1024):
        raise ValueError("Use 1 to 50 layers of 2 to 1024 units.")
    if not (math.isfinite(input_std) and input_std > 0):
        raise ValueError("The inputs' spread must be a positive number.")
    generator = torch.Generator().manual_seed(seed)
    X, y = gaussian_inputs(points, width, 10, generator)
    X = X * input_std  # (points, width)
    signals = {scheme: signal(build(width, width, depth, "tanh", 10, scheme, generator), X, y)
               for scheme in ("standard", "xavier")}
    spread = {s: float(v.activation_std.max() / max(v.activation_std.min(), 1e-300)) for s, v in signals.items()}
    return GlorotView(depth, input_std, width, signals, spread)


# ---------------------------------------------------------------------------------------------------------------
# Vanishing and exploding gradients: the gradient norm per layer, for sigmoid, tanh and ReLU


def gradient_depth_view(depth: int = 20, scheme: str = "standard", width: int = 64, seed: int = 0) -> pd.DataFrame:
    """‖∂L/∂W‖ per hidden layer at initialization, one column per activation; rows: layer 1 (input side) first."""
    if scheme not in SCHEMES:
        raise ValueError(f"Choose a scheme among {', '.join(SCHEMES)}.")
    if not 1 <= depth <= 50:
        raise ValueError("Use 1 to 50 layers.")
    frame = pd.DataFrame({"layer": np.arange(1, depth + 1)})
    for activation in ("sigmoid", "tanh", "relu"):
        generator = torch.Generator().manual_seed(seed)
        X, y = gaussian_inputs(256, 16, 2, generator)
        net = build(16, width, depth, activation, 2, scheme, generator)
        frame[activation] = signal(net, X, y).weight_grad_norm
    return frame
