import itertools
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from engine.conv_arithmetic import (
    ArithmeticConfig,
    Layer,
    arithmetic,
    cell,
    measured_field,
    output_size,
    padded_output_size,
    receptive_fields,
    same_padding,
)

GRID = [(n, k, s, p, d) for n, k, s, p, d in itertools.product((1, 5, 8, 13, 28), (1, 2, 3, 5), (1, 2, 3), (0, 1, 2),
                                                                (1, 2))
        if n + 2 * p >= d * (k - 1) + 1]  # n, k, s, p, d where the kernel fits


@pytest.mark.parametrize("n, k, s, p, d", GRID)
def test_the_output_size_formula_matches_nn_conv2d_over_a_grid_of_settings(n, k, s, p, d):
    conv = nn.Conv2d(1, 1, k, stride=s, padding=p, dilation=d)
    assert conv(torch.zeros(1, 1, n, n)).shape[-1] == output_size(n, k, s, p, d)


POOL_GRID = sorted({(n, k, s, d) for n, k, s, _, d in GRID if d * (k - 1) + 1 <= n})


@pytest.mark.parametrize("n, k, s, d", POOL_GRID)
def test_max_pooling_follows_the_same_formula(n, k, s, d):
    pool = nn.MaxPool2d(k, stride=s, dilation=d)
    assert pool(torch.zeros(1, 1, n, n)).shape[-1] == output_size(n, k, s, 0, d)


@pytest.mark.parametrize("n, k, s, d", list(itertools.product((5, 7, 28, 31), (1, 2, 3, 4, 5), (1, 2, 3), (1, 2))))
def test_same_padding_gives_the_ceiling_of_n_over_s_and_valid_pads_nothing(n, k, s, d):
    before, after = same_padding(n, k, s, d)
    assert 0 <= after - before <= 1  # an odd total puts the extra pixel after
    x = F.pad(torch.zeros(1, 1, n, n), (before, after, before, after))
    out = nn.Conv2d(1, 1, k, stride=s, dilation=d)(x).shape[-1]
    assert out == padded_output_size(n, k, s, before, after, d) == -(-n // s)


def test_stride_one_same_padding_agrees_with_torchs_own_padding_same():
    for k, d in itertools.product((1, 3, 4, 5), (1, 2)):
        before, after = same_padding(10, k, 1, d)
        ours = F.conv2d(F.pad(torch.arange(100.).reshape(1, 1, 10, 10), (before, after, before, after)),
                        torch.ones(1, 1, k, k), dilation=d)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # torch notes that an even kernel costs a padded copy
            theirs = F.conv2d(torch.arange(100.).reshape(1, 1, 10, 10), torch.ones(1, 1, k, k), padding="same",
                              dilation=d)
        assert ours.shape == theirs.shape
        if before == after:  # torch puts an odd extra pixel after too, so the values agree as well
            torch.testing.assert_close(ours, theirs)


@pytest.mark.parametrize("padding, explicit", [("valid", 0), ("same", 0), ("explicit", 2)])
@pytest.mark.parametrize("pool", ["max", "avg", "none"])
def test_the_widget_reports_what_nn_conv2d_and_the_pooling_layer_produce(padding, explicit, pool):
    config = ArithmeticConfig(size=13, channels=3, filters=4, kernel=4, stride=2, padding=padding, explicit=explicit,
                              dilation=1, pool=pool, pool_size=2)
    result = arithmetic(config)
    assert result.torch_conv_out == (1, 4, result.conv_out, result.conv_out)
    assert result.torch_pool_out == (1, 4, result.pool_out, result.pool_out)
    assert result.weights == 4 * (4 * 4 * 3) + 4
    if padding == "same":
        assert result.conv_out == 7  # ⌈13 / 2⌉


def test_settings_with_no_output_left_get_a_sentence():
    with pytest.raises(ValueError, match="no output is left"):
        arithmetic(ArithmeticConfig(size=3, kernel=5, padding="valid"))
    with pytest.raises(ValueError, match="pooling window"):
        arithmetic(ArithmeticConfig(size=3, kernel=3, padding="valid", pool="max", pool_size=2))


@pytest.mark.parametrize("stride, before, after, dilation", [(1, 0, 0, 1), (2, 1, 1, 1), (1, 2, 2, 2), (3, 1, 2, 1)])
def test_the_step_through_cell_is_the_dot_product_and_equals_the_conv_output(stride, before, after, dilation):
    rng = np.random.default_rng(1)
    image, kernel = rng.normal(size=(9, 9)), rng.integers(-2, 3, size=(3, 3)).astype(float)
    reference = F.conv2d(F.pad(torch.as_tensor(image)[None, None], (before, after, before, after)),
                         torch.as_tensor(kernel)[None, None], stride=stride, dilation=dilation)[0, 0].numpy()
    for row, col in itertools.product(range(reference.shape[0]), range(reference.shape[1])):
        one = cell(image, kernel, row, col, stride, before, after, dilation, bias=0.5)
        padded = np.pad(image, ((before, after), (before, after)))
        by_hand = sum(kernel[i, j] * padded[row * stride + i * dilation, col * stride + j * dilation]
                      for i in range(3) for j in range(3)) + 0.5
        assert one.value == pytest.approx(by_hand) == pytest.approx(reference[row, col] + 0.5)
        assert one.torch_value == pytest.approx(one.value)
        assert one.rows[0] == row * stride - before and one.rows[1] - one.rows[0] == dilation


def test_the_receptive_field_of_a_hand_computed_stack():
    """conv 3×3 → conv 3×3 → pool 2 (stride 2) → conv 3×3: 3, 5, 6, then 6 + 2·2 = 10; jumps 1, 1, 2, 2."""
    fields = receptive_fields([Layer("c1", 3, 1, 1), Layer("c2", 3, 1, 1), Layer("p", 2, 2), Layer("c3", 3, 1, 1)])
    assert [f.size for f in fields] == [3, 5, 6, 10]
    assert [f.jump for f in fields] == [1, 1, 2, 2]
    assert fields[0].start == 0 and fields[2].start == 0.5  # the first pooled unit straddles pixels 0 and 1


def test_the_receptive_field_with_dilation_and_stride_matches_autograd():
    layers = [Layer("a", 5, 2, 0), Layer("b", 3, 1, 0, dilation=2), Layer("c", 3, 2, 0)]
    net = nn.Sequential(nn.Conv2d(1, 2, 5, stride=2), nn.Conv2d(2, 2, 3, dilation=2), nn.Conv2d(2, 1, 3, stride=2))
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.rand_like(p) + 0.1)  # positive weights: no path cancels, so every pixel shows
    size = receptive_fields(layers)[-1].size
    assert size == 5 + (3 - 1) * 2 * 2 + (3 - 1) * 2 == 17  # 5; + (k − 1)·d·j with j = 2; + (k − 1)·j, j still 2
    assert measured_field(net, 64) == (size, size)
