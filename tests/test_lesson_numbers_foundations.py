"""The numbers the foundations and activation-function lessons state, computed by the engine at the stated settings.

Each Try-it test runs the engine with the link's preset exactly as the page builds it (the page's defaults, then
the link's values, each per-layer choice repeated to the number of layers, through the page's config functions)
and checks that the lesson's text says what came out.
"""

import math
import re
from dataclasses import replace
from functools import cache

import pytest
import torch
from torch import nn

from engine.activation_demo import code_for, run, run_xor
from engine.activations import apply, curve, naive_softmax, softmax
from engine.datasets import make_split
from engine.descent_demos import updates_per_epoch
from engine.device import describe, pick_device
from engine.models import MLP
from tests.lesson_lookup import LESSONS, link, question, quiz
from ui import activation_params as act
from ui.params import ChoiceEach


def everything(lesson_id: str) -> str:
    """All the text a lesson shows: answers, links, wrong answers and quiz items."""
    lesson = LESSONS[lesson_id]
    parts = [lesson.intro]
    for q in lesson.questions:
        parts += [q.short_answer, q.deep_answer, *(t.look_for for t in q.try_it)]
        parts += [w.claim + " " + w.correction for w in q.wrong_answers]
    for item in lesson.quiz:
        parts += [item.prompt, item.explanation, *(o.text + " " + o.why for o in item.options)]
    return "\n".join(parts)


def says(text: str, number: str) -> bool:
    """The text states this number (or phrase), not as part of a longer number; line breaks count as spaces."""
    return re.search(rf"(?<![\d.]){re.escape(number)}(?![\d])", " ".join(text.split())) is not None


def stated(text: str, pattern: str) -> float:
    """The number a lesson states where the pattern's group is, e.g. r"about (\\d+)% test"."""
    found = re.search(pattern, " ".join(text.split()))
    assert found, f"the text states no number for {pattern!r}"
    return float(found[1])


def about_pct(text: str, pattern: str, value: float) -> bool:
    """The text rounds this accuracy to a whole percent ("about 96%"): rounding on another CPU may move it by one."""
    return abs(stated(text, pattern) - 100 * value) <= 1


def pct(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}%}"


def values(params: dict) -> dict:
    """The page's values when a link with these params opens it."""
    out = {name: param.default for name, param in act.PARAMS.items()} | params
    for name, param in act.PARAMS.items():
        if isinstance(param, ChoiceEach):  # the page shows one choice per layer, repeating the last one given
            out[name] = tuple(param.item(tuple(out[name]), i) for i in range(1, int(out[param.count]) + 1))
    return out


@cache
def _train(config):
    return run(config)


@cache
def _xor(config):
    return run_xor(config)


def network(lesson_id: str, label: str, **changes):
    """The network section's run at a link's preset (with `changes` made on the page first), and the link's text."""
    link_ = link(lesson_id, label)
    return _train(act.network_config(values(link_.params | changes))), link_.look_for


def last(result):
    return result.history.iloc[-1]


# ---------------------------------------------------------------------------------------------------------------
# Foundations: deep learning, neurons, perceptrons


def test_a_linear_model_leaves_the_spiral_arms_mixed_and_three_relu_layers_learn_them():
    linear, text = network("foundations", "A linear model on the raw coordinates of a spiral")
    assert linear.config.activations == ()
    assert says(text, pct(last(linear).train_acc)) and says(text, pct(last(linear).test_acc))
    assert last(linear).test_acc < 0.5
    deep, text = network("foundations", "Let three hidden layers learn the features instead")
    assert about_pct(text, r"about (\d+)% test accuracy", last(deep).test_acc) and last(deep).test_acc > 0.95


def test_the_xor_section_perceptron_sits_at_ln_2_while_four_tanh_units_solve_it():
    link_ = link("foundations", "A perceptron and a one-hidden-layer network on XOR, side by side")
    result = _xor(act.xor_config(values(link_.params)))
    perceptron, mlp = last(result.perceptron), last(result.mlp)
    # the page titles each chart "…: 27% train accuracy, loss 0.693"
    assert says(link_.look_for, pct(perceptron.train_acc, 0)) and says(link_.look_for, f"{perceptron.train_loss:.3f}")
    assert perceptron.train_loss == pytest.approx(math.log(2), abs=0.002)
    assert perceptron.train_acc < 0.5 and mlp.train_acc == 1.0 and says(link_.look_for, "100%")
    assert says(link_.look_for, f"{math.log(2):.4f}")


