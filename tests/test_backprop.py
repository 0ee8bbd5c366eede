import math

import numpy as np
import pytest
import torch

from engine.backprop import PARAMETERS, BackpropConfig, autograd_gradients, forward, step_by_step
from engine.loss_demos import (
    LossTrainConfig,
    logit_gradients,
    loss_of,
    loss_view,
    run_loss_training,
    surface_data,
)

CONFIGS = [
    BackpropConfig(),
    BackpropConfig(loss="cross_entropy"),
    BackpropConfig(x1=2.0, x2=3.0, w1=-1.5, w4=2.5, w5=-2.0, target=0.0, loss="cross_entropy"),
    BackpropConfig(x1=-3.0, x2=0.25, w2=1.2, w6=3.0, b3=-1.0, target=0.3),
]


@pytest.mark.parametrize("config", CONFIGS)
def test_every_hand_computed_gradient_equals_autograd_and_the_finite_difference(config):
    view = step_by_step(config)
    g = view.gradients.set_index("parameter")
    auto = autograd_gradients(config)
    np.testing.assert_allclose(g["by hand"], [auto[n] for n in PARAMETERS], atol=1e-6, rtol=0)
    np.testing.assert_allclose(g["by hand"], g["finite difference"], atol=1e-6, rtol=0)
    assert view.max_autograd_error < 1e-6 and view.max_fd_error < 1e-6


def test_the_forward_pass_matches_a_torch_network_with_the_same_weights():
    c = BackpropConfig()
    hidden, out = torch.nn.Linear(2, 2).double(), torch.nn.Linear(2, 1).double()
    f64 = lambda values: torch.tensor(values, dtype=torch.float64)  # noqa: E731
    with torch.no_grad():
        hidden.weight.copy_(f64([[c.w1, c.w2], [c.w3, c.w4]]))
        hidden.bias.copy_(f64([c.b1, c.b2]))
        out.weight.copy_(f64([[c.w5, c.w6]]))
        out.bias.copy_(f64([c.b3]))
        h = torch.sigmoid(hidden(torch.tensor([c.x1, c.x2], dtype=torch.float64)))
        o = torch.sigmoid(out(h))
    cache = forward(c)
    assert cache["h1"] == pytest.approx(h[0].item(), abs=1e-12) and cache["o"] == pytest.approx(o.item(), abs=1e-12)
    assert cache["L"] == pytest.approx(0.5 * (o.item() - c.target) ** 2, abs=1e-12)


def test_the_update_is_one_sgd_step_and_lowers_the_loss():
    c = BackpropConfig()
    params = {n: torch.tensor(getattr(c, n), dtype=torch.float64, requires_grad=True) for n in PARAMETERS}
    optimizer = torch.optim.SGD(params.values(), lr=c.lr)
    grads = autograd_gradients(c)
    for name, p in params.items():
        p.grad = torch.tensor(grads[name], dtype=torch.float64)
    optimizer.step()
    view = step_by_step(c)
    np.testing.assert_allclose(view.gradients["new value"], [params[n].item() for n in PARAMETERS], atol=1e-12)
    assert view.new_loss < view.loss


def test_cross_entropy_makes_the_output_delta_exactly_o_minus_y():
    view = step_by_step(BackpropConfig(loss="cross_entropy"))
    o = view.forward.set_index("quantity").loc["o", "value"]
    b3 = view.gradients.set_index("parameter").loc["b3", "by hand"]
    assert b3 == pytest.approx(o - 1.0, abs=1e-15)


def test_the_cache_table_names_what_each_gradient_reads_and_the_recomputation_it_saves():
    view = step_by_step(BackpropConfig())
    reads = dict(zip(view.reuse["cached value"], view.reuse["read by the gradients of"], strict=True))
    assert reads["h1"] == "w1, w2, b1, w5" and reads["o"] == ", ".join(PARAMETERS)
    assert view.without_cache == 9 * 6  # every gradient reads o, and recomputing o needs all six forward values


