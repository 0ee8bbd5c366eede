import pytest
import torch
from torch import nn

from engine.activation_demo import MLPDemoConfig, XorConfig, run, run_xor
from engine.models import MLP, init_uniform
from engine.trainer import OPTIMIZERS, Hooks, TrainSettings, batches, loop, make_optimizer, optimizer_code, train

TINY = TrainSettings(steps=20, report_every=5)


def test_a_perceptron_cannot_learn_xor_but_one_hidden_layer_can():
    result = run_xor(XorConfig(seed=0))
    assert result.perceptron.history["train_acc"].max() <= 0.75
    assert result.mlp.history["train_acc"].iloc[-1] >= 0.95
    assert result.mlp.history["test_acc"].iloc[-1] >= 0.95


@pytest.mark.parametrize("optimizer", ["sgd", "momentum"])
def test_an_exploding_learning_rate_stops_the_run_with_no_nan_in_its_history(optimizer):
    result = run(MLPDemoConfig(train=TrainSettings(steps=200, optimizer=optimizer, lr=1e5, report_every=1)))
    assert result.status == "diverged"
    assert result.message.startswith(f"Diverged at step {result.steps_done + 1}")
    assert result.steps_done < 200
    numbers = result.history.select_dtypes("number").to_numpy()
    assert numbers.size == 0 or torch.isfinite(torch.from_numpy(numbers)).all()
    assert torch.isfinite(torch.from_numpy(result.boundary.confidence)).all()


def test_the_same_config_and_seed_give_the_same_history():
    config = MLPDemoConfig(train=TrainSettings(steps=60, batch_size=32, report_every=10))
    first, second = run(config), run(config)
    assert first.history.equals(second.history)
    other = run(MLPDemoConfig(train=config.train, seed=1))
    assert not first.history.equals(other.history)


def test_the_process_wide_seed_does_not_change_a_run():
    torch.manual_seed(1)
    a = run(MLPDemoConfig(train=TINY))
    torch.manual_seed(999)
    b = run(MLPDemoConfig(train=TINY))
    assert a.history.equals(b.history)


def _setup(steps=50, **kw):
    g = torch.Generator().manual_seed(0)
    X, y = torch.randn(64, 2, generator=g), torch.randint(0, 2, (64,), generator=g)
    net = MLP(2, 8, ("relu",), 2)
    init_uniform(net, g)
    return net, X, y, g, TrainSettings(steps=steps, **kw)


def test_reports_arrive_at_step_one_every_k_steps_and_at_the_end():
    net, X, y, g, settings = _setup(steps=25, report_every=10)
    seen = []
    outcome = train(net, X, y, nn.functional.cross_entropy, settings, g, hooks=Hooks(lambda s, m: seen.append(s)))
    assert seen == [1, 10, 20, 25]
    assert list(outcome.history["step"]) == seen
    assert outcome.status == "finished" and outcome.steps_done == 25


def test_should_stop_cancels_between_steps():
    net, X, y, g, settings = _setup(steps=1000)
    calls = []
    stop_after_five = lambda: calls.append(1) or len(calls) > 5
    outcome = train(net, X, y, nn.functional.cross_entropy, settings, g, hooks=Hooks(should_stop=stop_after_five))
    assert outcome.status == "cancelled" and outcome.steps_done == 5
    assert outcome.message == "Stopped at step 5 of 1000."


def test_the_jobs_deadline_stops_a_long_run_and_keeps_its_history():
    import time

    net, X, y, g, _ = _setup()
    settings = TrainSettings(steps=10**7, report_every=10**6)
    started = time.monotonic()
    outcome = train(net, X, y, nn.functional.cross_entropy, settings, g, hooks=Hooks(deadline=started + 0.2))
    assert outcome.status == "out of time" and "time limit" in outcome.message
    assert 0.2 <= time.monotonic() - started < 5.0  # it ran to the deadline, and stopped soon after it
    assert 0 < outcome.seconds <= time.monotonic() - started
    assert list(outcome.history["step"]) == [1, outcome.steps_done]  # the last step reached is recorded


def test_two_models_in_one_job_share_its_deadline():
    import time

    from engine.activation_demo import XorConfig, run_xor

    result = run_xor(XorConfig(steps=10**6), deadline=time.monotonic() + 0.3)
    assert result.perceptron.status == "out of time" and result.mlp is None


def test_minibatches_cover_every_point_once_per_epoch():
    g = torch.Generator().manual_seed(0)
    it = batches(10, 4, g, torch.device("cpu"))
    epoch = [next(it) for _ in range(3)]
    assert [len(b) for b in epoch] == [4, 4, 2]
    assert sorted(torch.cat(epoch).tolist()) == list(range(10))
    assert next(batches(10, 0, g, torch.device("cpu"))) is None


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_every_optimizer_in_the_table_lowers_the_loss(name):
    lr = 0.01 if name in ("adam", "adamw", "rmsprop") else 0.1
    result = run(MLPDemoConfig(dataset="moons", train=TrainSettings(steps=100, optimizer=name, lr=lr)))
    assert result.history["train_loss"].iloc[-1] < result.history["train_loss"].iloc[0]


def test_the_engine_matches_a_hand_written_torch_optim_step():
    net, X, y, g, settings = _setup(steps=1, optimizer="sgd", lr=0.5)
    reference = MLP(2, 8, ("relu",), 2)
    reference.load_state_dict(net.state_dict())
    opt = torch.optim.SGD(reference.parameters(), lr=0.5)
    nn.functional.cross_entropy(reference(X), y).backward()
    opt.step()
    train(net, X, y, nn.functional.cross_entropy, settings, g)
    for p, q in zip(net.parameters(), reference.parameters()):
        torch.testing.assert_close(p, q)