def test_one_hidden_layer_of_four_tanh_units_solves_xor():
    result, text = network("foundations", "Add one hidden layer of tanh units")
    assert last(result).train_acc == last(result).test_acc == 1.0
    assert says(text, "100%")


def test_the_perceptron_lesson_says_what_the_rule_is_and_states_novikoffs_bound():
    text = everything("foundations")
    assert "does not use gradients" not in text
    assert "subgradient descent" in text and "(R/\\gamma)^2" in text
    item = quiz("foundations", "perceptron-mistake-bound")
    assert item.number() == (5 / 0.25) ** 2


def test_the_five_class_network_reads_two_features_and_writes_one_logit_per_class_with_no_output_activation():
    link_ = link("foundations", "Two inputs, five outputs, two hidden layers")
    config = act.network_config(values(link_.params))
    code = code_for(config)
    assert "nn.Linear(2, 32), nn.ReLU()," in code and "    nn.Linear(32, 5),\n)" in code
    net = MLP(2, config.width, config.activations, config.classes)
    count = sum(p.numel() for p in net.parameters())
    assert says(link_.look_for, f"= {count}") and count == 1317


def test_the_parameter_counts_the_lessons_do_by_hand():
    count = lambda width, acts, classes: sum(p.numel() for p in MLP(2, width, acts, classes).parameters())
    layers = question("foundations", "network-layers").deep_answer
    assert says(layers, f"= {count(16, ('relu',) * 3, 3)}")  # 2 → 16 → 16 → 16 → 3
    shallow, deep = count(64, ("relu",), 3), count(12, ("relu",) * 3, 3)
    assert shallow == deep
    depth = question("foundations", "depth-vs-width")
    assert says(depth.deep_answer, f"= {shallow}")
    assert all(says(t.label, f"{shallow} parameters") for t in depth.try_it)


def test_with_no_hidden_layer_circles_stay_at_a_coin_flip():
    result, text = network("foundations", "Circles, first without a hidden layer")
    assert 0.4 < last(result).test_acc < 0.6 and says(text, "50%")
    result, text = network("foundations", "Logistic regression on circles")
    assert 0.4 < last(result).test_acc < 0.6 and says(text, "50%")


def test_three_tanh_units_enclose_the_inner_circle():
    result, text = network("foundations", "Circles, first without a hidden layer", depth=1, width=3, acts=("tanh",))
    assert result.config.activations == ("tanh",) and result.config.width == 3
    assert says(text, pct(last(result).train_acc)) and says(text, pct(last(result).test_acc))


def test_two_tanh_units_solve_xor():
    link_ = link("foundations", "XOR with only two hidden tanh units")
    both = _xor(act.xor_config(values(link_.params)))
    assert both.mlp.config.width == 2 and last(both.mlp).train_acc == 1.0 and says(link_.look_for, "100%")
    assert last(both.perceptron).train_acc <= 0.75


def test_logistic_regression_on_two_blobs_is_a_straight_line_fit():
    result, _ = network("foundations", "Logistic regression on two overlapping blobs")
    assert result.config.activations == () and last(result).test_acc > 0.95


def test_deep_and_narrow_fits_the_spiral_better_than_shallow_and_wide_at_the_same_budget():
    shallow, shallow_text = network("foundations", "Shallow and wide, 387 parameters")
    deep, deep_text = network("foundations", "Deep and narrow, also 387 parameters")
    for result, text in ((shallow, shallow_text), (deep, deep_text)):
        assert stated(text, r"\(about (0\.\d+) at seed 0") == pytest.approx(last(result).train_loss, abs=0.01)
        assert about_pct(text, r"about (\d+)% test accuracy", last(result).test_acc)
    assert last(shallow).train_loss / last(deep).train_loss == pytest.approx(4, rel=0.15)  # "almost four times lower"


