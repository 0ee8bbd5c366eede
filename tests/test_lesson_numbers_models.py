"""Accuracy by construction: the numbers the backpropagation, recurrent and TF-IDF lessons state, from the engine.

Each Try-it link's preset is read as the page reads it (ui.params.read), turned into the page's config by the page's
own function (ui/<topic>_params.py), and run; the test then finds the engine's numbers, formatted as the lesson
writes them, in the link's text. Quiz answers are checked against torch, scikit-learn's conventions or the engine.
"""

import math
import re
from dataclasses import replace

import numpy as np
import pytest
import torch

from engine import lesson_search, tfidf
from engine.backprop import COMPUTED, PARAMETERS, step_by_step
from engine.init_training import REMEDIES, run_deep, run_init
from engine.initialization import glorot_view, gradient_depth_view
from engine.loss_demos import logit_gradients, loss_view, run_loss_training
from engine.recurrent import GATES, CellWeights, lstm_cell
from engine.recurrent_demos import run_bidirectional, run_compare, run_explode, run_flow, run_gates
from engine.text_classifier import run_classifier
from lessons import load_all
from ui import backprop_params, lstm_params, tfidf_params
from ui.params import preset_query, read
from ui.topics import BY_SLUG

LESSONS = {lesson.id: lesson for lesson in load_all()}
WORDS = {5: "five", 6: "six", 9: "nine", 11: "eleven", 16: "sixteen"}


def flat(text: str) -> str:
    return " ".join(text.split())


def states(text: str, *numbers: str) -> None:
    """The text says each of these, as written (line breaks count as spaces)."""
    missing = [n for n in numbers if n not in flat(text)]
    assert missing == [], f"not in the text: {missing}\n{flat(text)}"


def pct(x: float) -> str:
    return f"{x:.0%}"


def sci(x: float) -> str:
    """One significant digit as the lessons write it: 2e-18, not 2e-18 with a padded exponent."""
    mantissa, exponent = f"{x:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def minus(text: str) -> str:
    return text.replace("-", "−")


def question(lesson_id: str, question_id: str):
    return LESSONS[lesson_id].question(question_id)


def link(lesson_id: str, question_id: str, label: str):
    return next(t for t in question(lesson_id, question_id).try_it if t.label == label)


def quiz(lesson_id: str, item_id: str):
    return next(item for item in LESSONS[lesson_id].quiz if item.id == item_id)


def page_values(try_it, **changes) -> dict:
    """The page's values after following the link (and then changing what the text asks the learner to change)."""
    spec = BY_SLUG[try_it.page].params
    values, notes = read(spec, preset_query(spec, {**try_it.params, **changes}))
    assert notes == []
    return values


# --- Backpropagation: losses ---------------------------------------------------------------------------------------


def test_at_a_confident_mistake_cross_entropy_pushes_500_times_harder():
    lesson_link = link("backpropagation", "cost-functions", "The gradient at a confidently wrong prediction")
    view = loss_view(page_values(lesson_link)["p"])
    ce, mse = minus(f"{view.at_ce_grad:.3f}"), minus(f"{view.at_mse_grad:.3f}")
    ratio = f"{round(view.at_ce_grad / view.at_mse_grad, -2):.0f}"
    states(lesson_link.look_for, f"is {ce}", f"about {mse}", f"about {ratio} times harder")
    states(question("backpropagation", "cost-functions").deep_answer,
           f"${view.at_ce_grad:.3f}$", f"about ${view.at_mse_grad:.3f}$", f"roughly {ratio} times weaker")


def test_from_a_confidently_wrong_start_cross_entropy_trains_and_squared_error_stays_stuck():
    lesson_link = link("backpropagation", "cost-functions",
                       "The same network trained with each loss, from a confidently wrong start")
    values = page_values(lesson_link)
    result = run_loss_training(backprop_params.loss_train_config(values))
    finals = result.finals.set_index("loss")
    mse, ce = finals.loc["mean squared error"], finals.loc["cross-entropy"]
    start = result.history.iloc[0]["wrong"]
    assert ce["train_acc"] > 0.98 and values["lt_steps"] == 300
    states(lesson_link.look_for, f"about {pct(start)} of the training tumours", "passes 98%",
           f"({ce['wrong']:.1%})", f"about {pct(mse['train_acc'])} accuracy", f"{pct(mse['wrong'])} of the tumours",
           "after 300 steps")
    softmax = run_loss_training(backprop_params.loss_train_config(page_values(lesson_link, lt_out="softmax")))
    finals = softmax.finals.set_index("loss")
    states(lesson_link.look_for, f"about {pct(finals.loc['mean squared error', 'train_acc'])} against "
                                 f"{pct(finals.loc['cross-entropy', 'train_acc'])}")


