"""Activation functions as taught: the formula by hand, the derivative from autograd.

`ACTIVATIONS` is the single table of choices: the page lists it, the MLP builds its
layers from it and the tests run over it.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

SATURATION_GRAD = 0.05  # |f'(x)| below this counts as saturated: almost no gradient passes


@dataclass(frozen=True)
class Activation:
    label: str
    latex: str
    output_range: str
    zero_centred: str
    fn: Callable[[Tensor, float], Tensor] | None  # (x, parameter) -> f(x); None for maxout
    torch_code: str  # the same function as a torch.nn module, for "show the code"; {slope} and {k} filled in
    note: str
    can_die: bool = False  # a unit can output exactly 0 for every input, so dead units are worth tracking
    uses: str = ""  # the setting it takes, shared by the explorer and the network: "slope" or "k" (pieces)
    helper_code: str = ""  # the nn.Module a standalone script must define to use it
    plot_note: str = ""  # said under its chart in the explorer

    def units(self, width: int, k: int) -> int:
        """Outputs of the Linear layer feeding `width` of these units (maxout takes k pieces per unit)."""
        return width * k if self.uses == "k" else width

    def module(self, name: str, slope: float, k: int) -> nn.Module:
        return Maxout(k) if self.fn is None else ActivationLayer(name, slope)


def sigmoid(x: Tensor, _: float = 0.0) -> Tensor:
    # 1 / (1 + e^-x), evaluated through e^-|x| <= 1 so neither side overflows
    e = torch.exp(-torch.abs(x))
    return torch.where(x >= 0, 1 / (1 + e), e / (1 + e))


def tanh(x: Tensor, _: float = 0.0) -> Tensor:
    # (e^x - e^-x) / (e^x + e^-x), written as 2·sigmoid(2x) - 1 so it never overflows
    return 2 * sigmoid(2 * x) - 1


def relu(x: Tensor, _: float = 0.0) -> Tensor:
    return torch.where(x > 0, x, torch.zeros_like(x))


def leaky_relu(x: Tensor, slope: float = 0.01) -> Tensor:
    return torch.where(x > 0, x, slope * x)


def elu(x: Tensor, _: float = 0.0) -> Tensor:
    return torch.where(x > 0, x, torch.expm1(torch.clamp(x, max=0)))  # alpha = 1, PyTorch's default


def gelu(x: Tensor, _: float = 0.0) -> Tensor:
    return x * 0.5 * (1 + torch.erf(x / math.sqrt(2)))  # x times the normal CDF


def swish(x: Tensor, _: float = 0.0) -> Tensor:
    return x * sigmoid(x)


def softplus(x: Tensor, _: float = 0.0) -> Tensor:
    # log(1 + e^x), written so that e^x never overflows for large x
    return torch.clamp(x, min=0) + torch.log1p(torch.exp(-torch.abs(x)))


def softsign(x: Tensor, _: float = 0.0) -> Tensor:
    return x / (1 + torch.abs(x))


def step(x: Tensor, _: float = 0.0) -> Tensor:
    # (x > 0) has no gradient at all; adding 0 * x keeps the graph so autograd reports the
    # true derivative, 0 everywhere (undefined only at x = 0).
    return (x > 0).to(x.dtype) + 0 * x


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation(
        "Sigmoid", r"\sigma(x) = \frac{1}{1 + e^{-x}}", "(0, 1)",
        "No: outputs are always positive", sigmoid, "nn.Sigmoid()",
        "Smooth probability-like output; saturates at both ends, f'(x) is at most 0.25.",
    ),
    "tanh": Activation(
        "Tanh", r"\tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}} = 2\sigma(2x) - 1", "(-1, 1)",
        "Yes", tanh, "nn.Tanh()",
        "A rescaled sigmoid centred on zero; still saturates, f'(x) is at most 1.",
    ),
    "relu": Activation(
        "ReLU", r"\mathrm{ReLU}(x) = \max(0, x)", "[0, ∞)",
        "No: outputs are never negative", relu, "nn.ReLU()",
        "Cheap, no saturation for x > 0; a unit stuck at x < 0 gets no gradient (dying ReLU).",
        can_die=True,
    ),
    "leaky_relu": Activation(
        "Leaky ReLU", r"\mathrm{LeakyReLU}(x) = \max(\alpha x, x),\ 0 < \alpha < 1", "(-∞, ∞)",
        "Nearly: small negative outputs", leaky_relu, "nn.LeakyReLU({slope})",
        "Like ReLU, but a slope α for x < 0 keeps a gradient flowing, so units cannot die.",
        uses="slope",
    ),
    "elu": Activation(
        "ELU", r"\mathrm{ELU}(x) = \begin{cases} x & x > 0 \\ e^{x} - 1 & x \le 0 \end{cases}",
        "(-1, ∞)", "Nearly: negative outputs pull the mean toward 0", elu, "nn.ELU()",
        "Saturates at -1 for x < 0, smooth at 0 only when alpha = 1; mean activations closer to zero than ReLU.",
    ),
    "gelu": Activation(
        "GELU", r"\mathrm{GELU}(x) = x\,\Phi(x) = \frac{x}{2}\left(1 + \mathrm{erf}(x/\sqrt{2})\right)",
        "≈ [-0.17, ∞)", "Nearly", gelu, "nn.GELU()",
        "Weights x by the chance that a standard normal is below x; BERT and GPT-2 use it, most newer LLMs SwiGLU.",
    ),
    "swish": Activation(
        "Swish / SiLU", r"\mathrm{swish}(x) = x\,\sigma(x),\quad f'(x) = f(x) + \sigma(x)\,(1 - f(x))",
        "≈ [-0.28, ∞)", "Nearly", swish, "nn.SiLU()",
        "Smooth, non-monotonic dip below zero; self-gated ReLU found by architecture search.",
    ),
    "softplus": Activation(
        "Softplus", r"\mathrm{softplus}(x) = \ln(1 + e^{x}),\quad f'(x) = \sigma(x)", "(0, ∞)",
        "No: outputs are always positive", softplus, "nn.Softplus()",
        "A smooth ReLU; its derivative is the sigmoid.",
    ),
    "softsign": Activation(
        "Softsign", r"\mathrm{softsign}(x) = \frac{x}{1 + |x|}", "(-1, 1)", "Yes", softsign,
        "nn.Softsign()",
        "Like tanh but approaches ±1 polynomially, so it saturates more slowly.",
    ),
    "step": Activation(
        "Step", r"H(x) = \begin{cases} 1 & x > 0 \\ 0 & x \le 0 \end{cases}", "{0, 1}",
        "No", step, "Step()",
        "The original perceptron's unit. Its derivative is 0 everywhere, so gradient descent "
        "cannot train layers below it.",
        can_die=True,
        helper_code=("class Step(nn.Module):\n    def forward(self, x):\n"
                     "        return (x > 0).float() + 0 * x  # derivative 0 everywhere\n"),
    ),
    "maxout": Activation(
        "Maxout", r"\mathrm{maxout}(x) = \max_{i=1..k}\left(w_i^\top x + b_i\right)",
        "depends on the learned pieces", "Depends on the learned pieces", None,
        "Maxout({k})",
        "Takes the largest of k learned linear pieces: any convex piecewise-linear shape. "
        "ReLU is maxout of (0, x). Costs k times the weights.",
        uses="k",
        helper_code=("class Maxout(nn.Module):\n    def __init__(self, k):\n        super().__init__()\n"
                     "        self.k = k\n\n    def forward(self, x):  # (batch, width * k) -> (batch, width)\n"
                     "        return x.unflatten(-1, (-1, self.k)).max(dim=-1).values\n"),
        plot_note=" Pieces shown: tangents to x²/2; in a network they are learned.",
    ),
}
ACTIVATION_NAMES = tuple(ACTIVATIONS)


def maxout_pieces(k: int) -> tuple[Tensor, Tensor]:
    """k example pieces for plotting maxout of a scalar: tangents to x²/2 at k points."""
    touch = torch.linspace(-2, 2, k, dtype=torch.float64)
    return touch, -touch**2 / 2  # slopes w_i, intercepts b_i


def apply(name: str, x: Tensor, slope: float = 0.01, maxout_k: int = 2) -> Tensor:
    """f(x) for a scalar-input activation; maxout uses the example pieces above."""
    if ACTIVATIONS[name].fn is None:  # maxout: its pieces are learned, so plot example ones
        weights, biases = maxout_pieces(maxout_k)
        pieces = x.unsqueeze(-1) * weights.to(x) + biases.to(x)  # (..., k)
        return pieces.max(dim=-1).values
    return ACTIVATIONS[name].fn(x, slope)


@dataclass(frozen=True)
class Curve:
    """f and f' of one activation on a grid, with its saturated stretches of x."""

    name: str
    x: np.ndarray
    y: np.ndarray
    dy: np.ndarray
    saturated: list[tuple[float, float]]  # intervals of x where |f'(x)| < SATURATION_GRAD


