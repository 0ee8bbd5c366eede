"""The stacked sweep against the reference: one torch.optim run per learning rate, same init, same batches."""

import contextlib
import copy
import io
import itertools
import math
import time

import numpy as np
import pytest
import torch
from torch import nn

from engine.batched import (
    TINY_SWEEP,
    StackedOptimizer,
    StackedTrainer,
    SweepConfig,
    copy_losses,
    copy_mse,
    initial_net,
    lr_key,
    run_sweep,
    stack_copies,
    stack_nets,
)
from engine.models import MLP
from engine.tabular import breast_cancer, classification_split
from engine.trainer import OPTIMIZERS, TrainSettings, batches, make_optimizer, train
from jobs.results import check_result

# float32 tolerance for 20 steps: the stacked run's batched matrix products and fused updates
# round differently from nn.Linear's and torch.optim's in the last bit, and that is all.
RTOL, ATOL = 1e-5, 1e-6
STEPS = 20
BATCH = 32
LRS = {"sgd": (0.01, 0.1, 0.5), "momentum": (0.01, 0.05, 0.2), "nesterov": (0.01, 0.05, 0.2),
       "adagrad": (0.003, 0.01, 0.05), "rmsprop": (0.0003, 0.001, 0.003), "adam": (0.001, 0.003, 0.01),
       "adamw": (0.001, 0.003, 0.01)}
WEIGHT_DECAYS = (0.0, 1e-3, 0.05)


@pytest.fixture(scope="module")
def data():
    return classification_split(breast_cancer(), seed=0)


def start(seed: int = 0):
    """The shared initial net, and the generator state the batch order starts from."""
    generator = torch.Generator().manual_seed(seed)
    net = initial_net(30, 16, 2, "relu", 2, generator)
    return net, generator.get_state()


def generator_at(state: torch.Tensor) -> torch.Generator:
    generator = torch.Generator()
    generator.set_state(state)
    return generator


def reference(net, state, data, name, lr, hyper=(), steps=STEPS):
    """One copy trained alone by the real torch.optim class on the same batches: (losses, final net)."""
    net = copy.deepcopy(net)
    optimizer = make_optimizer(name, net.parameters(), lr, hyper)
    indices = batches(len(data.X_train), BATCH, generator_at(state), data.X_train.device)
    losses = []
    for _ in range(steps):
        idx = next(indices)
        loss = nn.functional.cross_entropy(net(data.X_train[idx]), data.y_train[idx])
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return losses, net


def stacked(net, state, data, name, lrs, weight_decays=None, hyper=(), steps=STEPS):
    """The copies trained together: (per-step losses (steps, K), trainer)."""
    model = stack_copies(net, len(lrs))
    trainer = StackedTrainer(model, StackedOptimizer(name, model.parameters(), lrs, weight_decays, hyper),
                             data.X_train, data.y_train,
                             batches(len(data.X_train), BATCH, generator_at(state), data.X_train.device))
    return np.array([trainer.step(i) for i in range(1, steps + 1)]), trainer