def test_the_cross_entropy_gradient_quiz_answer_matches_autograd():
    p = torch.tensor(0.02, dtype=torch.float64)
    z = torch.log(p / (1 - p)).requires_grad_()
    torch.nn.functional.binary_cross_entropy_with_logits(z, torch.tensor(1.0, dtype=torch.float64)).backward()
    item = quiz("backpropagation", "ce-gradient")
    assert z.grad.item() == pytest.approx(item.number(), abs=item.tolerance)
    mse, ce = (g[0] for g in logit_gradients(np.array([0.02])))
    states(item.explanation, f"≈ {minus(f'{mse:.3f}')} here, over {math.floor(ce / mse)} times weaker")


# --- Backpropagation: the step-by-step network ----------------------------------------------------------------------


def test_the_step_by_step_numbers_are_the_engines():
    lesson_link = link("backpropagation", "how-backprop-works", "Backpropagation in numbers, checked against autograd")
    view = step_by_step(backprop_params.step_config(page_values(lesson_link)))
    delta3 = view.gradients.set_index("parameter").loc["b3", "by hand"]  # ∂L/∂b3 = ∂L/∂z3
    states(lesson_link.look_for, f"L = {view.loss:.5f}", f"∂L/∂z3 = {minus(f'{delta3:.4f}')}",
           f"about 1e{round(math.log10(view.max_autograd_error))}", f"about 1e{round(math.log10(view.max_fd_error))}",
           f"drops to {view.new_loss:.5f}", f"each of the {WORDS[len(PARAMETERS)]} gradients",
           f"learning rate {view.config.lr:g}")


def test_with_cross_entropy_the_output_bias_gradient_is_o_minus_y():
    lesson_link = link("backpropagation", "how-backprop-works",
                       "With cross-entropy, the output's error is exactly o − y")
    values = page_values(lesson_link)
    view = step_by_step(backprop_params.step_config(values))
    o = view.forward.set_index("quantity").loc["o", "value"]
    assert values["y"] == 0 and view.gradients.set_index("parameter").loc["b3", "by hand"] == pytest.approx(o)


def test_the_chain_rule_quiz_step_matches_autograd():
    z1 = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)  # σ(0) = 0.5, the item's h1
    h1 = torch.sigmoid(z1)
    z3 = 0.6 * h1  # w5 = 0.6
    (-0.1 * z3).backward()  # a loss whose ∂L/∂z3 is −0.1
    item = quiz("backpropagation", "chain-rule-step")
    assert z1.grad.item() == pytest.approx(item.number(), abs=item.tolerance)


def test_the_cache_table_counts_what_the_lesson_says():
    lesson_link = link("backpropagation", "forward-cache", "What the backward pass reads from the cache")
    view = step_by_step(backprop_params.step_config(page_values(lesson_link)))
    reads = dict(zip(view.reuse["cached value"], view.reuse["read by the gradients of"], strict=True))
    h1 = reads["h1"].split(", ")
    states(lesson_link.look_for, f"h1 is read by {', '.join(h1[:-1])} and {h1[-1]}",
           f"o by all {WORDS[len(reads['o'].split(', '))]}", f"counts {view.without_cache} values",
           f"against {len(COMPUTED)} computed once")
    states(question("backpropagation", "forward-cache").deep_answer,
           f"recompute {view.without_cache} values against six computed once")


# --- Backpropagation: vanishing gradients and initialization --------------------------------------------------------


def test_the_gradient_norm_per_layer_is_what_the_lesson_says():
    lesson_link = link("backpropagation", "vanishing-exploding",
                       "Gradient norm per layer, sigmoid against tanh against ReLU")
    values = page_values(lesson_link)
    frame = gradient_depth_view(values["gd_depth"], values["gd_scheme"])
    first, last = frame["sigmoid"].iloc[0], frame["sigmoid"].iloc[-1]
    states(lesson_link.look_for, f"about {sci(first)} while", f"about {last:.2f}",
           f"{WORDS[math.floor(math.log10(last / first))]} orders of magnitude",
           f"about {sci(frame['tanh'].median())} and {sci(frame['relu'].median())} per layer")
    he = gradient_depth_view(values["gd_depth"], "he")
    assert he["sigmoid"].iloc[0] < 1e-6 * he["sigmoid"].iloc[-1]  # "the sigmoid still vanishes"
    states(lesson_link.look_for, f"within a factor of about {round(he['relu'].iloc[-1] / he['relu'].iloc[0])}")


