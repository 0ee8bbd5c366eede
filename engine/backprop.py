"""Backpropagation by hand: a 2-2-1 sigmoid network, every forward value, local gradient and chain-rule product.

Everything is float64 NumPy, written out the way one would on a whiteboard; autograd (float64 torch) and a
central finite difference are computed beside it as the two independent checks.
"""

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

LOSSES = {"squared": "squared error ½(o − y)²", "cross_entropy": "cross-entropy −[y log o + (1 − y) log(1 − o)]"}
PARAMETERS = ("w1", "w2", "b1", "w3", "w4", "b2", "w5", "w6", "b3")  # hidden unit 1, hidden unit 2, output
FD_EPS = 1e-6  # the finite-difference step h in (L(θ + h) − L(θ − h)) / 2h


@dataclass(frozen=True)
class BackpropConfig:
    x1: float = 0.5  # the input
    x2: float = -1.0
    w1: float = 0.4  # hidden unit 1: z1 = w1·x1 + w2·x2 + b1
    w2: float = -0.3
    b1: float = 0.1
    w3: float = 0.7  # hidden unit 2: z2 = w3·x1 + w4·x2 + b2
    w4: float = 0.2
    b2: float = -0.2
    w5: float = 0.6  # output: z3 = w5·h1 + w6·h2 + b3
    w6: float = -0.5
    b3: float = 0.05
    target: float = 1.0  # y, in [0, 1]
    loss: str = "squared"  # a key of LOSSES
    lr: float = 0.5  # the learning rate of the one gradient-descent update shown


@dataclass
class BackpropView:
    config: BackpropConfig
    forward: pd.DataFrame  # quantity, formula, value: every value the forward pass caches
    local: pd.DataFrame  # local derivative, formula, value
    gradients: pd.DataFrame  # parameter, chain rule, by hand, autograd, finite difference, value, new value
    reuse: pd.DataFrame  # cached value, used by: which gradients read it in the backward pass
    loss: float
    new_loss: float  # after the update
    max_autograd_error: float
    max_fd_error: float
    without_cache: int  # forward-pass values the backward pass would recompute if nothing were cached


def sigmoid(z: float) -> float:
    """σ(z), without overflow for large |z|."""
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


def _check(config: BackpropConfig) -> None:
    values = [getattr(config, name) for name in ("x1", "x2", *PARAMETERS, "target", "lr")]
    if not all(math.isfinite(v) for v in values):
        raise ValueError("Every input, weight, the target and the learning rate must be a finite number.")
    if not 0 <= config.target <= 1:
        raise ValueError("The target y is a probability here: it must lie between 0 and 1.")
    if config.loss not in LOSSES:
        raise ValueError(f"Choose a loss among {', '.join(LOSSES)}.")


def forward(config: BackpropConfig, params: dict[str, float] | None = None) -> dict[str, float]:
    """Every value the forward pass computes (and caches), for these parameters (default: the config's)."""
    p = params or {name: getattr(config, name) for name in PARAMETERS}
    x1, x2, y = config.x1, config.x2, config.target
    z1 = p["w1"] * x1 + p["w2"] * x2 + p["b1"]
    z2 = p["w3"] * x1 + p["w4"] * x2 + p["b2"]
    h1, h2 = sigmoid(z1), sigmoid(z2)
    z3 = p["w5"] * h1 + p["w6"] * h2 + p["b3"]
    o = sigmoid(z3)
    if config.loss == "squared":
        loss = 0.5 * (o - y) ** 2
    else:  # −[y log σ(z) + (1 − y) log(1 − σ(z))] = softplus(z) − y·z, finite even when o rounds to 0 or 1
        loss = float(np.logaddexp(0.0, z3)) - y * z3
    return {"z1": z1, "h1": h1, "z2": z2, "h2": h2, "z3": z3, "o": o, "L": loss}


