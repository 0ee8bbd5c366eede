"""The numbers and facts the generative and practice lessons state, computed here at the stated settings.

The two lessons (sections I and J) have no page of their own: their facts are checked with torch, numpy and
scikit-learn directly, and each Try-it link is checked by running the engine with the link's preset exactly as
the page builds it (the page's defaults, then the link's values, through the page's config functions).
"""

import math
import warnings
from functools import cache
from itertools import product

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.metrics import ndcg_score
from torch import nn

from engine import tfidf
from engine.activation_demo import code_for
from engine.activations import softmax
from engine.backprop import step_by_step
from engine.overfitting import run_fit
from engine.surfaces import race, race_learning_rates
from engine.text_classifier import run_classifier
from tests.lesson_lookup import link, preset, question, quiz, says
from ui import activation_params as act
from ui import backprop_params as bp
from ui import descent_params as gd
from ui import overfitting_params as of
from ui import tfidf_params as tp


def answers(item, value: float) -> bool:
    """A number item's answer accepts the computed value."""
    return abs(item.number() - value) <= max(item.tolerance, 1e-12)


def count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# ---------------------------------------------------------------------------------------------------------------
# Autoencoders


def test_the_fully_connected_autoencoder_has_209968_parameters_and_a_code_24_5_times_smaller():
    sizes = (784, 128, 32, 128, 784)
    autoencoder = nn.Sequential(*(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:], strict=False)))
    n = count(autoencoder)
    assert n == 209_968
    assert answers(quiz("generative", "ae-parameters"), n)
    text = question("generative", "autoencoders").deep_answer
    assert says(text, f"{n:,}") and says(text, f"{784 / 32:g} times smaller")


def test_a_linear_autoencoder_reaches_the_reconstruction_error_of_pca():
    g = torch.Generator().manual_seed(0)
    latent = torch.randn(400, 3, generator=g) * torch.tensor([3.0, 2.0, 1.0])  # (n, 3) three strong directions
    X = latent @ torch.randn(3, 10, generator=g) + 0.3 * torch.randn(400, 10, generator=g)  # (n, 10)
    X = X - X.mean(0)
    k = 3
    _, s, _ = torch.linalg.svd(X, full_matrices=False)
    pca_error = (s[k:] ** 2).sum() / X.numel()  # what the discarded principal directions hold, per entry
    torch.manual_seed(0)
    autoencoder = nn.Sequential(nn.Linear(10, k, bias=False), nn.Linear(k, 10, bias=False))
    optimizer = torch.optim.Adam(autoencoder.parameters(), lr=0.03)
    for _ in range(800):
        loss = F.mse_loss(autoencoder(X), X)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() == pytest.approx(pca_error.item(), rel=0.01)
    assert loss.item() >= pca_error.item() * (1 - 1e-4)  # no rank-k linear map does better than PCA
    assert "PCA" in question("generative", "autoencoders").deep_answer


def test_the_vae_kl_term_for_mean_1_and_spread_1_is_one_half():
    kl = torch.distributions.kl_divergence(torch.distributions.Normal(1.0, 1.0), torch.distributions.Normal(0.0, 1.0))
    closed_form = 0.5 * (1.0**2 + 1.0**2 - 1 - math.log(1.0**2))
    assert kl.item() == pytest.approx(closed_form) == pytest.approx(0.5)
    assert answers(quiz("generative", "ae-vae-kl"), kl.item())
    assert says(question("generative", "autoencoders").deep_answer, "the KL term is 0.5")


def classifier(**values):
    """The TF-IDF page's classifier with these values set, the rest at their defaults."""
    return _classify(tp.classifier_config({name: p.default for name, p in tp.PARAMS.items()} | values))


@cache
def _classify(config):
    return run_classifier(config)  # one run per config: two links open the same logistic regression