def test_glorot_and_bengios_spreads_are_the_captions():
    lesson_link = link("backpropagation", "initialization", "Glorot and Bengio (2010) reproduced")
    values = page_values(lesson_link)
    view = glorot_view(values["gl_depth"], values["gl_input"])
    wide = glorot_view(values["gl_depth"], 1.0)
    states(lesson_link.look_for, f"Over {values['gl_depth']} tanh layers", f"falls {view.spread['standard']:.3g}-fold",
           f"within a factor of {view.spread['xavier']:.3g}", f"widens to {wide.spread['xavier']:.3g}")
    standard, xavier = view.signals["standard"].gradient_std, view.signals["xavier"].gradient_std
    assert standard[-1] / standard[0] > 100 and xavier.max() / xavier.min() < 2  # the gradients, in reverse


@pytest.fixture(scope="module")
def init_runs():
    """The four initialization schemes of the links, at the page's other defaults (10 tanh layers, 300 steps)."""
    zeros = link("backpropagation", "initialization", "All zeros, a 10-layer tanh network")
    small = link("backpropagation", "initialization", "Small random weights near zero, 10 layers")
    runs = {s: run_init(backprop_params.init_config(page_values(zeros, scheme=s))) for s in ("zeros", "constant",
                                                                                             "xavier")}
    runs["small"] = run_init(backprop_params.init_config(page_values(small)))
    return runs


def test_all_zeros_keeps_every_unit_a_copy_and_xavier_trains(init_runs):
    lesson_link = link("backpropagation", "initialization", "All zeros, a 10-layer tanh network")
    zeros, xavier = init_runs["zeros"], init_runs["xavier"]
    assert set(zeros.distinct) == {1} and set(init_runs["constant"].distinct) == {1}
    assert init_runs["constant"].history["test_acc"].iloc[-1] < 0.55  # "Try constant: the same"
    assert set(xavier.distinct) == {xavier.config.width}
    states(lesson_link.look_for, f"After {zeros.config.steps} steps", "counts 1 distinct unit",
           f"all {zeros.config.width} units", f"about {pct(zeros.history['test_acc'].iloc[-1])})",
           f"{xavier.config.width} distinct units per layer and about {pct(xavier.history['test_acc'].iloc[-1])}")


def test_small_random_weights_starve_ten_tanh_layers(init_runs):
    lesson_link = link("backpropagation", "initialization", "Small random weights near zero, 10 layers")
    small, xavier = init_runs["small"], init_runs["xavier"]
    spread = small.at_init.activation_std
    states(lesson_link.look_for, f"about {spread[0]:.1g} in layer 1", f"{sci(spread[-1])} in layer {len(spread)}",
           f"about {pct(small.history['test_acc'].iloc[-1])} test accuracy after {small.config.steps} steps",
           f"Xavier reaches {pct(xavier.history['test_acc'].iloc[-1])}")


def test_he_et_al_reproduced_at_the_links_settings():
    lesson_link = link("backpropagation", "initialization", "He et al. (2015) reproduced, 30 ReLU layers")
    result = run_deep(backprop_params.he_config(page_values(lesson_link)))
    acc = result.finals.set_index("run")["test_acc"]
    std = result.layers.pivot(index="layer", columns="run", values="activation_std")
    ratio = std["he"].iloc[-1] / std["xavier"].iloc[-1]
    assert pct(acc["xavier"]) == pct(acc["small"])
    states(lesson_link.look_for, f"reaches about {pct(acc['he'])}", f"stay at about {pct(acc['xavier'])}",
           f"from about {std['xavier'].iloc[0]:.2f} to {sci(std['xavier'].iloc[-1])} over {result.config.depth} layers",
           f"({result.config.width} units)", f"some {round(ratio, -3):,.0f} times above")


def test_the_remedies_race_is_what_the_lesson_says():
    lesson_link = link("backpropagation", "vanishing-exploding", "Remedies side by side, 20 layers")
    result = run_deep(backprop_params.remedies_config(page_values(lesson_link)))
    finals = result.finals.set_index("run")
    acc = finals["test_acc"]
    assert {pct(acc[k]) for k in ("relu", "careful", "residual")} == {"98%"}
    assert finals.loc["exploding", "status"] == "diverged" and finals.loc["clipped", "status"] == "finished"
    states(lesson_link.look_for, f"a coin toss (about {pct(acc['plain'])} test accuracy)", "all reach about 98%",
           f"same {result.config.steps} steps", f"least here (about {pct(acc['batchnorm'])})",
           f"learning rate of {result.config.lr:g}", f"weights {REMEDIES['exploding'].gain:g} times too large diverges",
           f"clipping at norm {REMEDIES['clipped'].clip:g}", f"reaches about {pct(acc['clipped'])}")