def _reference_run(net, X, y, optimizer, steps, batch_size, g):
    """A hand-written PyTorch loop: the reference the engine must match step for step."""
    losses, order = [], []
    for _ in range(steps):
        if batch_size:
            if not order:
                order = list(torch.randperm(len(X), generator=g).split(batch_size))
            idx = order.pop(0)
            xb, yb = X[idx], y[idx]
        else:
            xb, yb = X, y
        loss = nn.functional.cross_entropy(net(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


REFERENCE_OPTIMIZERS = {  # written out by hand, not read from the table under test
    "sgd": lambda p, lr: torch.optim.SGD(p, lr=lr),
    "momentum": lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9),
    "nesterov": lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9, nesterov=True),
    "adagrad": lambda p, lr: torch.optim.Adagrad(p, lr=lr),
    "rmsprop": lambda p, lr: torch.optim.RMSprop(p, lr=lr),
    "adam": lambda p, lr: torch.optim.Adam(p, lr=lr),
    "adamw": lambda p, lr: torch.optim.AdamW(p, lr=lr),
}


@pytest.mark.parametrize("optimizer, lr, batch_size", [
    ("adam", 0.01, 0), ("momentum", 0.1, 0), ("nesterov", 0.1, 16), ("adamw", 0.01, 16), ("rmsprop", 0.01, 0),
    ("adagrad", 0.1, 16), ("sgd", 0.5, 16),
])
def test_the_engine_matches_a_hand_written_loop_over_many_steps(optimizer, lr, batch_size):
    net, X, y, g, settings = _setup(steps=30, optimizer=optimizer, lr=lr, batch_size=batch_size, report_every=1)
    reference = MLP(2, 8, ("relu",), 2)
    reference.load_state_dict(net.state_dict())
    ref_generator = torch.Generator().manual_seed(123)
    outcome = train(net, X, y, nn.functional.cross_entropy, settings, torch.Generator().manual_seed(123))
    ref_optimizer = REFERENCE_OPTIMIZERS[optimizer](reference.parameters(), lr)
    expected = _reference_run(reference, X, y, ref_optimizer, 30, batch_size, ref_generator)
    assert outcome.history["batch_loss"].tolist() == pytest.approx(expected, rel=1e-6)
    for p, q in zip(net.parameters(), reference.parameters()):
        torch.testing.assert_close(p, q)


def test_hyperparameters_override_the_optimizers_defaults_and_unknown_ones_are_refused():
    params = [torch.zeros(1, requires_grad=True)]
    assert make_optimizer("momentum", params, 0.1, (("momentum", 0.5),)).defaults["momentum"] == 0.5
    assert make_optimizer("nesterov", params, 0.1).defaults["nesterov"] is True
    assert make_optimizer("adamw", params, 0.1).defaults["weight_decay"] == 0.01
    with pytest.raises(ValueError, match="no hyperparameter betas"):
        make_optimizer("sgd", params, 0.1, (("betas", (0.9, 0.9)),))


def test_the_optimizer_code_names_only_what_differs_from_torchs_defaults():
    assert optimizer_code("sgd", 0.1) == "torch.optim.SGD(net.parameters(), lr=0.1)"
    assert optimizer_code("momentum", 0.1) == "torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)"
    assert optimizer_code("adam", 0.001) == "torch.optim.Adam(net.parameters(), lr=0.001)"


def test_the_loop_drives_any_step_closure_and_stops_at_the_first_non_finite_loss():
    """Gradient descent on f(w) = w², written as a closure, then a step that blows up."""
    w = torch.tensor(3.0, requires_grad=True)
    optimizer = torch.optim.SGD([w], lr=0.25)

    def step(_):
        loss = w ** 2
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()

    outcome = loop(step, steps=4, report_every=1)
    assert outcome.history["batch_loss"].tolist() == [9.0, 2.25, 0.5625, 0.140625]  # w halves each step
    exploding = loop(lambda i: float(torch.tensor(1e30, dtype=torch.float32) ** i), steps=10, report_every=1)
    assert exploding.status == "diverged" and exploding.steps_done == 1  # 1e60 overflows float32 to inf
    assert exploding.message.startswith("Diverged at step 2")
    assert exploding.history["step"].tolist() == [1]


def test_runs_in_turn_continue_the_progress_steps_and_a_stop_ends_the_whole_job():
    from engine.trainer import InTurn

    reports = []
    stop_after_first = {"now": False}
    job = InTurn(lambda step, metrics: reports.append(metrics), lambda: stop_after_first["now"], None, "run")
    ran = []
    for key, hooks in job.runs(["a", "b", "c"]):
        outcome = loop(lambda i: 1.0 / i, steps=20, report_every=10, hooks=hooks)
        job.done(outcome.status, 20)
        ran.append(key)
        stop_after_first["now"] = True  # Stop pressed once the first run is over
    assert ran == ["a"] and job.status == "cancelled"
    assert [(r["step"], r["run_step"], r["run"]) for r in reports] == [(1, 1, "a"), (10, 10, "a"), (20, 20, "a")]

    reports.clear()
    job = InTurn(lambda step, metrics: reports.append(metrics), None, None, "run")
    for key, hooks in job.runs(["a", "b"]):
        job.done(loop(lambda i: 1.0, steps=10, report_every=10, hooks=hooks).status, 10)
    assert job.status == "finished"
    assert [(r["step"], r["run"]) for r in reports] == [(1, "a"), (10, "a"), (11, "b"), (20, "b")]