def hand_gradients(config: BackpropConfig, cache: dict[str, float]) -> tuple[dict[str, float], dict[str, float]]:
    """The local derivatives and ∂L/∂θ for every parameter, by the chain rule, from the cached forward values."""
    x1, x2, y = config.x1, config.x2, config.target
    h1, h2, o = cache["h1"], cache["h2"], cache["o"]
    local = {"do_dz3": o * (1 - o), "dh1_dz1": h1 * (1 - h1), "dh2_dz2": h2 * (1 - h2)}
    if config.loss == "squared":
        local["dL_do"] = o - y
        delta3 = local["dL_do"] * local["do_dz3"]
    else:  # ∂L/∂o = (o − y) / (o(1 − o)); times σ′ it is exactly o − y
        local["dL_do"] = (o - y) / local["do_dz3"] if local["do_dz3"] > 0 else math.copysign(math.inf, o - y)
        delta3 = o - y
    local["delta3"] = delta3  # ∂L/∂z3
    local["delta1"] = delta3 * config.w5 * local["dh1_dz1"]  # ∂L/∂z1 = ∂L/∂z3 · ∂z3/∂h1 · ∂h1/∂z1
    local["delta2"] = delta3 * config.w6 * local["dh2_dz2"]
    d1, d2 = local["delta1"], local["delta2"]
    grads = {"w1": d1 * x1, "w2": d1 * x2, "b1": d1, "w3": d2 * x1, "w4": d2 * x2, "b2": d2,
             "w5": delta3 * h1, "w6": delta3 * h2, "b3": delta3}
    return local, grads


def autograd_gradients(config: BackpropConfig) -> dict[str, float]:
    """∂L/∂θ from torch autograd, in float64: the reference."""
    p = {name: torch.tensor(getattr(config, name), dtype=torch.float64, requires_grad=True) for name in PARAMETERS}
    x = torch.tensor([config.x1, config.x2], dtype=torch.float64)  # (2,)
    W1 = torch.stack([torch.stack([p["w1"], p["w2"]]), torch.stack([p["w3"], p["w4"]])])  # (2, 2)
    h = torch.sigmoid(W1 @ x + torch.stack([p["b1"], p["b2"]]))  # (2,)
    z3 = torch.stack([p["w5"], p["w6"]]) @ h + p["b3"]  # ()
    y = torch.tensor(config.target, dtype=torch.float64)
    if config.loss == "squared":
        loss = 0.5 * (torch.sigmoid(z3) - y) ** 2
    else:
        loss = torch.nn.functional.binary_cross_entropy_with_logits(z3, y)
    loss.backward()
    return {name: p[name].grad.item() for name in PARAMETERS}


def finite_difference(config: BackpropConfig, eps: float = FD_EPS) -> dict[str, float]:
    """(L(θ + h) − L(θ − h)) / 2h for each parameter in turn: needs no calculus, costs two forward passes each."""
    base = {name: getattr(config, name) for name in PARAMETERS}
    out = {}
    for name in PARAMETERS:
        up, down = base | {name: base[name] + eps}, base | {name: base[name] - eps}
        out[name] = (forward(config, up)["L"] - forward(config, down)["L"]) / (2 * eps)
    return out


CHAIN = {  # the chain-rule product each gradient is, in symbols
    "w1": "∂L/∂z3 · w5 · h1(1 − h1) · x1", "w2": "∂L/∂z3 · w5 · h1(1 − h1) · x2", "b1": "∂L/∂z3 · w5 · h1(1 − h1)",
    "w3": "∂L/∂z3 · w6 · h2(1 − h2) · x1", "w4": "∂L/∂z3 · w6 · h2(1 − h2) · x2", "b2": "∂L/∂z3 · w6 · h2(1 − h2)",
    "w5": "∂L/∂z3 · h1", "w6": "∂L/∂z3 · h2", "b3": "∂L/∂z3",
}
READS = {  # the cached forward values (and weights) each gradient reads
    "w1": ("o", "h1", "x1"), "w2": ("o", "h1", "x2"), "b1": ("o", "h1"),
    "w3": ("o", "h2", "x1"), "w4": ("o", "h2", "x2"), "b2": ("o", "h2"),
    "w5": ("o", "h1"), "w6": ("o", "h2"), "b3": ("o",),
}
COMPUTED = ("z1", "h1", "z2", "h2", "z3", "o")  # what the forward pass computes; the inputs are given