def test_the_depth_and_initialization_quiz_numbers_match_torch():
    item = quiz("backpropagation", "sigmoid-depth")
    z = torch.zeros((), requires_grad=True)
    torch.sigmoid(z).backward()  # the sigmoid's steepest slope, at 0
    assert (1 / z.grad.item()) ** 10 == pytest.approx(item.number(), abs=item.tolerance)
    item = quiz("backpropagation", "he-variance")
    assert torch.nn.init.calculate_gain("relu") ** 2 / 512 == pytest.approx(item.number(), abs=item.tolerance)


# --- Recurrent networks ---------------------------------------------------------------------------------------------


def test_the_lstm_counts_bracket_depth_almost_perfectly():
    lesson_link = link("recurrent", "feedforward-vs-recurrent", "A task that needs memory, bracket depth")
    result = run_gates(lstm_params.gates_config(page_values(lesson_link)))
    assert result.score > 0.99  # "gets almost every step right"
    assert len(result.target_text) == result.config.length and all(t.isdigit() for t in result.target_text)


def test_the_sine_answers_every_step_and_remember_the_first_symbol_only_the_last():
    """Which steps have a target and an answer is the task's shape, not the training's: a few steps show it."""
    lesson_link = link("recurrent", "sequence-patterns", "Many-to-many, the noisy sine")
    sine = run_gates(replace(lstm_params.gates_config(page_values(lesson_link)), steps=10))
    first = run_gates(replace(lstm_params.gates_config(page_values(lesson_link, task="first")), steps=10))
    assert all(sine.target_text) and all(sine.output_text) and len(sine.target_text) == sine.config.length
    assert not any(first.target_text[:-1]) and not any(first.output_text[:-1])
    assert first.target_text[-1] and first.output_text[-1]


def test_gradients_through_time_vanish_for_the_plain_rnn_and_reach_back_in_trained_gated_cells():
    lesson_link = link("recurrent", "vanishing-gradients-rnn", "Gradients through time, 40 steps")
    result = run_flow(lstm_params.flow_config(page_values(lesson_link)))
    norms = result.norms

    def reach(kind, when):  # the gradient at step 1 over the one at step T
        part = norms[(norms["kind"] == kind) & (norms["when"] == when)].sort_values("t")
        return part["norm"].iloc[0] / part["norm"].iloc[-1]

    scores = result.scores.set_index("kind")["score"]
    assert reach("lstm", "after training") > 0.5  # "more than half the one at step 40"
    assert scores["gru"] == scores["lstm"] == 1
    states(lesson_link.look_for, f"by about {WORDS[round(-math.log10(reach('rnn', 'at initialization')))]} orders",
           f"about {WORDS[round(reach('gru', 'after training'))]} times larger", "both reach 100% test accuracy",
           f"at chance ({pct(scores['rnn'])}, chance being 25%) after the same {result.config.steps} steps")


@pytest.fixture(scope="module")
def comparisons():
    """The two comparison links: memory gates opened (b = 4) and PyTorch's default start (b = 0)."""
    opened = link("recurrent", "vanishing-gradients-rnn", "RNN, GRU and LSTM as T grows")
    shut = link("recurrent", "vanishing-gradients-rnn", "The same comparison with no memory bias")
    return {name: run_compare(lstm_params.compare_config(page_values(lesson_link))).scores.set_index(["length", "kind"])
            ["score"] for name, lesson_link in (("opened", opened), ("shut", shut))}


def test_rnn_gru_and_lstm_as_t_grows(comparisons):
    lesson_link = link("recurrent", "vanishing-gradients-rnn", "RNN, GRU and LSTM as T grows")
    scores = comparisons["opened"]
    assert (scores.loc[[5, 10]] == 1).all()  # "every network remembers the first symbol over 5 and 10 steps"
    assert (scores.xs("gru", level="kind") == 1).all() and (scores.xs("lstm", level="kind") == 1).all()
    states(lesson_link.look_for, f"At T = 20 the plain RNN gets about {pct(scores[20, 'rnn'])}",
           f"at chance ({pct(scores[40, 'rnn'])}, chance being 25%)", "get 100% at every length",
           f"same {lstm_params.PARAMS['cmp_steps'].default} steps")