def test_too_little_capacity_underfits_and_plenty_overfits_the_noisy_spiral():
    small, small_text = network("foundations", "Too little capacity, width 2")
    assert says(small_text, pct(last(small).train_acc)) and says(small_text, pct(last(small).test_acc))
    assert last(small).train_acc < 0.5
    big, big_text = network("foundations", "Plenty of capacity, width 64, on noisy data")
    history = big.history
    assert about_pct(big_text, r"climbs to about (\d+)%", last(big).train_acc)
    assert about_pct(big_text, r"ends near (\d+)%", last(big).test_acc)
    best = history.test_loss.idxmin()
    assert history.test_loss.iloc[-1] > 2 * history.test_loss[best]  # the test loss turns upward ...
    assert history.train_loss.iloc[-1] < history.train_loss[best]  # ... while the training loss keeps falling
    middle = _train(replace(big.config, width=8))  # "Width 8 sits in between"
    assert last(small).train_acc < last(middle).train_acc < last(big).train_acc


def test_the_demo_trains_on_420_points_so_batches_of_32_make_14_iterations_an_epoch():
    data = make_split("spiral", 600, 0.1, 3, 0.3, torch.Generator().manual_seed(0), torch.device("cpu"))
    epoch = updates_per_epoch(len(data.X_train), 32)
    text = question("foundations", "epoch-batch-iteration").deep_answer
    assert len(data.X_train) == 420 and says(text, "420 points") and says(text, f"= {epoch}")
    assert quiz("foundations", "demo-epochs").number() == epoch == 14
    assert quiz("foundations", "iterations-per-epoch").number() == 50


def test_mini_batches_leave_the_loss_far_above_full_batch_after_the_same_300_updates():
    mini, text = network("foundations", "Mini-batches of 32, 300 iterations (about 21 epochs)")
    full, _ = network("foundations", "Full batch, 300 iterations (300 epochs)")
    assert says(text, f"{last(mini).train_loss:.3f}") and says(text, f"{last(full).train_loss:.3f}")
    assert says(text, f"about {round(300 / updates_per_epoch(420, 32))} epochs")


def test_the_page_names_the_device_and_the_shown_code_picks_one_the_same_way():
    result, text = network("foundations", "See which device trained the network")
    assert result.device == describe(pick_device())
    device_line = 'device = "cuda" if torch.cuda.is_available() else "cpu"'
    assert device_line in code_for(result.config) and device_line in " ".join(text.split())
    assert '"Trained on cpu in … s"' in text
    wrong = next(w for w in question("foundations", "gpus").wrong_answers if w.number == 15)
    assert "Try-it" in wrong.correction


def test_the_tensor_facts_hold_in_torch():
    x = torch.zeros(2, 3, 4)
    assert x.stride() == (12, 4, 1) and quiz("foundations", "tensor-stride").number() == x.stride()[0]
    assert x[0].t().stride() == (1, 4) and not x[0].t().is_contiguous()
    assert (torch.zeros(32, 1) - torch.zeros(32)).shape == (32, 32)


def test_the_logistic_regression_odds_arithmetic():
    odds = math.exp(0.7)
    assert quiz("foundations", "logistic-boolean-odds").number() == pytest.approx(odds, abs=0.01)
    p = 0.25 * odds / (1 + 0.25 * odds)  # from p = 0.2, i.e. odds 0.25
    assert says(question("foundations", "logistic-regression-glm").deep_answer, f"p \\approx {p:.3f}")


# ---------------------------------------------------------------------------------------------------------------
# Activation functions


def test_a_linear_model_on_circles_is_a_coin_flip_and_one_relu_layer_learns_them():
    linear, text = network("activations", "A network with no hidden layer on the circles data")
    assert says(text, pct(last(linear).train_acc)) and says(text, pct(last(linear).test_acc))
    assert says(text, f"{last(linear).train_loss:.3f}")
    relu, text = network("activations", "Add one ReLU hidden layer")
    assert says(text, pct(last(relu).test_acc))


