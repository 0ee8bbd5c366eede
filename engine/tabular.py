"""Real tabular datasets that ship inside scikit-learn (no download), as train and test tensors."""

from dataclasses import dataclass
from functools import cache

import numpy as np
import torch
from sklearn.datasets import load_breast_cancer, load_diabetes

from engine.datasets import Split


@dataclass(frozen=True)
class Table:
    label: str  # how the page names it
    X: np.ndarray  # (n, features) float64, raw units
    y: np.ndarray  # (n,) int64 class or float64 target
    features: tuple[str, ...]


@cache
def breast_cancer() -> Table:
    """Wisconsin breast cancer: 569 tumours, 30 measurements each, malignant (0) or benign (1)."""
    data = load_breast_cancer()
    return Table("Breast cancer (Wisconsin, 569 tumours, 30 features)", data.data, data.target,
                 tuple(data.feature_names))


@cache
def diabetes() -> Table:
    """Diabetes: 442 patients, 10 raw measurements (age in years, BMI, ...), disease progression after a year."""
    data = load_diabetes(scaled=False)
    return Table("Diabetes (442 patients, 10 features)", data.data, data.target.astype(np.float64),
                 tuple(data.feature_names))


def standardize(train: np.ndarray, *others: np.ndarray, eps: float = 1e-8) -> list[np.ndarray]:
    """(x − mean) / (std + eps), with the training set's mean and std for every array.

    eps keeps a constant feature (std 0) from dividing by zero.
    """
    mean, std = train.mean(0), train.std(0)
    return [(a - mean) / (std + eps) for a in (train, *others)]


def classification_split(table: Table, test_fraction: float = 0.25, seed: int = 0, scale: bool = True,
                         device: torch.device | str = "cpu") -> Split:
    """A shuffled, stratified-by-chance train/test split as float32/int64 tensors, standardized if `scale`."""
    order = np.random.default_rng(seed).permutation(len(table.y))
    n_test = max(1, round(len(order) * test_fraction))
    test, train = order[:n_test], order[n_test:]
    X_train, X_test = table.X[train], table.X[test]
    if scale:
        X_train, X_test = standardize(X_train, X_test)
    tensor = lambda a, dtype: torch.as_tensor(a, dtype=dtype, device=device)  # noqa: E731
    return Split(tensor(X_train, torch.float32), tensor(table.y[train], torch.int64),
                 tensor(X_test, torch.float32), tensor(table.y[test], torch.int64), int(table.y.max()) + 1)