def test_without_the_memory_bias_the_gated_cells_fall_to_chance(comparisons):
    lesson_link = link("recurrent", "vanishing-gradients-rnn", "The same comparison with no memory bias")
    scores = comparisons["shut"]
    assert (scores.loc[5] == 1).all()  # "over 5 steps all three networks still get 100%"
    states(lesson_link.look_for, f"the GRU (about {pct(scores[20, 'gru'])}) and the LSTM",
           f"(about {pct(scores[20, 'lstm'])}) are at chance", f"below the plain RNN (about {pct(scores[20, 'rnn'])})",
           f"(GRU {pct(scores[40, 'gru'])}, LSTM {pct(scores[40, 'lstm'])}, plain RNN {pct(scores[40, 'rnn'])})")


def test_the_gru_against_lstm_wrong_answer_is_settled_by_both_comparisons(comparisons):
    correction = next(w.correction for w in question("recurrent", "gru").wrong_answers if "cut-down LSTM" in w.claim)
    gated = ["gru", "lstm"]
    assert (comparisons["opened"].loc[40, gated] == 1).all()  # "both reach 100% at T = 40 when ... open"
    assert (comparisons["shut"].loc[40, gated] < 0.35).all()  # "and both sit at chance (25%) when it does not"
    states(correction, "both reach 100% at T = 40")


def test_the_lstm_gates_on_remember_the_first_symbol():
    lesson_link = link("recurrent", "lstm-gates", "Watch the gates on remember-the-first-symbol")
    result = run_gates(lstm_params.gates_config(page_values(lesson_link)))
    trace = result.trace
    assert result.score == 1 and trace["f"].min() > 0.98  # "above 0.98 for every unit at every step"
    assert (trace["i"] < 0.5).mean() > 0.5  # "below 0.5 for most units at most steps"
    assert (np.abs(trace["g"][0]) > 0.4).mean() > 0.5  # step 1: "beyond ±0.4" in most units
    states(lesson_link.look_for, f"After {result.config.steps} steps the test accuracy is 100%",
           f"its median is about {np.median(trace['i']):.2f}")


def test_with_pytorchs_default_biases_the_first_symbol_is_forgotten_over_40_steps():
    lesson_link = link("recurrent", "lstm-gates", "The same with PyTorch's default biases")
    shut = run_gates(lstm_params.gates_config(page_values(lesson_link)))
    opened = run_gates(lstm_params.gates_config(page_values(lesson_link, fb=4)))
    assert opened.score == 1  # "where b = 4 reaches 100% at the same length"
    states(lesson_link.look_for, f"after {shut.config.steps} steps the accuracy is about {pct(shut.score)}")


def test_the_grus_update_gate_keeps_the_symbol():
    lesson_link = link("recurrent", "gru", "The GRU's gates on remember-the-first-symbol")
    result = run_gates(lstm_params.gates_config(page_values(lesson_link)))
    assert result.score == 1
    states(lesson_link.look_for, "reaches 100% test accuracy", f"same {result.config.steps} steps",
           f"(b = {result.config.forget_bias:g}, so z starts near σ({result.config.forget_bias:g}) = "
           f"{1 / (1 + math.exp(-result.config.forget_bias)):.2f})", f"about {np.median(result.trace['z']):.2f}")


def test_only_the_bidirectional_lstm_sees_two_steps_ahead():
    lesson_link = link("recurrent", "bidirectional", "Look ahead two steps")
    result = run_bidirectional(lstm_params.bi_config(page_values(lesson_link)))
    per_step = result.per_step.pivot(index="t", columns="run", values="score")
    ahead, end = per_step.iloc[:-2], per_step.iloc[-2:]
    one, both = ahead["LSTM, one direction"], ahead["LSTM, bidirectional"]
    assert (end == 1).all().all()
    states(lesson_link.look_for, f"({pct(one.min())} to {pct(one.max())}, chance being 25%)",
           f"between {pct(both.min())} and {pct(both.max())}", f"same {result.config.steps} steps")


