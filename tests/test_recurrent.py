import pytest
import torch
from torch import nn

from engine.recurrent import (
    FUSED,
    SequenceNet,
    WrittenRecurrent,
    init_weights,
    input_gradients,
    trace,
    unroll,
    weights_of,
)
from engine.sequence_tasks import LOOKAHEAD, MAX_DEPTH, SYMBOLS, TASKS, adding, brackets, first_symbol, lookahead, sine


def random_layer(kind: str, bidirectional: bool = False, inputs: int = 3, hidden: int = 5) -> nn.RNNBase:
    """A torch.nn layer with random weights larger than its default init, so that every gate matters."""
    torch.manual_seed(0)
    layer = FUSED[kind](inputs, hidden, batch_first=True, bidirectional=bidirectional).double()
    with torch.no_grad():
        for p in layer.parameters():
            p.uniform_(-1.0, 1.0)
    return layer


@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
def test_the_written_out_cell_equals_torch_nn_outputs_and_states(kind):
    layer = random_layer(kind)
    x = torch.randn(4, 7, 3, dtype=torch.float64)  # (B, T, I)
    out, state = layer(x)
    steps = unroll(kind, x, weights_of(layer))
    torch.testing.assert_close(steps["h"], out, atol=1e-6, rtol=0)
    h_n = state[0] if kind == "lstm" else state
    torch.testing.assert_close(steps["h"][:, -1], h_n[0], atol=1e-6, rtol=0)
    if kind == "lstm":
        torch.testing.assert_close(steps["c"][:, -1], state[1][0], atol=1e-6, rtol=0)


@pytest.mark.parametrize("kind", ["gru", "lstm"])
def test_the_written_out_layer_takes_torch_nn_weights_by_name_and_matches_it_both_ways(kind):
    layer = random_layer(kind, bidirectional=True)
    written = WrittenRecurrent(kind, 3, 5, bidirectional=True).double()
    written.load_state_dict(layer.state_dict())  # the same parameter names, the same shapes
    x = torch.randn(2, 6, 3, dtype=torch.float64)
    torch.testing.assert_close(written(x)[0], layer(x)[0], atol=1e-6, rtol=0)


def test_a_network_trained_by_either_cell_computes_the_same_function():
    fused = SequenceNet("lstm", 8, 6, 4, per_step=False)
    written = SequenceNet("lstm", 8, 6, 4, per_step=False, cell="written")
    init_weights(fused, torch.Generator().manual_seed(1), forget_bias=1.0)
    written.load_state_dict(fused.state_dict())
    x, _ = first_symbol(5, 9, torch.Generator().manual_seed(2))
    torch.testing.assert_close(written(x), fused(x), atol=1e-6, rtol=0)


@pytest.mark.parametrize("kind, gates", [("lstm", "ifo"), ("gru", "rz")])
def test_gate_values_lie_strictly_between_0_and_1(kind, gates):
    layer = random_layer(kind)
    steps = unroll(kind, 3 * torch.randn(8, 10, 3, dtype=torch.float64), weights_of(layer))
    for gate in gates:
        assert (steps[gate] > 0).all() and (steps[gate] < 1).all(), gate
    assert (steps["h"].abs() < 1).all()


def test_the_lstm_cell_state_follows_its_update_rule_step_by_step():
    steps = unroll("lstm", torch.randn(2, 5, 3, dtype=torch.float64), weights_of(random_layer("lstm")))
    c_prev = torch.cat([torch.zeros_like(steps["c"][:, :1]), steps["c"][:, :-1]], dim=1)
    torch.testing.assert_close(steps["c"], steps["f"] * c_prev + steps["i"] * steps["g"])
    torch.testing.assert_close(steps["h"], steps["o"] * torch.tanh(steps["c"]))
    torch.testing.assert_close(steps["i"], torch.sigmoid(steps["z_i"]))


def test_init_sets_the_forget_and_input_biases_and_an_exact_recurrent_scale():
    net = SequenceNet("lstm", 3, 4, 2, per_step=False)
    init_weights(net, torch.Generator().manual_seed(0), forget_bias=2.5, recurrent_scale=1.5)
    bias = net.rnn.bias_ih_l0 + net.rnn.bias_hh_l0  # (4H,) stacked i, f, g, o
    torch.testing.assert_close(bias[4:8], torch.full((4,), 2.5))  # the forget gate starts at σ(2.5) = 0.92
    torch.testing.assert_close(bias[:4], torch.full((4,), -2.5))  # the input gate at σ(−2.5) = 0.08
    for block in net.rnn.weight_hh_l0.detach().split(4):
        torch.testing.assert_close(torch.linalg.svdvals(block), torch.full((4,), 1.5))


