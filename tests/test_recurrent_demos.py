import math
import time

import numpy as np
import pytest
import torch

from engine.recurrent import SequenceNet, init_weights
from engine.recurrent_demos import (
    BiConfig,
    CompareConfig,
    ExplodeConfig,
    FlowConfig,
    GatesConfig,
    run_bidirectional,
    run_compare,
    run_explode,
    run_flow,
    run_gates,
    truncated_step,
    window_step,
)
from engine.sequence_tasks import TASKS, sine


@pytest.fixture(scope="module")
def gates():
    return run_gates(GatesConfig(length=8, hidden=6, steps=30))


def test_the_lstm_clearly_beats_the_plain_rnn_at_remembering_the_first_symbol_over_60_steps():
    """Seed 0, 200 steps each: the LSTM (forget gate +4, input gate −4 at the start) learns it; the RNN stays near
    chance (25%)."""
    result = run_compare(CompareConfig(lengths=(60,), kinds=("rnn", "lstm"), steps=200, seed=0))
    scores = dict(zip(result.scores["kind"], result.scores["score"], strict=True))
    assert scores["lstm"] >= 0.9 and scores["rnn"] <= 0.4, scores


def test_the_inspection_traces_what_the_trained_layer_computed_and_its_gates_lie_in_0_1(gates):
    assert gates.status == "finished" and gates.steps_done == 30
    assert gates.match_gap < 1e-5
    for name in ("i", "f", "o"):
        assert gates.trace[name].shape == (8, 6)
        assert (gates.trace[name] > 0).all() and (gates.trace[name] < 1).all()
    c_prev = np.vstack([np.zeros((1, 6)), gates.trace["c"][:-1]])
    np.testing.assert_allclose(gates.trace["c"], gates.trace["f"] * c_prev + gates.trace["i"] * gates.trace["g"],
                               atol=1e-6)
    assert gates.steps_text[0] in "ABCD" and gates.target_text[-1] in "ABCD" and gates.target_text[0] == ""
    assert "torch.nn.LSTM" in gates.trained_with and "def lstm_cell" in gates.code


def test_the_written_out_cell_trains_the_same_network_as_torch_nn():
    fused = run_gates(GatesConfig(length=6, hidden=4, steps=10))
    written = run_gates(GatesConfig(length=6, hidden=4, steps=10, cell="written"))
    np.testing.assert_allclose(written.history["batch_loss"], fused.history["batch_loss"], rtol=1e-4)
    assert "written-out" in written.trained_with


def test_the_gru_is_inspected_through_its_reset_and_update_gates():
    result = run_gates(GatesConfig(model="gru", task="brackets", length=7, hidden=5, steps=5))
    assert set(result.trace) >= {"r", "z", "n", "h"} and result.match_gap < 1e-5
    assert ((result.trace["z"] > 0) & (result.trace["z"] < 1)).all()
    assert all(text.isdigit() for text in result.target_text)  # a depth at every step
    assert "def gru_cell" in result.code


def test_clipping_caps_the_gradient_norm_that_the_unclipped_run_lets_explode():
    result = run_explode(ExplodeConfig(steps=10, clip=1.0))
    history = result.history
    clipped = history[history["run"] == "full BPTT, clipped"]
    assert (clipped["applied_norm"] <= 1.0 + 1e-6).all()  # measured on the gradients after clipping
    assert clipped["applied_norm"].max() > 0.99  # and clipping cut them to the threshold, not below
    assert clipped["grad_norm"].max() > 100  # what clipping cut down, at step 1
    unclipped = history[history["run"] == "full BPTT, no clipping"]
    assert (unclipped["applied_norm"] > 1.0).any()  # without clipping the update uses the whole norm
    largest = dict(zip(result.finals["run"], result.finals["largest_norm"], strict=True))
    assert largest["full BPTT, no clipping"] > 100 * largest["truncated BPTT"] > 0
    assert np.isfinite(history.select_dtypes("number").to_numpy()).all()


def test_every_run_makes_the_same_number_of_updates_and_truncated_bptt_reads_fewer_batches():
    result = run_explode(ExplodeConfig(length=12, hidden=4, steps=8, window=4))
    finals = result.finals.set_index("run")
    assert (finals["updates"] == 8).all(), finals
    assert finals.loc["full BPTT, clipped", "batches"] == 8 and finals.loc["truncated BPTT", "batches"] == 3
    assert (result.history.groupby("run")["run_step"].max() == 8).all()
    assert "8 updates per run" in result.message


def test_the_shown_scripts_run(capsys):
    for result in (run_compare(CompareConfig(lengths=(3,), hidden=4, steps=2)),
                   run_flow(FlowConfig(length=4, hidden=4, steps=2)),
                   run_bidirectional(BiConfig(length=4, hidden=4, steps=2))):
        compile(result.code, "<shown code>", "exec")
        exec(result.code, {})  # noqa: S102
    printed = capsys.readouterr().out
    assert "T = 3, gru" in printed and "step 1 relative to step 4" in printed and "bidirectional" in printed
    code = run_explode(ExplodeConfig(length=6, hidden=4, steps=2, window=3)).code  # the engine's own functions
    compile(code, "<shown code>", "exec")
    assert "def window_step" in code and "def truncated_step" in code