def _recomputed(name: str) -> int:
    """Forward values one gradient would recompute without the cache: each value it reads and all it depends on."""
    needs = {"h1": {"z1", "h1"}, "h2": {"z2", "h2"}, "o": {"z1", "h1", "z2", "h2", "z3", "o"}}
    return len(set().union(*(needs.get(v, set()) for v in READS[name])))


def step_by_step(config: BackpropConfig) -> BackpropView:
    """One forward pass, one backward pass and one update, with both checks beside every gradient."""
    _check(config)
    cache = forward(config)
    local, grads = hand_gradients(config, cache)
    auto, numeric = autograd_gradients(config), finite_difference(config)
    c = config
    forward_rows = [
        ("z1", "w1·x1 + w2·x2 + b1", cache["z1"]), ("h1", "σ(z1)", cache["h1"]),
        ("z2", "w3·x1 + w4·x2 + b2", cache["z2"]), ("h2", "σ(z2)", cache["h2"]),
        ("z3", "w5·h1 + w6·h2 + b3", cache["z3"]), ("o", "σ(z3)", cache["o"]),
        ("L", "½(o − y)²" if c.loss == "squared" else "−[y log o + (1 − y) log(1 − o)]", cache["L"]),
    ]
    ce = c.loss == "cross_entropy"
    local_rows = [
        ("∂L/∂o", "(o − y) / (o(1 − o))" if ce else "o − y", local["dL_do"]),
        ("∂o/∂z3", "o(1 − o)", local["do_dz3"]),
        ("∂L/∂z3", "o − y (the σ′ cancels)" if ce else "∂L/∂o · ∂o/∂z3", local["delta3"]),
        ("∂z3/∂h1, ∂z3/∂h2", "w5, w6", f"{c.w5:g}, {c.w6:g}"),
        ("∂h1/∂z1", "h1(1 − h1)", local["dh1_dz1"]), ("∂h2/∂z2", "h2(1 − h2)", local["dh2_dz2"]),
        ("∂L/∂z1", "∂L/∂z3 · w5 · h1(1 − h1)", local["delta1"]),
        ("∂L/∂z2", "∂L/∂z3 · w6 · h2(1 − h2)", local["delta2"]),
    ]
    local_frame = pd.DataFrame([(name, formula, v if isinstance(v, str) else _num(v))
                                for name, formula, v in local_rows], columns=["local derivative", "formula", "value"])
    new = {name: getattr(c, name) - c.lr * grads[name] for name in PARAMETERS}
    gradients = pd.DataFrame({
        "parameter": PARAMETERS, "chain rule": [CHAIN[n] for n in PARAMETERS],
        "by hand": [grads[n] for n in PARAMETERS], "autograd": [auto[n] for n in PARAMETERS],
        "finite difference": [numeric[n] for n in PARAMETERS],
        "value": [getattr(c, n) for n in PARAMETERS], "new value": [new[n] for n in PARAMETERS],
    })
    reuse = pd.DataFrame({"cached value": ["x1, x2 (the input)", "h1", "h2", "o"],
                          "read by the gradients of": [
                              ", ".join(n for n in PARAMETERS if {"x1", "x2"} & set(READS[n])),
                              ", ".join(n for n in PARAMETERS if "h1" in READS[n]),
                              ", ".join(n for n in PARAMETERS if "h2" in READS[n]),
                              ", ".join(n for n in PARAMETERS if "o" in READS[n])]})
    hand = np.array([grads[n] for n in PARAMETERS])
    return BackpropView(
        config, pd.DataFrame(forward_rows, columns=["quantity", "formula", "value"]), local_frame, gradients, reuse,
        cache["L"], forward(c, new)["L"],
        float(np.max(np.abs(hand - [auto[n] for n in PARAMETERS]))),
        float(np.max(np.abs(hand - [numeric[n] for n in PARAMETERS]))),
        sum(_recomputed(n) for n in PARAMETERS),
    )


def _num(v: float) -> str:
    return ("−∞" if v < 0 else "∞") if math.isinf(v) else f"{v:.6g}"