def test_exploding_gradients_clipped_and_truncated():
    lesson_link = link("recurrent", "exploding-gradients-rnn", "Exploding gradients, clipped and truncated")
    result = run_explode(lstm_params.explode_config(page_values(lesson_link)))
    history, finals = result.history, result.finals.set_index("run")
    unclipped = history[history["run"] == "full BPTT, no clipping"]
    clipped = history[history["run"] == "full BPTT, clipped"].set_index("run_step")
    assert unclipped["batch_loss"].max() > 1e9 and finals.loc["full BPTT, no clipping", "status"] == "diverged"
    assert finals.loc["full BPTT, clipped", "status"] == "finished"
    truncated = finals.loc["truncated BPTT"]
    states(lesson_link.look_for, f"Each run makes {result.config.steps} SGD updates",
           f"about {round(unclipped['grad_norm'].iloc[0], -3):,.0f} at the first",
           f"after {finals.loc['full BPTT, no clipping', 'updates']} updates",
           f"about {round(clipped.loc[300, 'grad_norm'], -2):,.0f} at update 300",
           f"to about {finals.loc['full BPTT, clipped', 'loss']:.2f} after {result.config.steps}",
           f"windows of {result.config.window} steps ({truncated['updates']} updates from {truncated['batches']} "
           f"batches)", f"above about {round(truncated['largest_norm'])}", f"falls to about {truncated['loss']:.2f}")


def test_one_gated_layer_reaches_80_steps_back():
    """Each (length, kind) run starts from the same seed whatever else is compared, so T = 80 alone is the link's."""
    lesson_link = link("recurrent", "cnn-vs-rnn", "A dependency 80 steps long")
    config = lstm_params.compare_config(page_values(lesson_link))
    scores = run_compare(replace(config, lengths=(80,))).scores.set_index("kind")["score"]
    assert 80 in config.lengths and scores["gru"] == scores["lstm"] == 1
    states(lesson_link.look_for, "gets 100% at T = 80", f"at chance (about {pct(scores['rnn'])}, chance being 25%)",
           f"same {config.steps} steps")


def test_parameter_counts_match_torch_nn():
    def count(module):
        return sum(p.numel() for p in module.parameters())

    for kind, module in (("rnn", torch.nn.RNN), ("gru", torch.nn.GRU), ("lstm", torch.nn.LSTM)):
        inputs, hidden = 10, 20
        assert count(module(inputs, hidden)) == GATES[kind] * (hidden * inputs + hidden ** 2 + 2 * hidden)
    item = quiz("recurrent", "lstm-parameters")
    assert count(torch.nn.LSTM(10, 20)) == item.number()
    states(item.explanation, f"{count(torch.nn.GRU(10, 20)):,}")
    states(quiz("recurrent", "rnn-recurrence").explanation, f"= {count(torch.nn.RNN(8, 16))}")


def test_one_lstm_step_in_numbers_through_the_engines_cell():
    f, i, g, o = 0.9, 0.5, -0.4, 0.5  # the gates of the lesson's step: pre-activations chosen to give them
    logit = lambda p: math.log(p / (1 - p))  # noqa: E731
    bias = torch.tensor([logit(i), logit(f), math.atanh(g), logit(o)], dtype=torch.float64)  # order i, f, g, o
    weights = CellWeights(torch.zeros(4, 1, dtype=torch.float64), torch.zeros(4, 1, dtype=torch.float64), bias,
                          torch.zeros(4, dtype=torch.float64))
    x, h, c = (torch.zeros(1, 1, dtype=torch.float64) for _ in range(3))
    step = lstm_cell(x, h, c + 2.0, weights)  # c_{t−1} = 2
    item = quiz("recurrent", "lstm-one-step")
    assert step["h"].item() == pytest.approx(item.number(), abs=item.tolerance)
    c_t = step["c"].item()
    states(question("recurrent", "lstm-gates").deep_answer, f"= {c_t:.1f}$", f"{math.tanh(c_t):.3f}",
           f"= {step['h'].item():.3f}$")
    item = quiz("recurrent", "vanishing-factor")
    assert 0.5 ** 20 == pytest.approx(item.number(), abs=item.tolerance)


# --- TF-IDF ---------------------------------------------------------------------------------------------------------


