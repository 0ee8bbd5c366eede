import math

import pytest
import torch
import torch.nn.functional as F

from engine.activations import ACTIVATIONS, Maxout, apply, curve, intervals, naive_softmax, softmax

X = torch.linspace(-8, 8, 1601, dtype=torch.float64)
SLOPE = 0.1

# name -> (reference f, closed-form derivative f')
REFERENCE = {
    "sigmoid": (torch.sigmoid, lambda x: torch.sigmoid(x) * (1 - torch.sigmoid(x))),
    "tanh": (torch.tanh, lambda x: 1 - torch.tanh(x) ** 2),
    "relu": (F.relu, lambda x: (x > 0).double()),
    "leaky_relu": (lambda x: F.leaky_relu(x, SLOPE), lambda x: torch.where(x > 0, 1.0, SLOPE).double()),
    "elu": (F.elu, lambda x: torch.where(x > 0, 1.0, torch.exp(x)).double()),
    "gelu": (F.gelu, lambda x: 0.5 * (1 + torch.erf(x / math.sqrt(2)))
             + x * torch.exp(-x**2 / 2) / math.sqrt(2 * math.pi)),  # Phi(x) + x phi(x)
    "swish": (F.silu, lambda x: F.silu(x) + torch.sigmoid(x) * (1 - F.silu(x))),
    "softplus": (F.softplus, torch.sigmoid),
    "softsign": (F.softsign, lambda x: 1 / (1 + x.abs()) ** 2),
    "step": (lambda x: (x > 0).double(), torch.zeros_like),
}


def test_every_function_in_the_table_has_a_reference_except_maxout():
    assert set(ACTIVATIONS) - set(REFERENCE) == {"maxout"}


@pytest.mark.parametrize("name", REFERENCE)
def test_activation_matches_torch(name):
    torch.testing.assert_close(apply(name, X, slope=SLOPE), REFERENCE[name][0](X))


@pytest.mark.parametrize("name", REFERENCE)
def test_autograd_derivative_matches_the_closed_form(name):
    c = curve(name, -8, 8, 1601, slope=SLOPE)
    away_from_kink = X.abs() > 1e-9  # ReLU-like derivatives are undefined at exactly 0
    expected = REFERENCE[name][1](X)
    torch.testing.assert_close(torch.from_numpy(c.dy)[away_from_kink], expected[away_from_kink])


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "softplus", "swish", "elu"])
def test_hand_written_formulas_stay_finite_far_out(name):
    x = torch.tensor([-1e4, -100.0, 100.0, 1e4], requires_grad=True)
    y = apply(name, x)
    (dy,) = torch.autograd.grad(y.sum(), x)
    assert torch.isfinite(y).all() and torch.isfinite(dy).all()


def test_sigmoid_derivative_peaks_at_a_quarter():
    assert curve("sigmoid").dy.max() == pytest.approx(0.25, abs=1e-6)


def test_saturation_regions_are_where_the_slope_is_tiny():
    sig = curve("sigmoid", -6, 6)
    assert len(sig.saturated) == 2
    (left_low, left_high), (right_low, right_high) = sig.saturated
    assert left_low == -6 and right_high == 6
    # sigma'(x) = 0.05 at |x| = 2.887 (solve s(1 - s) = 0.05)
    assert left_high == pytest.approx(-2.887, abs=0.03) and right_low == pytest.approx(2.887, abs=0.03)
    assert curve("relu", -6, 6).saturated == [(-6.0, pytest.approx(0.0, abs=0.02))]
    assert curve("leaky_relu", slope=0.2).saturated == []


def test_intervals_finds_runs():
    x = torch.arange(6).double().numpy()
    assert intervals(x, [True, True, False, False, True, True]) == [(0.0, 1.0), (4.0, 5.0)]
    assert intervals(x, [False] * 6) == []


def test_maxout_of_two_pieces_is_a_v_and_the_layer_takes_group_maxima():
    y = apply("maxout", torch.tensor([-1.0, 0.0, 1.0]), maxout_k=2)
    torch.testing.assert_close(y, torch.tensor([0.0, -2.0, 0.0]))  # max(-2x - 2, 2x - 2)
    layer_in = torch.tensor([[1.0, 5.0, -2.0, -3.0]])  # (batch, width * k) with k = 2
    torch.testing.assert_close(Maxout(2)(layer_in), torch.tensor([[5.0, -2.0]]))


@pytest.mark.parametrize("temperature", [0.1, 1.0, 5.0])
def test_softmax_matches_torch_and_sums_to_one(temperature):
    z = torch.tensor([2.0, 1.0, 0.1, -3.0])
    torch.testing.assert_close(softmax(z, temperature), torch.softmax(z / temperature, 0))
    assert softmax(z, temperature).sum().item() == pytest.approx(1.0)


def test_subtracting_the_max_avoids_the_overflow_of_the_naive_formula():
    z = torch.tensor([1000.0, 999.0, 998.0])
    assert torch.isnan(naive_softmax(z)).any()
    torch.testing.assert_close(softmax(z), torch.softmax(z, 0))


def test_softmax_of_two_logits_is_the_sigmoid_of_their_difference():
    z = torch.tensor([1.3, -0.4])
    assert softmax(z)[0].item() == pytest.approx(torch.sigmoid(z[0] - z[1]).item())