def test_xor_without_a_hidden_layer_lands_on_the_same_flat_fit_for_any_reasonable_learning_rate():
    label = "XOR, with and without a tanh hidden layer"
    tanh, text = network("activations", label)
    assert last(tanh).train_acc == last(tanh).test_acc == 1.0 and says(text, "100% train and test")
    flat = [last(network("activations", label, depth=0, lr=lr)[0]) for lr in (0.01, 0.1, 1.0)]
    assert says(text, pct(flat[0].train_acc)) and says(text, f"{flat[0].train_loss:.4f}")
    assert all(f.train_acc == flat[0].train_acc and f"{f.train_loss:.4f}" == f"{flat[0].train_loss:.4f}" for f in flat)
    assert flat[0].train_loss < math.log(2) and says(text, f"{math.log(2):.4f}")
    for lr in (0.001, 10.0):  # too small to get there in 300 steps; too large to settle
        far = last(network("activations", label, depth=0, lr=lr)[0])
        assert far.train_loss > 0.7 and says(text, f"({lr:g})")


def derivative(name: str, x: float, dtype=torch.float64) -> float:
    point = torch.tensor([x], dtype=dtype, requires_grad=True)
    (grad,) = torch.autograd.grad(apply(name, point).sum(), point)
    return grad.item()


def test_the_derivative_peaks_the_zoo_quotes():
    text = question("activations", "activation-zoo").try_it[0].look_for
    for name in ("gelu", "swish"):
        assert says(text, f"{curve(name, -6, 6, points=12001).dy.max():.2f}")
    swish = curve("swish", -6, 6, points=12001)
    deep = question("activations", "swish-derivative").deep_answer
    assert says(deep, f"-{-swish.y.min():.3f}") and says(deep, f"x \\approx -{-swish.x[swish.y.argmin()]:.3f}")
    assert says(deep, f"-{-swish.dy.min():.2f}") and says(deep, f"x \\approx {swish.x[swish.dy.argmax()]:.1f}")


def test_the_negative_side_slopes_the_dying_relu_lesson_quotes():
    text = " ".join(question("activations", "dying-relu").deep_answer.split())
    assert says(text, f"e^{{-6}} \\approx {derivative('elu', -6.0):.4f}")
    assert says(text, f"Swish′ $\\approx {derivative('swish', -6.0):.3f}")
    mantissa = derivative("gelu", -6.0) / 1e-8
    assert says(text, f"GELU′ $\\approx {mantissa:.1f} \\cdot 10^{{-8}}")
    at_minus_ten = torch.full((64,), -10.0, requires_grad=True)  # float32, as in a network
    (grad,) = torch.autograd.grad(nn.GELU()(at_minus_ten).sum(), at_minus_ten)
    assert (grad == 0).all() and says(text, "exactly 0 at $x = -10$")
    assert derivative("leaky_relu", -1e6) == pytest.approx(0.01)


def test_the_softmax_bars_the_lesson_quotes():
    text = everything("activations")
    bars = softmax(torch.tensor([2.0, 1.0, 0.1], dtype=torch.float64))
    shown = link("activations", "Softmax of three logits at temperature 1").look_for
    assert all(says(shown, f"{p:.2f}") for p in bars.tolist())
    big = torch.tensor([1000.0, 999.0, 998.0])
    assert says(text, ", ".join(f"{p:.3f}" for p in softmax(big.double()).tolist()))
    assert torch.isnan(naive_softmax(big)).all()


def test_the_sigmoid_stack_starves_its_first_layer_of_gradient_and_never_learns():
    result, text = network("activations", "Six sigmoid layers trained with plain SGD")
    first = result.history.iloc[0]
    norms = [first[f"grad_L{i}"] for i in range(1, 7)]
    assert says(text, f"about {round(norms[5] / norms[0], -3):,.0f} times")
    assert says(text, f"{norms[0] / 1e-8:.1f} \\cdot 10^{{-8}}")
    assert says(text, f"{norms[5] / 1e-4:.1f} \\cdot 10^{{-4}}")
    factors = [b / a for a, b in zip(norms, norms[1:], strict=False)]
    assert says(text, f"{math.floor(min(factors))} to {math.ceil(max(factors))} times")
    assert result.history.train_acc.max() < 0.55 and says(text, pct(last(result).train_acc))
    assert len(set(result.boundary.predicted.flatten().tolist())) == 1  # one class for everything