def assert_copy_matches(trainer, k, losses, ref_losses, ref_net):
    torch.testing.assert_close(torch.tensor(losses[:, k]), torch.tensor(ref_losses, dtype=torch.float64),
                               rtol=RTOL, atol=ATOL)
    for mine, theirs in zip(trainer.model.copy(k), ref_net.parameters(), strict=True):
        torch.testing.assert_close(mine.detach(), theirs.detach(), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_every_optimizer_trains_each_copy_as_torch_optim_trains_it_alone(name, data):
    has_weight_decay = any(key == "weight_decay" for key, _ in OPTIMIZERS[name].hyper)
    weight_decays = WEIGHT_DECAYS if has_weight_decay else None
    net, state = start()
    losses, trainer = stacked(net, state, data, name, LRS[name], weight_decays)
    for k, lr in enumerate(LRS[name]):
        hyper = (("weight_decay", WEIGHT_DECAYS[k]),) if has_weight_decay else ()
        assert_copy_matches(trainer, k, losses, *reference(net, state, data, name, lr, hyper))
    assert not trainer.frozen.any()


@pytest.mark.parametrize(("name", "hyper"), [("momentum", (("momentum", 0.5),)),
                                             ("adam", (("betas", (0.8, 0.99)), ("eps", 1e-6))),
                                             ("rmsprop", (("momentum", 0.9), ("alpha", 0.9)))])
def test_overridden_hyperparameters_are_shared_by_every_copy_as_torch_optim_uses_them(name, hyper, data):
    net, state = start(seed=3)
    lrs = LRS[name][:2]
    losses, trainer = stacked(net, state, data, name, lrs, hyper=hyper)
    for k, lr in enumerate(lrs):
        assert_copy_matches(trainer, k, losses, *reference(net, state, data, name, lr, hyper))


def test_every_copy_starts_from_the_nets_own_weights():
    net, _ = start()
    model = stack_copies(net, 4)
    assert model.weights[0].shape == (4, 30, 16) and model.biases[0].shape == (4, 1, 16)
    for k in range(4):
        for mine, theirs in zip(model.copy(k), net.parameters(), strict=True):
            assert torch.equal(mine, theirs)
    x = torch.randn(5, 30)
    torch.testing.assert_close(model(x), net(x).expand(4, 5, 2))


def test_a_too_large_learning_rate_is_frozen_at_its_step_and_the_others_still_match(data):
    net, state = start()
    lrs = (0.01, 1e4, 0.1)
    losses, trainer = stacked(net, state, data, "sgd", lrs, steps=30)
    alone = train(copy.deepcopy(net), data.X_train, data.y_train, nn.functional.cross_entropy,
                  TrainSettings(steps=30, batch_size=BATCH, optimizer="sgd", lr=1e4), generator_at(state))
    assert alone.status == "diverged"
    assert trainer.diverged_at == [0, alone.steps_done + 1, 0]
    assert np.isnan(losses[alone.steps_done:, 1]).all() and np.isfinite(losses[:alone.steps_done, 1]).all()
    for k in (0, 2):
        assert_copy_matches(trainer, k, losses, *reference(net, state, data, "sgd", lrs[k], steps=30))
    for p in trainer.model.parameters():  # the frozen copy holds nothing that could poison the others
        assert torch.isfinite(p).all() and torch.isfinite(p.grad).all()


def test_a_sweep_with_a_diverging_copy_keeps_no_nan_and_says_where_it_stopped():
    reports = []
    result = run_sweep(SweepConfig(lrs=(0.01, 0.1, 1e4), steps=30, report_every=1),
                       on_report=lambda step, metrics: reports.append(metrics))
    assert result.status == "finished"
    diverged = result.copies[2]
    assert diverged.diverged_at > 1 and diverged.train_loss is diverged.test_loss is diverged.test_acc is None
    assert f"lr = 10000 at step {diverged.diverged_at}" in result.message
    assert all(c.diverged_at == 0 and 0 <= c.test_acc <= 1 and math.isfinite(c.train_loss)
               for c in result.copies[:2])
    assert np.isfinite(result.history[["step", "lr", "train_loss"]].to_numpy()).all()
    assert result.history.loc[result.history["lr"] == 1e4, "step"].max() < diverged.diverged_at
    assert (result.history.groupby("lr").size().loc[[0.01, 0.1]] == 30).all()
    assert lr_key(1e4) in reports[0] and lr_key(1e4) not in reports[-1]
    assert all(math.isfinite(v) for row in reports for v in row.values())
    check_result(result)


def test_when_every_copy_diverges_the_run_ends_as_diverged():
    result = run_sweep(SweepConfig(lrs=(1e4, 1e6), steps=50))
    assert result.status == "diverged" and result.steps_done < 50
    assert result.message.startswith("Every learning rate diverged")
    assert all(c.diverged_at > 0 and c.train_loss is None for c in result.copies)
    assert result.cacheable


def test_the_tiny_sweep_trains_end_to_end_and_reports_each_lr():
    reports = []
    result = run_sweep(TINY_SWEEP, on_report=lambda step, metrics: reports.append((step, metrics)))
    assert result.status == "finished" and result.steps_done == 2 and result.cacheable
    assert [step for step, _ in reports] == [1, 2]
    assert {lr_key(0.01), lr_key(0.1)} <= set(reports[0][1])
    assert list(result.history.columns) == ["step", "lr", "train_loss"] and len(result.history) == 4
    check_result(result)


def test_stop_gives_a_cancelled_partial_result():
    calls = []
    result = run_sweep(SweepConfig(steps=1000, lrs=(0.01, 0.1)), should_stop=lambda: calls.append(1) or len(calls) > 5)
    assert result.status == "cancelled" and result.steps_done == 5 and result.cacheable
    assert result.history["step"].max() == 5 and all(c.train_loss is not None for c in result.copies)


def test_the_deadline_gives_an_out_of_time_partial_result_that_is_not_cached():
    result = run_sweep(SweepConfig(steps=10**6, lrs=(0.01, 0.1), report_every=10**5),
                       deadline=time.monotonic() + 0.2)
    assert result.status == "out of time" and "time limit" in result.message and not result.cacheable
    assert 0 < result.steps_done < 10**6 and result.history["step"].max() == result.steps_done


def test_the_shown_code_trains_what_the_sweep_trains():
    config = SweepConfig(steps=12, lrs=(0.03, 0.3), batch_size=100, report_every=5)
    result = run_sweep(config)
    best = min(result.copies, key=lambda c: c.train_loss)
    assert f"lr={best.lr:g}" in result.code
    scope = {}
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        exec(compile(result.code, "<sweep code>", "exec"), scope)
    assert "step 10: batch loss" in printed.getvalue()
    with torch.no_grad():
        final = nn.functional.cross_entropy(scope["net"](scope["data"].X_train), scope["data"].y_train).item()
    assert final == pytest.approx(best.train_loss, rel=1e-5)


def test_duplicate_learning_rates_are_refused():
    with pytest.raises(ValueError, match="twice"):
        run_sweep(SweepConfig(lrs=(0.1, 0.1)))


# --- copies of different widths, per-copy rows and per-copy data (regression) ---------------


def regression_data(n: int = 24, seed: int = 1):
    g = torch.Generator().manual_seed(seed)
    X = torch.rand(n, 1, generator=g) * 2 - 1  # (n, 1)
    return X, torch.sin(4 * X[:, 0]) + 0.1 * torch.randn(n, generator=g)  # (n,)


def regression_reference(net, X, y, lr, steps=STEPS):
    """One net trained alone: full-batch torch.optim.Adam on nn.MSELoss; (losses, final net)."""
    net = copy.deepcopy(net)
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        loss = nn.functional.mse_loss(net(X).squeeze(1), y)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return losses, net


def regression_stacked(model, X, y, lrs, row_mask=None, steps=STEPS):
    trainer = StackedTrainer(model, StackedOptimizer("adam", model.parameters(), lrs), X, y,
                             itertools.repeat(None), loss=copy_mse, row_mask=row_mask)
    return np.array([trainer.step(i) for i in range(1, steps + 1)]), trainer


def sliced(big: MLP, width: int) -> MLP:
    """A width-`width` MLP whose weights are the kept units' slice of the big net's."""
    small = MLP(1, width, big.activations, 1)
    with torch.no_grad():
        for mine, theirs in zip(small.linear_layers(), big.linear_layers(), strict=True):
            mine.weight.copy_(theirs.weight[:mine.out_features, :mine.in_features])
            mine.bias.copy_(theirs.bias[:mine.out_features])
    return small


def test_a_masked_copy_trains_exactly_as_the_smaller_net_cut_from_the_big_one():
    """Masked units hold nonzero weights here: the mask alone must make them irrelevant."""
    X, y = regression_data()
    big = initial_net(1, 8, 2, "relu", 1, torch.Generator().manual_seed(5))
    widths = (1, 3, 8)
    model = stack_copies(big, len(widths))
    model.masks = [(torch.arange(8) < torch.tensor(widths).view(-1, 1)).float().unsqueeze(1)] * 2  # (K, 1, 8)
    losses, trainer = regression_stacked(model, X, y, [0.01] * 3)
    for k, width in enumerate(widths):
        assert_copy_matches(trainer, k, losses, *regression_reference(sliced(big, width), X, y, 0.01))
    unit = trainer.model.weights[1][0, 5]  # copy 0 (width 1): unit 5's outgoing weights never moved
    assert torch.equal(unit, big.linear_layers()[1].weight.T[5])


def test_masked_units_get_no_gradient_and_pass_nothing_forward():
    X, y = regression_data()
    big = initial_net(1, 6, 2, "tanh", 1, torch.Generator().manual_seed(2))
    model = stack_copies(big, 2)
    model.masks = [torch.tensor([[[1.0, 1, 0, 0, 0, 0]], [[1.0] * 6]])] * 2  # copy 0 keeps 2 units
    copy_mse(model(X), y).sum().backward()
    for W in model.weights[:2]:
        assert (W.grad[0][:, 2:] == 0).all()  # into masked units
    for W in model.weights[1:]:
        assert (W.grad[0][2:] == 0).all()  # out of masked units
    torch.testing.assert_close(model(X)[0, :, 0], sliced(big, 2)(X)[:, 0])


def test_nets_of_different_widths_stack_padded_and_each_trains_as_torch_optim_trains_it_alone():
    X, y = regression_data()
    nets = [initial_net(1, width, 2, "relu", 1, torch.Generator().manual_seed(width)) for width in (2, 16, 5)]
    model = stack_nets(nets)
    assert model.weights[1].shape == (3, 16, 16) and [m.shape for m in model.masks] == [(3, 1, 16)] * 2
    for k, net in enumerate(nets):  # copy k is the net itself, unpadded
        for mine, theirs in zip(model.copy(k), net.parameters(), strict=True):
            assert torch.equal(mine, theirs)
    losses, trainer = regression_stacked(model, X, y, [0.003, 0.01, 0.03])
    for k, (net, lr) in enumerate(zip(nets, (0.003, 0.01, 0.03), strict=True)):
        assert_copy_matches(trainer, k, losses, *regression_reference(net, X, y, lr))


def test_stacking_refuses_nets_of_different_depths_or_activations():
    g = torch.Generator().manual_seed(0)
    with pytest.raises(ValueError, match="activations"):
        stack_nets([initial_net(1, 4, 2, "relu", 1, g), initial_net(1, 4, 1, "relu", 1, g)])
    with pytest.raises(ValueError, match="activations"):
        stack_nets([initial_net(1, 4, 1, "relu", 1, g), initial_net(1, 4, 1, "tanh", 1, g)])
    with pytest.raises(ValueError, match="inputs and outputs"):
        stack_nets([initial_net(1, 4, 1, "relu", 1, g), initial_net(2, 4, 1, "relu", 1, g)])


def test_a_row_mask_trains_each_copy_on_its_own_first_rows_as_torch_optim_does():
    X, y = regression_data(n=30)
    net = initial_net(1, 8, 2, "relu", 1, torch.Generator().manual_seed(3))
    sizes = (4, 12, 30)
    row_mask = (torch.arange(30) < torch.tensor(sizes).view(-1, 1)).float()  # (K, 30)
    losses, trainer = regression_stacked(stack_copies(net, 3), X, y, [0.01] * 3, row_mask)
    for k, n in enumerate(sizes):
        assert_copy_matches(trainer, k, losses, *regression_reference(net, X[:n], y[:n], 0.01))
    mse = trainer.losses(X, y, row_mask)
    for k, n in enumerate(sizes):
        with torch.no_grad():
            alone = nn.functional.mse_loss(trainer.model(X[:n])[k, :, 0], y[:n]).item()
        assert mse[k] == pytest.approx(alone, rel=1e-6)


def test_copies_on_their_own_training_sets_train_as_torch_optim_trains_each_alone():
    sets = [regression_data(n=15, seed=s) for s in (1, 2, 3)]
    X, y = torch.stack([x for x, _ in sets]), torch.stack([t for _, t in sets])  # (3, 15, 1), (3, 15)
    net = initial_net(1, 8, 2, "relu", 1, torch.Generator().manual_seed(4))
    losses, trainer = regression_stacked(stack_copies(net, 3), X, y, [0.01] * 3)
    for k, (Xk, yk) in enumerate(sets):
        assert_copy_matches(trainer, k, losses, *regression_reference(net, Xk, yk, 0.01))


def test_cross_entropy_and_mse_with_a_row_mask_average_over_each_copys_rows():
    g = torch.Generator().manual_seed(0)
    logits, labels = torch.randn(2, 6, 3, generator=g), torch.randint(0, 3, (6,), generator=g)
    mask = torch.tensor([[1.0, 1, 1, 0, 0, 0], [1.0] * 6])
    got = copy_losses(logits, labels, mask)
    torch.testing.assert_close(got[0], nn.functional.cross_entropy(logits[0, :3], labels[:3]))
    torch.testing.assert_close(got[1], nn.functional.cross_entropy(logits[1], labels))
    outputs, targets = torch.randn(2, 6, 1, generator=g), torch.randn(6, generator=g)
    got = copy_mse(outputs, targets, mask)
    torch.testing.assert_close(got[0], nn.functional.mse_loss(outputs[0, :3, 0], targets[:3]))
    torch.testing.assert_close(copy_mse(outputs, targets), ((outputs[:, :, 0] - targets) ** 2).mean(1))