def test_a_clipped_window_update_records_the_norm_it_applied():
    X, y = sine(4, 12, torch.Generator().manual_seed(0))
    net = SequenceNet("rnn", 1, 5, 1, per_step=True)
    init_weights(net, torch.Generator().manual_seed(1), recurrent_scale=2.0)
    _, before, after = window_step(net, X, y, 0, 6, None, torch.optim.SGD(net.parameters(), lr=0.0), clip=0.5)
    assert before > 0.5 and after == pytest.approx(0.5, rel=1e-5)


def test_truncated_bptt_with_a_window_of_the_whole_sequence_is_full_bptt():
    task = TASKS["sine"]
    X, y = sine(4, 12, torch.Generator().manual_seed(0))
    nets = []
    for _ in range(2):
        net = SequenceNet("rnn", 1, 5, 1, per_step=True)
        init_weights(net, torch.Generator().manual_seed(1))
        nets.append(net)
    full = torch.optim.SGD(nets[0].parameters(), lr=0.1)
    full.zero_grad()
    task.loss(nets[0](X), y).backward()
    full.step()
    truncated_step(nets[1], X, y, window=12, optimizer=torch.optim.SGD(nets[1].parameters(), lr=0.1))
    for a, b in zip(nets[0].parameters(), nets[1].parameters(), strict=True):
        torch.testing.assert_close(a, b)


def test_gradients_through_time_vanish_for_the_untrained_rnn_and_reach_back_in_the_trained_lstm():
    result = run_flow(FlowConfig(length=30, steps=100))
    norms = result.norms
    assert set(norms["kind"]) == {"rnn", "gru", "lstm"} and (norms["norm"] >= 0).all()

    def reach(kind, when):
        part = norms[(norms["kind"] == kind) & (norms["when"] == when)].sort_values("t")
        return part["norm"].iloc[0] / part["norm"].iloc[-1]

    assert reach("rnn", "at initialization") < 1e-6  # the first input barely reaches the last output
    assert reach("lstm", "at initialization") > 1e3 * reach("rnn", "at initialization")  # its forget gate starts open
    assert reach("lstm", "after training") > 1e-2


def test_the_bidirectional_lstm_sees_the_symbol_ahead_and_the_one_way_lstm_cannot():
    result = run_bidirectional(BiConfig())
    means = result.per_step.groupby("run")["score"].mean()
    assert means["LSTM, bidirectional"] > 0.7 and means["LSTM, one direction"] < 0.4  # chance: 25%, except the end
    ahead = result.per_step[result.per_step["t"] <= result.config.length - 2].groupby("run")["score"].mean()
    assert ahead["LSTM, one direction"] < 0.35


def test_with_the_memory_bias_the_gru_carries_the_symbol_too_and_without_it_both_gated_cells_struggle():
    """Seed 0, T = 40, 150 steps: the GRU's update gate opened by b = 4 as the LSTM's forget gate is."""
    opened = run_compare(CompareConfig(lengths=(40,), kinds=("gru", "lstm"), steps=150))
    assert (opened.scores["score"] >= 0.9).all(), opened.scores
    assert "tied for best" in opened.message
    shut = run_compare(CompareConfig(lengths=(40,), kinds=("gru", "lstm"), steps=150, forget_bias=0.0))
    assert (shut.scores["score"] <= 0.4).all(), shut.scores


def test_the_comparison_trains_every_kind_at_every_length_in_order():
    result = run_compare(CompareConfig(lengths=(3, 5), hidden=4, steps=3))
    assert list(zip(result.scores["length"], result.scores["kind"], strict=True)) == [
        (3, "rnn"), (3, "gru"), (3, "lstm"), (5, "rnn"), (5, "gru"), (5, "lstm")]
    assert result.history["step"].is_monotonic_increasing and result.steps_done == 18


def test_a_run_past_its_deadline_stops_cleanly_and_is_not_cached():
    result = run_compare(CompareConfig(steps=50), deadline=time.monotonic())
    assert result.status == "out of time" and not result.cacheable
    assert "time limit" in result.message


@pytest.mark.parametrize("config, sentence", [
    (GatesConfig(length=1), "sequence length"),
    (GatesConfig(hidden=0), "hidden units"),
    (GatesConfig(lr=math.nan), "learning rate"),
    (GatesConfig(task="nope"), "Unknown task"),
])
def test_bad_settings_get_a_sentence(config, sentence):
    with pytest.raises(ValueError, match=sentence):
        run_gates(config)


def test_the_inspected_look_ahead_sequence_names_its_targets_and_ends_with_end():
    result = run_gates(GatesConfig(task="lookahead", length=6, hidden=4, steps=2))
    assert result.target_text[:4] == result.steps_text[2:] and result.target_text[4:] == ["end", "end"]
    assert set(result.output_text) <= {"A", "B", "C", "D", "end"}