def test_the_four_unit_bottleneck_keeps_80_percent_where_logistic_regression_gets_76():
    bottleneck = link("generative", "A bottleneck of four units on text features")
    narrow, logistic = classifier(**bottleneck.params), classifier(cls_model="logistic")
    assert narrow.config.width == 4 and narrow.config.model == "mlp"
    text = bottleneck.look_for
    assert says(text, f"{len(narrow.terms)} terms") and says(text, f"all {len(logistic.terms)} weights")
    assert says(text, f"test accuracy is {narrow.test_acc:.0%}") and says(text, f"{logistic.test_acc:.0%} on the same")


# ---------------------------------------------------------------------------------------------------------------
# GANs


def gan_value(p_data: torch.Tensor, p_g: torch.Tensor, d: torch.Tensor) -> torch.Tensor:
    """V(D, G) on a finite set of points: E_data[log D] + E_g[log(1 − D)]."""
    return (p_data * torch.log(d)).sum() + (p_g * torch.log(1 - d)).sum()


def best_discriminator(p_data: torch.Tensor, p_g: torch.Tensor) -> torch.Tensor:
    """D maximizing V, found by gradient ascent on one free logit per point, from a random start."""
    logits = torch.randn(p_data.shape, generator=torch.Generator().manual_seed(0), dtype=p_data.dtype)
    logits.requires_grad_()
    optimizer = torch.optim.Adam([logits], lr=0.1)
    for _ in range(1500):
        loss = -gan_value(p_data, p_g, torch.sigmoid(logits))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return torch.sigmoid(logits).detach()


def test_the_optimal_discriminator_is_p_data_over_p_data_plus_p_g_and_one_half_at_the_optimum():
    p_data = torch.tensor([0.1, 0.2, 0.3, 0.4], dtype=torch.float64)
    p_g = torch.tensor([0.4, 0.3, 0.2, 0.1], dtype=torch.float64)
    d = best_discriminator(p_data, p_g)
    assert d == pytest.approx(p_data / (p_data + p_g), abs=1e-4)
    mixture = (p_data + p_g) / 2
    jsd = 0.5 * (p_data * torch.log(p_data / mixture)).sum() + 0.5 * (p_g * torch.log(p_g / mixture)).sum()
    assert gan_value(p_data, p_g, d).item() == pytest.approx(-math.log(4) + 2 * jsd.item(), abs=1e-6)

    d_equal = best_discriminator(p_data, p_data)
    assert d_equal == pytest.approx(torch.full_like(p_data, 0.5), abs=1e-4)
    value = gan_value(p_data, p_data, d_equal).item()
    assert value == pytest.approx(-math.log(4), abs=1e-6)
    assert answers(quiz("generative", "gan-value"), value)
    assert any(o.right and o.text == "0.5" for o in quiz("generative", "gan-optimum").options)
    text = question("generative", "gan-minimax").deep_answer
    assert says(text, f"-{math.log(4):.3f}") and "-\\log 4 + 2\\, \\mathrm{JSD}" in text


def test_the_non_saturating_generator_loss_has_a_99_times_stronger_gradient_at_d_0_01():
    logit = torch.logit(torch.tensor(0.01, dtype=torch.float64)).requires_grad_()
    (saturating,) = torch.autograd.grad(torch.log(1 - torch.sigmoid(logit)), logit)
    (non_saturating,) = torch.autograd.grad(torch.log(torch.sigmoid(logit)), logit)
    assert saturating.item() == pytest.approx(-0.01) and non_saturating.item() == pytest.approx(0.99)
    ratio = non_saturating.item() / -saturating.item()
    assert ratio == pytest.approx(99)
    text = question("generative", "gan-minimax").deep_answer
    assert says(text, "$-0.01$") and says(text, "= 0.99$") and says(text, f"{ratio:.0f} times stronger")
    assert says(quiz("generative", "gan-nonsaturating").options[0].why, "0.99")