def test_the_classic_example_is_the_engines():
    classic = tfidf.classic(3, 100, 10_000_000, 1000)
    natural = tfidf.classic(3, 100, 10_000_000, 1000, "e")
    item = quiz("tfidf", "classic-number")
    assert classic.tfidf == pytest.approx(item.number(), abs=item.tolerance)
    q = question("tfidf", "classic-example")
    states(q.short_answer, f"TF = 3 / 100 = {classic.tf:g}", f"= {classic.idf:g}", f"= {classic.tfidf:g}",
           f"≈ {natural.idf:.2f}", f"≈ {natural.tfidf:.3f}")
    sklearn_idf = tfidf.idf_values(np.array([1000]), 10_000_000, tfidf.SKLEARN)[0]
    states(q.deep_answer, f"\\approx {natural.idf:.3f}", f"\\approx {natural.tfidf:.3f}",
           f"\\approx {sklearn_idf:.3f}", f"| 3 | {classic.idf:g} | {3 * classic.idf:g} |")
    states(q.try_it[0].look_for, f"TF {classic.tf:g}, IDF {classic.idf:g} and TF-IDF {classic.tfidf:g}",
           f"doubles to {tfidf.classic(6, 100, 10_000_000, 1000).tfidf:g}",
           f"falls to {tfidf.classic(3, 100, 10_000_000, 10_000_000).idf:g}")
    states(link("tfidf", "classic-example", "The same counts with the natural log").look_for,
           f"ln 10,000 = {natural.idf:.6g}", f"TF-IDF {natural.tfidf:.5g}")
    right = next(o.text for o in quiz("tfidf", "classic-natural-log").options if o.right)
    states(right, f"{natural.tfidf:.3f}")


def test_the_smoothed_idf_quiz_numbers_are_the_engines():
    item = quiz("tfidf", "smooth-number")
    assert tfidf.idf_values(np.array([1]), 4, tfidf.SKLEARN)[0] == pytest.approx(item.number(), abs=item.tolerance)
    every = quiz("tfidf", "every-document")
    right = next(o.text for o in every.options if o.right)
    assert tfidf.idf_values(np.array([7]), 7, tfidf.SKLEARN)[0] == pytest.approx(float(right))


def _fitted(try_it, **changes) -> tuple[tfidf.Tfidf, dict]:
    values = page_values(try_it, **changes)
    docs = [values[f"doc{i}"] for i in range(1, tfidf_params.DOC_BOXES + 1) if values[f"doc{i}"].strip()]
    return tfidf.fit(docs, tfidf_params.tfidf_config(values)), values


def test_the_five_documents_idf_values():
    model, _ = _fitted(link("tfidf", "what-is-tfidf", "Compute every step on five short documents"))
    idf = dict(zip(model.terms, model.idf, strict=True))
    df = dict(zip(model.terms, model.df, strict=True))
    states(link("tfidf", "what-is-tfidf", "Compute every step on five short documents").look_for,
           f"it is in {df['neural']} of the {model.n_docs} documents",
           f"ln({model.n_docs + 1}/{df['neural'] + 1}) + 1 = {idf['neural']:.3f}", f"gets {idf['words']:.3f}")
    lesson_link = link("tfidf", "what-is-tfidf", "A word in every document")
    model, _ = _fitted(lesson_link)
    idf = dict(zip(model.terms, model.idf, strict=True))
    assert idf["the"] == 0 and not model.matrix[:, model.terms.index("the")].any()
    assert {round(v, 3) for t, v in idf.items() if t != "the"} == {round(math.log(3), 3)}
    states(lesson_link.look_for, f"in all {model.n_docs} documents", f"gets ln 3 = {math.log(3):.3f}")


def test_the_variants_links():
    lesson_link = link("tfidf", "variants", "scikit-learn's defaults on the five documents")
    model, _ = _fitted(lesson_link)
    from sklearn.feature_extraction.text import TfidfVectorizer

    reference = TfidfVectorizer(**tfidf.sklearn_kwargs(model.config)).fit_transform(model.docs).toarray()
    assert np.abs(reference - model.matrix).max() < 1e-15
    np.testing.assert_allclose(np.linalg.norm(model.matrix, axis=1), 1)
    lesson_link = link("tfidf", "variants", "The textbook setting")
    model, _ = _fitted(lesson_link)
    j = model.terms.index("neural")
    assert tfidf.sklearn_kwargs(model.config) is None  # "scikit-learn has no setting for this variant"
    weights = {round(w, 3) for w in model.matrix[:, j] if w}
    assert len(weights) == 1 and (model.matrix[:, j] > 0).sum() == 2
    states(lesson_link.look_for, f"log₁₀({model.n_docs}/{model.df[j]}) = {model.idf[j]:.3f}",
           f"a weight of {weights.pop():.3f} in each of its two documents")
    lesson_link = link("tfidf", "variants", "Plain IDF with and without the +1")
    model, _ = _fitted(lesson_link)
    the = model.terms.index("the")
    assert model.idf[the] == 1
    states(lesson_link.look_for, f"({model.matrix[0, the]:.3f} in document 1 after L2 normalization)")
    off, _ = _fitted(lesson_link, plus1="off")
    assert off.idf[off.terms.index("the")] == 0


