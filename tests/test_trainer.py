import pytest
import torch
from torch import nn

from engine.activation_demo import MLPDemoConfig, XorConfig, run, run_xor
from engine.models import MLP, init_uniform
from engine.trainer import OPTIMIZERS, TrainSettings, batches, train

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
    outcome = train(net, X, y, nn.functional.cross_entropy, settings, g, on_report=lambda s, m: seen.append(s))
    assert seen == [1, 10, 20, 25]
    assert list(outcome.history["step"]) == seen
    assert outcome.status == "finished" and outcome.steps_done == 25


def test_should_stop_cancels_between_steps():
    net, X, y, g, settings = _setup(steps=1000)
    calls = []
    stop_after_five = lambda: calls.append(1) or len(calls) > 5
    outcome = train(net, X, y, nn.functional.cross_entropy, settings, g, should_stop=stop_after_five)
    assert outcome.status == "cancelled" and outcome.steps_done == 5
    assert outcome.message == "Stopped at step 5 of 1000."


def test_the_time_budget_stops_a_long_run_and_keeps_its_history():
    net, X, y, g, _ = _setup()
    settings = TrainSettings(steps=10**7, time_budget_s=0.2, report_every=10**6)
    outcome = train(net, X, y, nn.functional.cross_entropy, settings, g)
    assert outcome.status == "out of time"
    assert 0.2 <= outcome.seconds < 1.0
    assert list(outcome.history["step"]) == [1, outcome.steps_done]  # the last step reached is recorded


def test_minibatches_cover_every_point_once_per_epoch():
    g = torch.Generator().manual_seed(0)
    it = batches(10, 4, g, torch.device("cpu"))
    epoch = [next(it) for _ in range(3)]
    assert [len(b) for b in epoch] == [4, 4, 2]
    assert sorted(torch.cat(epoch).tolist()) == list(range(10))
    assert next(batches(10, 0, g, torch.device("cpu"))) is None


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_every_optimizer_in_the_table_lowers_the_loss(name):
    lr = 0.01 if name == "adam" else 0.1
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