def test_bad_settings_get_a_sentence():
    with pytest.raises(ValueError, match="between 0 and 1"):
        step_by_step(BackpropConfig(target=1.5))
    with pytest.raises(ValueError, match="finite"):
        step_by_step(BackpropConfig(w1=math.nan))


def test_extreme_weights_stay_finite_under_cross_entropy():
    view = step_by_step(BackpropConfig(x1=10, x2=10, w1=10, w2=10, w5=10, w6=10, b3=10, target=0.0,
                                       loss="cross_entropy"))
    assert np.isfinite(view.gradients[["by hand", "autograd", "finite difference"]].to_numpy(float)).all()
    assert view.max_autograd_error < 1e-6


# Losses


def test_logit_gradients_match_autograd_for_both_losses():
    z = torch.linspace(-6, 6, 25, dtype=torch.float64, requires_grad=True)
    torch.nn.functional.mse_loss(torch.sigmoid(z), torch.ones_like(z), reduction="sum").backward()
    mse_auto = z.grad.clone()
    z.grad = None
    torch.nn.functional.binary_cross_entropy_with_logits(z, torch.ones_like(z), reduction="sum").backward()
    mse, ce = logit_gradients(torch.sigmoid(z).detach().numpy())
    np.testing.assert_allclose(mse, mse_auto.numpy(), atol=1e-12)
    np.testing.assert_allclose(ce, z.grad.numpy(), atol=1e-12)


def test_at_a_confident_mistake_cross_entropy_pushes_hundreds_of_times_harder():
    view = loss_view(0.001)
    assert abs(view.at_ce_grad) == pytest.approx(0.999)
    assert abs(view.at_ce_grad) / abs(view.at_mse_grad) > 400  # 1 / (2p(1 − p)) ≈ 500


def test_the_loss_surfaces_match_torch_over_the_weight():
    view = loss_view(0.1)
    x, y = surface_data()
    i = 37
    z = torch.tensor(view.w[i] * x)
    ce = torch.nn.functional.binary_cross_entropy_with_logits(z, torch.tensor(y)).item()
    mse = torch.nn.functional.mse_loss(torch.sigmoid(z), torch.tensor(y)).item()
    assert view.surface_ce[i] == pytest.approx(ce) and view.surface_mse[i] == pytest.approx(mse)
    assert np.all(np.diff(view.surface_ce, 2) >= -1e-12)  # convex in the weight
    assert np.any(np.diff(view.surface_mse, 2) < -1e-6)  # not convex: flat plateaus where the sigmoid saturates


def test_the_softmax_losses_match_torch_modules():
    logits, y = torch.tensor([[2.0, -1.0], [0.5, 0.2]]), torch.tensor([1, 0])
    assert loss_of("ce", logits, y).item() == pytest.approx(torch.nn.CrossEntropyLoss()(logits, y).item())
    assert loss_of("mse", logits, y).item() == pytest.approx(
        torch.nn.MSELoss()(torch.softmax(logits, 1), torch.tensor([[0.0, 1.0], [1.0, 0.0]])).item())


@pytest.mark.parametrize("output", ["sigmoid", "softmax"])
def test_from_a_confidently_wrong_start_cross_entropy_recovers_and_mse_stays_stuck(output):
    result = run_loss_training(LossTrainConfig(output=output, steps=100))
    mse, ce = result.finals.iloc[0], result.finals.iloc[1]
    assert result.history.iloc[0]["wrong"] > 0.5  # most tumours start confidently misclassified
    assert ce["train_acc"] > 0.9 and mse["train_acc"] < 0.5
    assert result.status == "finished" and result.cacheable and "cross-entropy" in result.message


def test_the_loss_code_trains_what_the_demo_trains(capsys):
    config = LossTrainConfig(steps=5)
    exec(run_loss_training(config).code, {})  # noqa: S102
    printed = [float(line.split()[-1]) for line in capsys.readouterr().out.splitlines()]
    history = run_loss_training(config).history
    expected = [history[history["loss"] == name]["batch_loss"].iloc[-1] for name in ("mse", "ce")]
    np.testing.assert_allclose(printed, expected, rtol=1e-5)