def test_simultaneous_steps_on_the_xy_game_spiral_out_by_1_64_in_100_steps_and_alternating_ones_do_not():
    lr, start = 0.1, torch.tensor([1.0, 1.0], dtype=torch.float64)
    x, y = start.tolist()
    for _ in range(100):
        x, y = x - lr * y, y + lr * x  # x descends on xy, y ascends, both from the same point
    factor = math.hypot(x, y) / start.norm().item()
    assert factor == pytest.approx(math.sqrt(1 + lr**2) ** 100) == pytest.approx(1.6446, abs=1e-4)
    assert answers(quiz("generative", "gan-game-spiral"), factor)
    assert says(question("generative", "gan-minimax").deep_answer, f"about {factor:.2f}")
    x, y = start.tolist()
    for _ in range(100):
        x = x - lr * y
        y = y + lr * x  # y answers the new x
    assert math.hypot(x, y) < 1.2 * start.norm().item()


def test_gradient_descent_leaves_the_saddle_and_stops_on_it_only_from_the_ridge():
    saddle = link("generative", "Gradient descent leaves a saddle point")
    values = preset(gd.PARAMS, saddle)
    tracks = dict(zip(values["opts"], race(gd.race_config(values)).tracks, strict=True))
    distance = {name: np.linalg.norm(t.position[-1] - np.array([0.0, 1.0])) for name, t in tracks.items()}
    assert all(distance[name] < 0.01 for name in ("sgd", "momentum", "adam")) and distance["rmsprop"] < 0.05
    assert says(saddle.look_for, "within 0.01") and says(saddle.look_for, "RMSprop within 0.05")
    ridge = race(gd.race_config(values | {"y0": 0.0})).tracks
    assert all(t.position[-1][1] == 0 and t.loss[-1] == pytest.approx(0.25, abs=0.002) for t in ridge)
    assert says(saddle.look_for, "loss 0.25")


def test_a_learning_rate_of_3_bounces_and_diverges_at_step_6():
    demo = link("generative", "A learning rate too large for a steep direction")
    result = race_learning_rates(gd.lr_config(preset(gd.PARAMS, demo)))
    by_lr = {t.name: t for t in result.tracks}
    high, mid = by_lr["SGD (lr 3)"], by_lr["SGD (lr 1)"]
    xs = high.position[:4, 0]
    assert xs.tolist() == pytest.approx([-1.5, 3, -6, 12])
    assert says(demo.look_for, "x goes −1.5, 3, −6, 12")
    growth = high.loss[2:6] / high.loss[1:5]
    assert growth == pytest.approx(np.full(4, 4.0), rel=0.02) and "about fourfold" in demo.look_for
    assert high.diverged_at == 6 and says(demo.look_for, "step 6")
    assert mid.loss[-1] == pytest.approx(4e-7, rel=0.2) and says(demo.look_for, "about 4e-7 in 60 steps")


# ---------------------------------------------------------------------------------------------------------------
# Boltzmann machines


def states(n: int) -> torch.Tensor:
    return torch.tensor(list(product((0.0, 1.0), repeat=n)), dtype=torch.float64)  # (2^n, n)