def test_gelu_and_relu_hidden_layers_reach_about_the_same_accuracy():
    relu, relu_text = network("activations", "ReLU hidden layers on the spiral")
    gelu, gelu_text = network("activations", "GELU hidden layers on the same data")
    assert about_pct(relu_text, r"about (\d+)% test accuracy", last(relu).test_acc)
    assert about_pct(gelu_text, r"about (\d+)% for both", last(relu).test_acc)
    assert about_pct(gelu_text, r"about (\d+)% for both", last(gelu).test_acc)


def test_the_choice_of_output_keeps_the_poisson_trap_and_the_swiglu_note_straight():
    text = everything("activations")
    assert "log_input=False" in text and "default in transformers" not in text and "SwiGLU" in text
    rate = torch.tensor([2.0])
    loss = nn.PoissonNLLLoss()  # log_input=True: it exponentiates what it is given
    assert loss(torch.log(rate), torch.tensor([3.0])).item() == pytest.approx(
        nn.PoissonNLLLoss(log_input=False)(rate, torch.tensor([3.0])).item())


def test_a_huge_learning_rate_kills_relus_deep_in_the_network():
    killed, text = network("activations", "Kill ReLUs with a huge SGD learning rate")
    healthy, healthy_text = network("activations", "A healthy ReLU run for comparison")
    assert last(killed).dead_L2 == 0.5 and last(killed).dead_L3 > 0.5 and says(text, "half of layer 2")
    assert 0.35 < last(killed).train_acc < 0.45 and says(text, "near 40%")
    assert last(healthy).dead_L3 < last(killed).dead_L3
    assert about_pct(healthy_text, r"about (\d+)% test accuracy", last(healthy).test_acc)


def test_at_learning_rate_10_a_whole_relu_layer_dies_and_the_network_outputs_one_class():
    frozen, text = network("activations", "Larger still, and a whole layer dies")
    assert frozen.status == "finished" and last(frozen).dead_L3 == 1.0
    assert len(set(frozen.boundary.predicted.flatten().tolist())) == 1
    largest = torch.bincount(torch.as_tensor(frozen.y_train)).max().item() / len(frozen.y_train)
    assert last(frozen).train_acc == pytest.approx(largest)
    assert says(text, pct(last(frozen).train_acc)) and says(text, pct(last(frozen).test_acc))


def test_leaky_relu_cannot_die_but_still_fails_at_3_and_diverges_at_10():
    leaky, text = network("activations", "The lr 3.0 run with Leaky ReLU")
    assert all(last(leaky)[f"dead_L{i}"] == 0 for i in (1, 2, 3))
    assert last(leaky).train_acc < 0.5 and says(text, "below 50%")
    blown, _ = network("activations", "The lr 3.0 run with Leaky ReLU", lr=10.0)
    assert blown.status == "diverged" and says(text, re.search(r"Diverged at step \d+", blown.message)[0])


def test_a_learning_rate_of_100_diverges_within_a_few_steps():
    result, text = network("activations", "Much too large, and the run diverges")
    assert result.status == "diverged" and result.steps_done < 10
    assert says(text, re.search(r"Diverged at step \d+", result.message)[0])


def test_six_relu_layers_pass_the_gradient_but_keep_falling_back_onto_ln_2():
    result, text = network("activations", "The same network with ReLU")
    first, history = result.history.iloc[0], result.history.set_index("step")
    norms = [first[f"grad_L{i}"] for i in range(1, 7)]
    assert says(text, f"about {max(norms) / min(norms):.0f} of one another")
    assert history.train_loss[history.index < 400].min() < 0.68  # it starts to fall ...
    for step in (400, 600):  # ... and is thrown back onto the plateau
        assert history.train_loss[step] == pytest.approx(math.log(2), abs=0.005) and says(text, f"{step}")
    stuck = history.index[history.train_loss >= 0.65].max()  # the last report still on the plateau
    if stuck < 900:
        assert says(text, f"one last time at step {stuck}") and last(result).train_loss < 0.05
    else:
        assert says(text, "still climbing off the plateau at step 1000") and last(result).train_loss > 0.3
    assert last(result).train_acc > 0.85 and says(text, pct(last(result).train_acc))
