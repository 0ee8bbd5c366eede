"""Convolution arithmetic: output sizes, SAME and VALID padding, dilation, pooling, one output cell in numbers, and
receptive fields. Every size here is checked against torch.nn.Conv2d and nn.MaxPool2d.
"""

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

PADDINGS = {"valid": "VALID (none)", "same": "SAME", "explicit": "a number of pixels"}
POOLS = {"max": "max pooling", "avg": "average pooling", "none": "no pooling"}


def output_size(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """⌊(n + 2p − d(k − 1) − 1) / s⌋ + 1: one side of a convolution's (or pooling's) output."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def same_padding(size: int, kernel: int, stride: int = 1, dilation: int = 1) -> tuple[int, int]:
    """SAME padding as TensorFlow defines it: (before, after) so that the output is ⌈n / s⌉; odd totals pad after."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + dilation * (kernel - 1) + 1 - size, 0)
    return total // 2, total - total // 2


def padded_output_size(size: int, kernel: int, stride: int, before: int, after: int, dilation: int = 1) -> int:
    """The output size with possibly unequal padding before and after."""
    return (size + before + after - dilation * (kernel - 1) - 1) // stride + 1


def pads(mode: str, size: int, kernel: int, stride: int = 1, dilation: int = 1, explicit: int = 0) -> tuple[int, int]:
    """(before, after) padding for "valid", "same" or "explicit"."""
    if mode == "valid":
        return 0, 0
    if mode == "same":
        return same_padding(size, kernel, stride, dilation)
    if mode == "explicit":
        return explicit, explicit
    raise ValueError(f"Unknown padding {mode!r}: choose one of {', '.join(PADDINGS)}.")


@dataclass(frozen=True)
class ArithmeticConfig:
    size: int = 28  # input height = width
    channels: int = 1  # input channels
    filters: int = 8  # output channels
    kernel: int = 5
    stride: int = 1
    padding: str = "same"  # a key of PADDINGS
    explicit: int = 0  # pixels each side, for padding="explicit"
    dilation: int = 1
    pool: str = "max"  # a key of POOLS
    pool_size: int = 2  # pooling window = its stride


@dataclass(frozen=True)
class Arithmetic:
    config: ArithmeticConfig
    pad: tuple[int, int]  # (before, after)
    conv_out: int  # from the formula
    pool_out: int  # from the formula (= conv_out without pooling)
    torch_conv_out: tuple[int, ...]  # the shape nn.Conv2d gave: (1, filters, H, W)
    torch_pool_out: tuple[int, ...]
    weights: int  # the conv layer's parameters
    formula: str  # the formula with the numbers put in (LaTeX)
    code: str


def arithmetic(config: ArithmeticConfig) -> Arithmetic:
    """Output sizes by the formula, and the shapes a real nn.Conv2d and pooling layer produce."""
    c = config
    if min(c.size, c.channels, c.filters, c.kernel, c.stride, c.dilation, c.pool_size) < 1 or c.explicit < 0:
        raise ValueError("Sizes, strides and dilations must be at least 1, and padding at least 0.")
    before, after = pads(c.padding, c.size, c.kernel, c.stride, c.dilation, c.explicit)
    span = c.dilation * (c.kernel - 1) + 1
    if c.size + before + after < span:
        raise ValueError(f"The kernel spans {span} pixels (kernel {c.kernel}, dilation {c.dilation}) but the padded "
                         f"input has only {c.size + before + after}: no output is left. Pad more or use a smaller "
                         "kernel.")
    conv_out = padded_output_size(c.size, c.kernel, c.stride, before, after, c.dilation)
    pool_out = output_size(conv_out, c.pool_size, c.pool_size) if c.pool != "none" else conv_out
    if pool_out < 1:
        raise ValueError(f"A {c.pool_size} × {c.pool_size} pooling window does not fit the {conv_out} × {conv_out} "
                         "output: choose a smaller window.")
    conv = nn.Conv2d(c.channels, c.filters, c.kernel, stride=c.stride, dilation=c.dilation)
    x = F.pad(torch.zeros(1, c.channels, c.size, c.size), (before, after, before, after))  # (1, C, H+p, W+p)
    with torch.no_grad():
        y = conv(x)
        pooled = _pool(c.pool, c.pool_size)(y)
    n, k, s, d = c.size, c.kernel, c.stride, c.dilation
    p = f"{before} + {after}" if before != after else f"2 \\cdot {before}"
    formula = (f"\\left\\lfloor \\frac{{{n} + {p} - {d} \\cdot ({k} - 1) - 1}}{{{s}}} \\right\\rfloor + 1 = "
               f"{conv_out}")
    return Arithmetic(config, (before, after), conv_out, pool_out, tuple(y.shape), tuple(pooled.shape),
                      sum(p.numel() for p in conv.parameters()), formula, _code(config, before, after))


def _pool(kind: str, size: int) -> nn.Module:
    return {"max": nn.MaxPool2d(size), "avg": nn.AvgPool2d(size), "none": nn.Identity()}[kind]


def _code(c: ArithmeticConfig, before: int, after: int) -> str:
    pool = {"max": f"nn.MaxPool2d({c.pool_size})", "avg": f"nn.AvgPool2d({c.pool_size})", "none": "nn.Identity()"}
    padding = f"padding={before}, " if before == after else ""
    out = padded_output_size(c.size, c.kernel, c.stride, before, after, c.dilation)
    lines = ["import torch", "import torch.nn.functional as F", "from torch import nn", "",
             f"x = torch.zeros(1, {c.channels}, {c.size}, {c.size})  # (batch, channels, height, width)"]
    if before != after:
        lines.append(f"x = F.pad(x, ({before}, {after}, {before}, {after}))  # SAME: the odd pixel goes after")
    lines += [f"conv = nn.Conv2d({c.channels}, {c.filters}, kernel_size={c.kernel}, stride={c.stride}, {padding}"
              f"dilation={c.dilation})",
              f"y = conv(x)  # shape (1, {c.filters}, {out}, {out})",
              f"z = {pool[c.pool]}(y)",
              "print(y.shape, z.shape, sum(p.numel() for p in conv.parameters()))"]
    return "\n".join(lines)


# --- one output cell, as a dot product ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    row: int  # the output cell (from 0)
    col: int
    rows: np.ndarray  # (k,) input rows the window reads (may lie in the padding: < 0 or ≥ H)
    cols: np.ndarray  # (k,)
    window: np.ndarray  # (k, k) the (padded) input under the kernel
    kernel: np.ndarray  # (k, k)
    products: np.ndarray  # (k, k) window × kernel
    value: float  # the sum of the products (plus the bias)
    bias: float
    torch_value: float  # the same cell of F.conv2d's output
    output: np.ndarray  # the whole output map from F.conv2d


def cell(image: np.ndarray, kernel: np.ndarray, row: int, col: int, stride: int = 1, before: int = 0,
         after: int = 0, dilation: int = 1, bias: float = 0.0) -> Cell:
    """Output cell (row, col) of a one-channel convolution, written out as a dot product over its window."""
    image, kernel = np.asarray(image, np.float64), np.asarray(kernel, np.float64)
    k = kernel.shape[0]
    padded = np.pad(image, ((before, after), (before, after)))
    rows = row * stride + dilation * np.arange(k)  # in padded coordinates
    cols = col * stride + dilation * np.arange(k)
    window = padded[np.ix_(rows, cols)]
    products = window * kernel
    x = torch.as_tensor(padded)[None, None]  # (1, 1, H + pads, W + pads)
    output = F.conv2d(x, torch.as_tensor(kernel)[None, None], torch.tensor([bias], dtype=torch.float64),
                      stride=stride, dilation=dilation)[0, 0].numpy()
    return Cell(row, col, rows - before, cols - before, window, kernel, products, float(products.sum() + bias), bias,
                float(output[row, col]), output)


# --- receptive field ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layer:
    name: str
    kernel: int
    stride: int = 1
    padding: int = 0  # before (the first unit's window starts this far before pixel 0)
    dilation: int = 1


@dataclass(frozen=True)
class Field:
    name: str
    size: int  # the receptive field's side, in input pixels
    jump: int  # how far apart, in input pixels, two neighbouring units of this layer look
    start: float  # the centre of the first unit's field, in input pixel coordinates (may lie in the padding)


def receptive_fields(layers: list[Layer]) -> list[Field]:
    """The receptive field after each layer: r ← r + (k − 1)·d·j, j ← j·s, start ← start + ((k − 1)d/2 − p)·j."""
    r, j, start = 1, 1, 0.0
    fields = []
    for layer in layers:
        span = (layer.kernel - 1) * layer.dilation
        r, start, j = r + span * j, start + (span / 2 - layer.padding) * j, j * layer.stride
        fields.append(Field(layer.name, r, j, start))
    return fields


def measured_field(net: nn.Module, size: int, channels: int = 1) -> tuple[int, int]:
    """The height and width of the input region that the centre unit of `net`'s output depends on, by autograd."""
    x = (torch.rand(1, channels, size, size, dtype=torch.float64) + 0.1).requires_grad_()  # positive: no unit is cut
    y = net.double()(x)  # (1, C, h, w)
    y[0, 0, y.shape[2] // 2, y.shape[3] // 2].backward()
    touched = x.grad[0].abs().sum(0) > 0  # (H, W)
    rows, cols = np.nonzero(touched.numpy())
    return int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1)


def conv_parameters(in_channels: int, filters: int, kernel: int, bias: bool = True) -> int:
    """The weights and biases of a real nn.Conv2d: filters × (kernel² × in_channels + 1)."""
    return sum(p.numel() for p in nn.Conv2d(in_channels, filters, kernel, bias=bias).parameters())