def joint(a, b, W, hidden_links=None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Every (v, h) state of a small Boltzmann machine with the Boltzmann probability e^(−E) / Z."""
    vs, hs = states(len(a)), states(len(b))
    v = vs.repeat_interleave(len(hs), 0)  # (2^(n_v + n_h), n_v)
    h = hs.repeat(len(vs), 1)  # (2^(n_v + n_h), n_h)
    energy = -(v @ a) - (h @ b) - ((v @ W) * h).sum(1)
    if hidden_links is not None:  # hidden-hidden weights, upper triangle: a general machine
        energy = energy - ((h @ hidden_links) * h).sum(1)
    p = torch.exp(-energy)
    return v, h, p / p.sum()


def conditional(v, h, p, v0) -> dict[tuple, float]:
    """p(h | v = v0), by hidden state."""
    rows = (v == v0).all(1)
    return {tuple(hh.tolist()): pp.item() for hh, pp in zip(h[rows], p[rows] / p[rows].sum(), strict=True)}


def test_an_rbm_samples_each_hidden_unit_by_a_sigmoid_and_a_general_machine_does_not_factorize():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(3, generator=g, dtype=torch.float64), torch.randn(2, generator=g, dtype=torch.float64)
    W = torch.randn(3, 2, generator=g, dtype=torch.float64)
    v, h, p = joint(a, b, W)
    for v0 in states(3):
        exact = conditional(v, h, p, v0)
        on = torch.sigmoid(b + v0 @ W)  # p(h_j = 1 | v): the RBM's rule
        for hh, prob in exact.items():
            assert prob == pytest.approx(math.prod(on[j].item() if x else 1 - on[j].item() for j, x in enumerate(hh)))
    free_energy = -(states(3) @ a) - F.softplus(b + states(3) @ W).sum(1)  # (2^3,)
    marginal = torch.stack([p[(v == v0).all(1)].sum() for v0 in states(3)])
    assert marginal == pytest.approx(torch.softmax(-free_energy, 0))

    links = torch.tensor([[0.0, 2.5], [0.0, 0.0]], dtype=torch.float64)  # one hidden-hidden weight
    v, h, p = joint(a, b, W, links)
    exact = conditional(v, h, p, states(3)[5])
    on_1, on_2 = exact[(1.0, 0.0)] + exact[(1.0, 1.0)], exact[(0.0, 1.0)] + exact[(1.0, 1.0)]
    assert exact[(1.0, 1.0)] != pytest.approx(on_1 * on_2, rel=0.05)
    assert says(question("generative", "boltzmann-vs-rbm").short_answer, "p(h_j = 1 \\mid v) = \\sigma(b_j")


def test_the_one_weight_rbm_as_a_softmax_gives_0_711_and_sigma_2():
    link_1 = link("generative", "The four states of a one-weight RBM, as a softmax")
    link_half = link("generative", "The same machine at half the temperature")
    v, h, p = joint(torch.zeros(1, dtype=torch.float64), torch.zeros(1, dtype=torch.float64),
                    torch.tensor([[2.0]], dtype=torch.float64))
    energies = -(2.0 * v[:, 0] * h[:, 0])  # states (0,0), (0,1), (1,0), (1,1)
    assert energies.tolist() == [0, 0, 0, -2]
    logits = [float(x) for x in link_1.params["logits"].split(",")]
    assert logits == (-energies).tolist()
    at_1 = softmax(torch.tensor(logits, dtype=torch.float64), link_1.params["temp"])
    assert at_1 == pytest.approx(p)
    assert says(link_1.look_for, f"probability of {at_1[3]:.3f}") and says(link_1.look_for, f"state {at_1[0]:.3f}")
    h_given_v1 = at_1[3] / (at_1[2] + at_1[3])
    assert h_given_v1.item() == pytest.approx(torch.sigmoid(torch.tensor(2.0)).item())
    assert says(link_1.look_for, f"= {h_given_v1:.3f} = σ(2)")
    at_half = softmax(torch.tensor(logits, dtype=torch.float64), link_half.params["temp"])
    assert says(link_half.look_for, f"gets {at_half[3]:.3f}") and says(link_half.look_for, f"state {at_half[0]:.3f}")


def test_rbm_and_general_boltzmann_machine_sizes():
    visible, hidden = 784, 500
    units = visible + hidden
    bipartite = np.zeros((units, units), dtype=bool)
    bipartite[:visible, visible:] = True  # only visible-to-hidden weights
    full = np.triu(np.ones((units, units), dtype=bool), 1)  # every pair once
    rbm, general = int(bipartite.sum()) + units, int(full.sum())
    assert (rbm, general, general + units) == (393_284, 823_686, 824_970)
    assert answers(quiz("generative", "bm-parameters"), rbm)
    text = question("generative", "boltzmann-vs-rbm").deep_answer
    assert says(text, f"{rbm:,} parameters") and says(text, f"{general:,}".replace(",", "{,}") + "$ weights")
    assert says(text, f"{general + units:,}") and says(quiz("generative", "bm-parameters").explanation, f"{rbm:,}")
    assert says(text, f"2^{{{units}}} \\approx 10^{{{math.floor(units * math.log10(2))}}}")


# ---------------------------------------------------------------------------------------------------------------
# PyTorch, TensorFlow, eager and graph execution


def preset_network() -> nn.Module:
    """The network of the "Show the code" link: two inputs, 8 tanh units, two outputs."""
    values = preset(act.PARAMS, link("practice", "The PyTorch script behind a trained network"))
    assert (values["depth"], values["width"], values["acts"]) == (1, 8, ["tanh"])
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))


def test_show_the_code_is_the_eager_training_loop_the_lesson_quotes():
    demo = link("practice", "The PyTorch script behind a trained network")
    code = code_for(act.network_config(preset(act.PARAMS, demo)))
    for line in ("nn.Linear(2, 8), nn.Tanh(),", "nn.Linear(8, 2),", "for step in range(1, 301):",
                 "optimizer.zero_grad()", "loss.backward()", "optimizer.step()"):
        assert line in code
    for quoted in ("`nn.Linear(2, 8)`", "`nn.Tanh()`", "`nn.Linear(8, 2)`", "range(1, 301)`", "`loss.backward()`"):
        assert quoted in " ".join(demo.look_for.split())


def caught(fn, *args):
    """fn(*args) and the categories of the warnings it raised."""
    with warnings.catch_warnings(record=True) as raised:
        warnings.simplefilter("always")
        result = fn(*args)
    return result, {w.category for w in raised}


def test_traced_scripted_and_compiled_graphs_give_the_eager_outputs_and_torchscript_is_deprecated():
    net, x = preset_network(), torch.randn(64, 2, generator=torch.Generator().manual_seed(1))
    eager = net(x)
    traced, trace_warnings = caught(torch.jit.trace, net, x)
    scripted, script_warnings = caught(torch.jit.script, net)
    assert DeprecationWarning in trace_warnings and DeprecationWarning in script_warnings
    torch._dynamo.reset()
    compiled = torch.compile(net, backend="aot_eager")
    for graph in (traced, scripted, compiled):
        torch.testing.assert_close(graph(x), eager, rtol=0, atol=1e-6)
    text = question("practice", "eager-vs-graph")
    assert says(text.short_answer, "up to floating-point rounding")
    assert says(text.deep_answer, "Current PyTorch deprecates it in favour of `torch.compile` and `torch.export`")


def double_or_negate(x: torch.Tensor) -> torch.Tensor:
    if x.sum() > 0:
        return x * 2
    return -x


class Branching(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return double_or_negate(x)


class BothBranches(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cond(x.sum() > 0, lambda x: x * 2, lambda x: -x, (x,))


def test_tracing_freezes_a_data_dependent_branch_compiling_keeps_it_and_export_needs_torch_cond():
    positive, negative = torch.ones(3), -torch.ones(3)
    traced, raised = caught(torch.jit.trace, double_or_negate, positive)
    assert torch.jit.TracerWarning in raised
    assert torch.equal(traced(negative), negative * 2)  # the branch taken at trace time
    torch._dynamo.reset()
    compiled = torch.compile(double_or_negate, backend="eager")
    assert torch.equal(compiled(positive), positive * 2) and torch.equal(compiled(negative), -negative)
    with pytest.raises(Exception, match="data-dependent"):
        torch.export.export(Branching(), (positive,))
    exported = torch.export.export(BothBranches(), (positive,)).module()
    assert torch.equal(exported(negative), -negative) and torch.equal(exported(positive), positive * 2)
    right = [o.text for o in quiz("practice", "graph-trace-branch").options if o.right]
    assert right == ["`x * 2`: the trace recorded only the operations of the branch taken while tracing"]
    assert says(question("practice", "eager-vs-graph").deep_answer, "it refuses a branch on a tensor's value")


def test_autograd_agrees_with_the_hand_chain_rule_at_the_preset():
    demo = link("practice", "Autograd's tape checked against the chain rule by hand")
    view = step_by_step(bp.step_config(preset(bp.PARAMS, demo)))
    assert len(view.gradients) == 9 and says(demo.look_for, "nine gradients")
    assert view.max_autograd_error < 1e-16 and says(demo.look_for, f"about {view.max_autograd_error:.0e}")
    assert says(demo.look_for, f"learning rate {demo.params['lr']:g}")
    assert says(demo.look_for, f"from {view.loss:.3f} to {view.new_loss:.4f}")


# ---------------------------------------------------------------------------------------------------------------
# Fourier transforms


def test_convolution_by_fft_equals_the_direct_cross_correlation_in_1d_and_2d():
    g = torch.Generator().manual_seed(0)
    x, w = torch.randn(1000, generator=g, dtype=torch.float64), torch.randn(31, generator=g, dtype=torch.float64)
    direct = F.conv1d(x.view(1, 1, -1), w.view(1, 1, -1)).flatten()  # (n − k + 1,) no flipped kernel
    n = len(x) + len(w) - 1
    by_fft = torch.fft.irfft(torch.fft.rfft(x, n) * torch.fft.rfft(w, n).conj(), n)[:len(direct)]
    assert by_fft == pytest.approx(direct, abs=1e-9)

    image, kernel = torch.randn(32, 32, generator=g, dtype=torch.float64), torch.randn(5, 5, generator=g,
                                                                                         dtype=torch.float64)
    direct = F.conv2d(image.view(1, 1, 32, 32), kernel.view(1, 1, 5, 5))[0, 0]  # (28, 28)
    size = (36, 36)
    by_fft = torch.fft.irfft2(torch.fft.rfft2(image, size) * torch.fft.rfft2(kernel, size).conj(), size)[:28, :28]
    assert by_fft == pytest.approx(direct, abs=1e-9)
    assert says(question("practice", "fourier-in-deep-learning").deep_answer, "by the complex conjugate")


def test_the_fft_cost_example():
    n, k = 65_536, 4_096
    size = 2 ** math.ceil(math.log2(n + k - 1))
    assert size == 2**17
    direct, fft = n * k, 3 * size * math.log2(size)
    text = question("practice", "fourier-in-deep-learning").deep_answer
    for value in (direct, fft):
        mantissa, exponent = f"{value:.1e}".split("e")
        assert says(text, f"{mantissa} \\times 10^{int(exponent)}")
    assert says(text, "N = 2^{17}")
    assert says(quiz("practice", "fft-conv-when").explanation, f"{fft:.1e}".split("e")[0] + " \\times 10^6")


def test_stft_bins_and_frames():
    speech = torch.stft(torch.zeros(16_000), n_fft=400, hop_length=160, window=torch.hann_window(400),
                        return_complex=True)
    bins, frames = speech.shape
    assert (bins, frames) == (201, 101)  # one frame every 10 ms, plus one for the padded ends
    text = question("practice", "fourier-in-deep-learning").deep_answer
    assert says(text, "400 samples, 201 bins, 100 frames a second")
    wide = torch.stft(torch.zeros(2048), n_fft=512, window=torch.hann_window(512), return_complex=True)
    assert answers(quiz("practice", "stft-bins"), wide.shape[0])


def roughness(fit: np.ndarray) -> float:
    """The curve's average bending: the root mean square of its second differences."""
    return float(np.sqrt(np.mean(np.diff(fit, 2) ** 2)))


def test_the_network_fits_the_smooth_sine_first_and_the_noise_later():
    early_link = link("practice", "Spectral bias, after 100 steps")
    late_link = link("practice", "The same network after 300 steps")
    early = run_fit(of.fit_config(preset(of.PARAMS, early_link)))
    late = run_fit(of.fit_config(preset(of.PARAMS, late_link)))
    assert says(early_link.look_for, f"training loss {early.train_loss:.3f}")
    assert says(early_link.look_for, f"validation loss {early.val_loss:.2f}")
    assert says(early_link.look_for, f"noise alone gives {early.noise_floor:.2f}")
    ratio = roughness(late.fit) / roughness(early.fit)
    assert round(ratio) == 9 and "about nine times larger" in late_link.look_for
    assert says(late_link.look_for, f"fallen to {late.train_loss:.3f}")
    assert says(late_link.look_for, f"risen to {late.val_loss:.2f}") and late.val_loss > early.val_loss


# ---------------------------------------------------------------------------------------------------------------
# Ranking listings


def test_the_listing_search_ranks_the_beach_house_first_and_misses_the_beachfront_villa():
    demo = link("practice", "Retrieval by text match, on six listings")
    values = preset(tp.PARAMS, demo)
    docs = [values[f"doc{i}"] for i in range(1, tp.DOC_BOXES + 1) if values[f"doc{i}"].strip()]
    ranking = tfidf.rank(tfidf.fit(docs, tp.tfidf_config(values)), values["search"])
    house, studio, loft, cabin, villa, room = ranking.scores
    assert list(ranking.order) == [1, 0, 5, 4, 3, 2] and loft == 0
    text = demo.look_for
    for score in (house, studio, room, villa, cabin):
        assert says(text, f"({score:.2f})" if score != cabin else f"scores {score:.2f}")
    assert "beachfront" not in ranking.terms and "with" in ranking.terms


def test_the_held_out_classifiers_fit_their_training_reviews_and_score_lower_on_the_test_set():
    logistic_link = link("practice", "A linear model on sparse features, and a gap to watch")
    mlp_link = link("practice", "Held-out evaluation, with whole groups kept apart")
    logistic = classifier(**logistic_link.params)
    mlp = classifier(**mlp_link.params)
    for result, text in ((logistic, logistic_link.look_for), (mlp, mlp_link.look_for)):
        assert says(text, f"{result.n_train} training reviews") and says(text, f"{result.n_test} test reviews")
        assert says(text, f"({result.train_acc:.0%})") and says(text, f"{result.test_acc:.0%} of the")


def test_the_pairwise_loss_and_ndcg_examples():
    pair = F.softplus(-(torch.tensor(2.0) - torch.tensor(1.0))).item()  # log(1 + e^−(s_booked − s_other))
    tie = F.binary_cross_entropy_with_logits(torch.tensor(0.0), torch.tensor(1.0)).item()
    assert pair == pytest.approx(0.3133, abs=1e-4) and answers(quiz("practice", "ranknet-loss"), pair)
    assert says(quiz("practice", "ranknet-loss").explanation, f"{tie:.3f} when the two tie")

    def ndcg_with_booking_at(position: int) -> float:
        relevance = np.zeros((1, 10))
        relevance[0, position - 1] = 1
        return ndcg_score(relevance, np.arange(10, 0, -1)[None, :])  # the ranker's order: 1st, 2nd, ...

    at_2, at_3 = ndcg_with_booking_at(2), ndcg_with_booking_at(3)
    assert at_2 == pytest.approx(1 / math.log2(3)) and at_3 == pytest.approx(0.5)
    assert answers(quiz("practice", "ndcg-position"), at_2)
    text = question("practice", "ranking-evaluation").deep_answer
    assert says(text, f"{at_2:.3f} at position 2") and says(text, f"{at_3:g} at position 3")
