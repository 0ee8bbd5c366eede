import numpy as np
import pytest
import torch
from sklearn.datasets import make_circles, make_moons

from engine.datasets import DATASETS, circles, make_split, moons


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_moons_without_noise_are_scikit_learns_moons():
    X, y = moons(101, 0.0, 2, gen())
    X_ref, y_ref = make_moons(101, shuffle=False, noise=None)
    np.testing.assert_allclose(X.numpy(), X_ref, atol=1e-6)
    np.testing.assert_array_equal(y.numpy(), y_ref)


def test_circles_without_noise_are_scikit_learns_circles():
    X, y = circles(100, 0.0, 2, gen(), factor=0.5)
    X_ref, y_ref = make_circles(100, shuffle=False, noise=None, factor=0.5)
    np.testing.assert_allclose(X.numpy(), X_ref, atol=1e-6)
    np.testing.assert_array_equal(y.numpy(), y_ref)


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize("classes", [2, 4])
def test_every_dataset_gives_balanced_labelled_points(name, classes):
    split = make_split(name, 400, 0.1, classes, 0.25, gen())
    expected_classes = DATASETS[name].fixed_classes or classes
    assert split.num_classes == expected_classes
    assert split.X_train.shape == (300, 2) and split.X_test.shape == (100, 2)
    y = torch.cat([split.y_train, split.y_test])
    counts = torch.bincount(y, minlength=expected_classes)
    assert counts.max() - counts.min() <= 1
    assert torch.isfinite(split.X_train).all()


def test_the_same_seed_gives_the_same_data_and_another_seed_does_not():
    a, b, c = (make_split("spiral", 200, 0.2, 3, 0.3, gen(s)) for s in (1, 1, 2))
    assert torch.equal(a.X_train, b.X_train)
    assert not torch.equal(a.X_train, c.X_train)


def test_xor_labels_follow_the_signs_of_the_cluster_centres():
    split = make_split("xor", 400, 0.1, 2, 0.0001, gen())
    X, y = split.X_train, split.y_train
    assert torch.equal(y, (torch.sign(X[:, 0]) != torch.sign(X[:, 1])).long())