def test_ranking_the_five_documents_and_finding_the_lesson():
    lesson_link = link("tfidf", "search-and-features", "Rank the five documents for a query")
    model, values = _fitted(lesson_link)
    ranking = tfidf.rank(model, values["search"])
    best, second = ranking.order[:2]
    assert ranking.unknown == ["of"]
    states(lesson_link.look_for, f"Document {best + 1} ranks first with cosine {ranking.scores[best]:.2f}",
           f"document {second + 1} follows with {ranking.scores[second]:.2f}")
    lesson_link = link("tfidf", "search-and-features", "Find the lesson for a question in your own words")
    hit = lesson_search.search(page_values(lesson_link)["ask"], k=1)[0]
    assert hit.question_id == "epoch-batch-iteration" and set(hit.terms[:2]) == {"epoch", "iterations"}
    assert {"how", "in"} <= tfidf.STOP_WORDS and not {"how", "in"} & set(hit.terms)
    states(lesson_link.look_for, "start with “epoch” and “iterations”", "such as “how” and “in” are stop words")


@pytest.fixture(scope="module")
def classifier():
    lesson_link = link("tfidf", "search-and-features", "Train a logistic regression on TF-IDF features")
    return run_classifier(tfidf_params.classifier_config(page_values(lesson_link)))


def test_the_tfidf_classifier_and_its_informative_terms(classifier):
    lesson_link = link("tfidf", "search-and-features", "Train a logistic regression on TF-IDF features")
    result = classifier
    top = result.top_terms.groupby("class")["term"].apply(set)
    assert {"best", "enjoyed", "beautiful", "tomorrow"} <= top["positive"]
    assert {"worst", "poor", "bored"} <= top["negative"]
    assert result.train_acc == 1
    states(lesson_link.look_for, f"fits all {result.n_train} training reviews",
           f"gets {pct(result.test_acc)} of the {result.n_test} held-out")
    lesson_link = link("tfidf", "search-and-features", "Some weight decay")
    decayed = run_classifier(tfidf_params.classifier_config(page_values(lesson_link)))
    assert 0.95 < decayed.train_acc < 1
    extreme = lambda r: (r.failures["P(positive)"] - 0.5).abs().max()  # noqa: E731
    assert extreme(decayed) < extreme(result)  # "the predicted probabilities become less extreme"
    states(lesson_link.look_for, f"test accuracy rises to {pct(decayed.test_acc)}")


def test_where_a_bag_of_words_breaks(classifier):
    lesson_link = link("tfidf", "bag-of-words-limits", "Sentences a bag of words cannot read")
    result = run_classifier(tfidf_params.classifier_config(page_values(lesson_link)))
    assert result.config == classifier.config  # the same run as the classifier link's
    p = result.failures["P(positive)"].to_numpy()
    same = result.failures["same vector as"].tolist()
    assert same[:4] == ["example 2", "example 1", "example 4", "example 3"]
    top = result.top_terms.groupby("class")["term"].apply(set)
    assert "bad" in top["positive"] and "good" in top["negative"]
    states(lesson_link.look_for, f"the same P(positive), {p[0]:.2f}",
           f"two “I expected it to be…” sentences ({p[2]:.2f})", f"read as negative ({p[4]:.2f})",
           f"as positive ({p[5]:.2f})")
    lesson_link = link("tfidf", "bag-of-words-limits", "Word pairs as features")
    pairs = run_classifier(tfidf_params.classifier_config(page_values(lesson_link)))
    q = pairs.failures["P(positive)"].to_numpy()
    assert q[3] > 0.5  # the negative "I expected it to be great, but it was terrible." is still read as positive
    assert pairs.failures["same vector as"].iloc[6] == "example 8" and {"not bad", "not good"} <= set(pairs.terms)
    states(lesson_link.look_for, f"from {len(classifier.terms)} to {len(pairs.terms):,} terms",
           f"({q[0]:.2f} against {q[1]:.2f})")
    lesson_link = link("tfidf", "bag-of-words-limits", "A stop-word list that drops “not”")
    stopped = run_classifier(tfidf_params.classifier_config(page_values(lesson_link)))
    assert "not" not in stopped.terms and stopped.failures["same vector as"].iloc[0] == "example 2"
    states(lesson_link.look_for, f"read as positive ({stopped.failures['P(positive)'].iloc[0]:.2f})")


def test_the_quizs_same_vector_pairs_are_the_engines():
    item = quiz("tfidf", "same-vector-pairs")
    for option in item.options:
        a, b = re.findall(r"“(.+?)”", option.text)
        rows = tfidf.fit([a, b]).matrix
        assert np.allclose(rows[0], rows[1]) == option.right, option.text
