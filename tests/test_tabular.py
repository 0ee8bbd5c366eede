import numpy as np
import torch

from engine.tabular import breast_cancer, classification_split, diabetes, standardize


def test_breast_cancer_is_the_packaged_wisconsin_set():
    table = breast_cancer()
    assert table.X.shape == (569, 30) and len(table.features) == 30
    assert np.bincount(table.y).tolist() == [212, 357]


def test_diabetes_comes_in_raw_units():
    table = diabetes()
    assert table.X.shape == (442, 10)
    age = table.X[:, table.features.index("age")]
    assert 18 <= age.min() and age.max() <= 80  # years, not the scaled copy


def test_standardize_uses_the_training_statistics_and_survives_a_constant_column():
    train = np.array([[1.0, 5.0], [3.0, 5.0]])
    test = np.array([[2.0, 5.0]])
    train_z, test_z = standardize(train, test)
    np.testing.assert_allclose(train_z[:, 0], [-1, 1])
    np.testing.assert_allclose(test_z, [[0.0, 0.0]])
    assert np.isfinite(train_z).all()  # std 0 in the second column: eps keeps it finite


def test_a_split_keeps_every_row_once_and_scales_with_the_train_rows_only():
    split = classification_split(breast_cancer(), test_fraction=0.25, seed=3)
    assert len(split.X_train) + len(split.X_test) == 569 and split.num_classes == 2
    assert split.X_train.dtype == torch.float32 and split.y_train.dtype == torch.int64
    torch.testing.assert_close(split.X_train.mean(0), torch.zeros(30), atol=1e-5, rtol=0)
    raw = classification_split(breast_cancer(), seed=3, scale=False)
    assert raw.X_train.max() > 1000  # mean area, in raw units