def test_init_opens_the_grus_update_gate_by_the_same_memory_bias_and_it_still_computes_torch_nn_gru():
    fused = SequenceNet("gru", 3, 4, 2, per_step=False)
    init_weights(fused, torch.Generator().manual_seed(0), forget_bias=2.5)
    bias = fused.rnn.bias_ih_l0 + fused.rnn.bias_hh_l0  # (3H,) stacked r, z, n
    torch.testing.assert_close(bias[4:8], torch.full((4,), 2.5))  # z = σ(2.5) = 0.92: keep 92% of the old h
    written = SequenceNet("gru", 3, 4, 2, per_step=False, cell="written")
    written.load_state_dict(fused.state_dict())
    x = torch.randn(5, 9, 3)
    torch.testing.assert_close(written(x), fused(x), atol=1e-6, rtol=0)
    steps = trace(fused, x)
    assert steps["z"][:, 0].mean() > 0.85  # from h = 0 the update gate sits near σ(2.5)


def test_the_traced_hidden_states_are_the_trained_layers():
    net = SequenceNet("gru", 4, 6, 5, per_step=True)
    init_weights(net, torch.Generator().manual_seed(3))
    x, _ = lookahead(3, 8, torch.Generator().manual_seed(4))
    torch.testing.assert_close(trace(net, x)["h"], net.rnn(x)[0], atol=1e-6, rtol=0)


def test_an_rnn_without_recurrent_weights_gets_no_gradient_from_earlier_inputs():
    net = SequenceNet("rnn", 8, 6, 4, per_step=False)
    init_weights(net, torch.Generator().manual_seed(0))
    with torch.no_grad():
        net.rnn.weight_hh_l0.zero_()  # the last output then sees the last input only
    x, y = first_symbol(16, 6, torch.Generator().manual_seed(1))
    norms = input_gradients(net, x, lambda out: nn.functional.cross_entropy(out, y))
    assert (norms[:-1] == 0).all() and norms[-1] > 0


def test_first_symbol_labels_the_first_step_and_fills_the_rest_with_distractors():
    X, y = first_symbol(50, 12, torch.Generator().manual_seed(0))
    symbols = X.argmax(2)  # (n, T)
    assert X.shape == (50, 12, TASKS["first"].inputs) and (X.sum(2) == 1).all()
    assert (symbols[:, 0] == y).all() and (symbols[:, 1:] >= SYMBOLS).all()


def test_the_adding_problem_sums_the_two_marked_values():
    X, y = adding(40, 10, torch.Generator().manual_seed(0))
    assert (X[:, :, 1].sum(1) == 2).all()
    assert (X[:, :5, 1].sum(1) == 1).all()  # one marker in each half
    torch.testing.assert_close(y, (X[:, :, 0] * X[:, :, 1]).sum(1))


def test_bracket_depth_matches_counting_by_hand():
    X, depth = brackets(30, 25, torch.Generator().manual_seed(0))
    for seq, labels in zip(X.argmax(2).tolist(), depth.tolist(), strict=True):
        d = 0
        for symbol, label in zip(seq, labels, strict=True):
            d += {0: 1, 1: -1, 2: 0}[symbol]
            assert label == d and 0 <= d <= MAX_DEPTH


def test_the_sine_target_is_the_next_input_and_lookahead_labels_the_symbol_ahead():
    X, y = sine(5, 30, torch.Generator().manual_seed(0))
    torch.testing.assert_close(y[:, :-1], X[:, 1:, 0])
    X, y = lookahead(5, 9, torch.Generator().manual_seed(0))
    symbols = X.argmax(2)
    assert (y[:, :-LOOKAHEAD] == symbols[:, LOOKAHEAD:]).all() and (y[:, -LOOKAHEAD:] == SYMBOLS).all()


def test_task_losses_and_scores_agree_with_torch():
    task = TASKS["brackets"]
    out = torch.randn(4, 6, task.classes)
    y = torch.randint(task.classes, (4, 6))
    torch.testing.assert_close(task.loss(out, y), nn.CrossEntropyLoss()(out.permute(0, 2, 1), y))
    assert task.score(out, y) == pytest.approx((out.argmax(2) == y).float().mean().item())
    task = TASKS["adding"]
    out, y = torch.randn(7, 1), torch.randn(7)
    torch.testing.assert_close(task.loss(out, y), nn.MSELoss()(out[:, 0], y))


def test_the_lessons_parameter_counts_match_torch_nn():
    count = lambda layer: sum(p.numel() for p in layer.parameters())  # noqa: E731
    assert count(nn.LSTM(10, 20)) == 4 * (20 * 10 + 20 * 20 + 2 * 20) == 2560
    assert count(nn.GRU(10, 20)) == 1920
    assert count(nn.RNN(8, 16)) == 416


def test_the_lessons_step_in_numbers():
    f, i, g, o, c_prev = (torch.tensor(v) for v in (0.9, 0.5, -0.4, 0.5, 2.0))
    c = f * c_prev + i * g
    assert c.item() == pytest.approx(1.6) and (o * torch.tanh(c)).item() == pytest.approx(0.461, abs=5e-4)
    assert 0.5**20 == pytest.approx(9.5e-7, rel=0.01)


@pytest.mark.parametrize("kind, gates", [("rnn", 1), ("gru", 3), ("lstm", 4)])
def test_the_parameter_count_is_gates_times_input_and_recurrent_weights_and_two_biases(kind, gates):
    from engine.recurrent import parameter_count

    assert parameter_count(kind, 10, 20) == gates * (20 * 10 + 20 * 20 + 2 * 20)
