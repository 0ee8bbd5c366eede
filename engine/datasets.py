"""Small 2-D classification datasets, generated from a seeded torch.Generator.

Every dataset returns X (n, 2) float32 and y (n,) int64; `noise` is the standard
deviation of Gaussian jitter in data units.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

Maker = Callable[[int, float, int, torch.Generator], tuple[Tensor, Tensor]]


def _jitter(X: Tensor, noise: float, g: torch.Generator) -> Tensor:
    return X + noise * torch.randn(X.shape, generator=g, dtype=X.dtype) if noise > 0 else X


def xor(n: int, noise: float, _: int, g: torch.Generator) -> tuple[Tensor, Tensor]:
    """The XOR truth table as four clusters at (±1, ±1): class 1 where the signs differ."""
    corners = torch.tensor([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
    labels = torch.tensor([0, 1, 1, 0])
    which = torch.arange(n) % 4  # equal cluster sizes (to within one point)
    return _jitter(corners[which], noise, g), labels[which]


def circles(n: int, noise: float, _: int, g: torch.Generator, factor: float = 0.5) -> tuple[Tensor, Tensor]:
    """A circle of class 0 around a smaller one of class 1 (laid out like scikit-learn's)."""
    n_out = n // 2
    n_in = n - n_out
    t_out = torch.linspace(0, 2 * math.pi, n_out + 1, dtype=torch.float64)[:-1]
    t_in = torch.linspace(0, 2 * math.pi, n_in + 1, dtype=torch.float64)[:-1]
    X = torch.cat([torch.stack([t_out.cos(), t_out.sin()], 1),
                   factor * torch.stack([t_in.cos(), t_in.sin()], 1)]).float()
    y = torch.cat([torch.zeros(n_out), torch.ones(n_in)]).long()
    return _jitter(X, noise, g), y


def moons(n: int, noise: float, _: int, g: torch.Generator) -> tuple[Tensor, Tensor]:
    """Two interleaving half circles (laid out like scikit-learn's)."""
    n_out = n // 2
    n_in = n - n_out
    t_out = torch.linspace(0, math.pi, n_out, dtype=torch.float64)
    t_in = torch.linspace(0, math.pi, n_in, dtype=torch.float64)
    X = torch.cat([torch.stack([t_out.cos(), t_out.sin()], 1),
                   torch.stack([1 - t_in.cos(), 1 - t_in.sin() - 0.5], 1)]).float()
    y = torch.cat([torch.zeros(n_out), torch.ones(n_in)]).long()
    return _jitter(X, noise, g), y


def spiral(n: int, noise: float, classes: int, g: torch.Generator) -> tuple[Tensor, Tensor]:
    """`classes` interleaved spiral arms, each turning once and a half."""
    y = torch.arange(n) % classes
    t = torch.rand(n, generator=g) * 0.9 + 0.1  # distance along the arm, away from the centre
    angle = 3 * math.pi * t + 2 * math.pi * y / classes
    X = torch.stack([t * angle.cos(), t * angle.sin()], 1) * 2
    return _jitter(X, noise, g), y


def blobs(n: int, noise: float, classes: int, g: torch.Generator) -> tuple[Tensor, Tensor]:
    """`classes` Gaussian blobs with centres spread on a circle of radius 2."""
    y = torch.arange(n) % classes
    angle = 2 * math.pi * y / classes
    centres = 2 * torch.stack([angle.cos(), angle.sin()], 1)
    return _jitter(centres, 0.3 + noise, g), y


@dataclass(frozen=True)
class Dataset:
    label: str
    make: Maker
    fixed_classes: int | None  # None: the number of classes is a choice


DATASETS: dict[str, Dataset] = {
    "xor": Dataset("XOR", xor, 2),
    "circles": Dataset("Circles", circles, 2),
    "moons": Dataset("Moons", moons, 2),
    "spiral": Dataset("Spiral", spiral, None),
    "blobs": Dataset("Gaussian blobs", blobs, None),
}


@dataclass(frozen=True)
class Split:
    """Train and test tensors on one device."""

    X_train: Tensor  # (n_train, 2)
    y_train: Tensor  # (n_train,)
    X_test: Tensor  # (n_test, 2)
    y_test: Tensor  # (n_test,)
    num_classes: int


def make_split(name: str, n: int, noise: float, classes: int, test_fraction: float,
               generator: torch.Generator, device: torch.device | str = "cpu") -> Split:
    """Generate a dataset, shuffle it and cut off a test set."""
    dataset = DATASETS[name]
    classes = dataset.fixed_classes or classes
    X, y = dataset.make(n, noise, classes, generator)
    order = torch.randperm(n, generator=generator)
    X, y = X[order].to(device), y[order].to(device)
    n_test = max(1, round(n * test_fraction))
    return Split(X[n_test:], y[n_test:], X[:n_test], y[:n_test], classes)