def curve(name: str, x_min: float = -6.0, x_max: float = 6.0, points: int = 601,
          slope: float = 0.01, maxout_k: int = 2) -> Curve:
    """Sample f(x) and autograd's f'(x) for one activation."""
    x = torch.linspace(x_min, x_max, points, dtype=torch.float64, requires_grad=True)
    y = apply(name, x, slope, maxout_k)
    (dy,) = torch.autograd.grad(y.sum(), x)
    x_np, dy_np = x.detach().numpy(), dy.numpy()
    return Curve(name, x_np, y.detach().numpy(), dy_np, intervals(x_np, np.abs(dy_np) < SATURATION_GRAD))


def intervals(x: np.ndarray, mask: np.ndarray) -> list[tuple[float, float]]:
    """The runs of consecutive True in mask, as (first x, last x) pairs."""
    runs, start = [], None
    for i, flag in enumerate(mask):
        if flag and start is None:
            start = i
        if start is not None and (not flag or i == len(mask) - 1):
            end = i if flag else i - 1
            runs.append((float(x[start]), float(x[end])))
            start = None
    return runs


def softmax(logits: Tensor, temperature: float = 1.0) -> Tensor:
    """Numerically stable softmax: subtracting the max changes nothing but avoids overflow."""
    z = logits / temperature
    e = torch.exp(z - z.max(dim=-1, keepdim=True).values)
    return e / e.sum(dim=-1, keepdim=True)


def naive_softmax(logits: Tensor, temperature: float = 1.0) -> Tensor:
    """Softmax straight from the formula: overflows to inf/inf = NaN for large logits."""
    e = torch.exp(logits / temperature)
    return e / e.sum(dim=-1, keepdim=True)


class ActivationLayer(nn.Module):
    """An element-wise activation from the table, as a layer."""

    def __init__(self, name: str, slope: float = 0.01):
        super().__init__()
        self.name, self.slope = name, slope
        self.fn = ACTIVATIONS[name].fn

    def forward(self, x: Tensor) -> Tensor:
        return self.fn(x, self.slope)


class Maxout(nn.Module):
    """Max over groups of k consecutive features: (batch, width * k) -> (batch, width)."""

    def __init__(self, k: int):
        super().__init__()
        self.k = k

    def forward(self, x: Tensor) -> Tensor:
        return x.unflatten(-1, (-1, self.k)).max(dim=-1).values
