"""The numbers the gradient-descent and overfitting lessons state, computed by the engine at the stated settings.

Each Try-it test runs the engine with the link's preset exactly as the page builds it (the page's defaults, then
the link's values, through the page's config functions) and checks that the lesson's text says what came out.
"""

from functools import cache

import numpy as np
import pytest
import torch
from torch import nn

from engine.batched import run_sweep
from engine.descent_demos import (
    SCHEDULES,
    BatchSizeConfig,
    ScheduleConfig,
    batch_size_steps,
    predicted_steps,
    run_normalization,
    updates_per_epoch,
)
from engine.overfitting import FitConfig, build_net, run_fit
from engine.overfitting_sweeps import parameter_count, run_bias_variance, run_learning_curves
from engine.regularization import BatchNormConfig, batchnorm_inside, dropout_inside, run_dropout_rates, run_kfold
from engine.surfaces import measured_rate, optimal_rates, race, race_learning_rates
from tests.lesson_lookup import LESSONS, link, preset, quiz, says
from ui import descent_params as gd
from ui import overfitting_params as of


def about(value: float, step: int = 10) -> str:
    """How the lessons round a step count they call "about": to the nearest `step`."""
    return f"about {round(value / step) * step}"


def racers(label: str):
    """The race at that link's preset: each optimizer's track, by its key, and the text to check."""
    link_ = link("gradient-descent", label)
    values = preset(gd.PARAMS, link_)
    result = race(gd.race_config(values))
    return dict(zip(values["opts"], result.tracks, strict=True)), link_.look_for


# ---------------------------------------------------------------------------------------------------------------
# Gradient descent: optimizer races on 2-D surfaces


def test_one_step_of_rate_one_lands_on_the_round_bowls_minimum():
    tracks, text = racers("A round bowl, one step of size 1")
    assert tracks["sgd"].steps_to_minimum == 1
    assert says(text, "step 1")


def test_in_the_long_valley_the_gradient_points_across_it_and_sgd_arrives_at_step_165():
    tracks, text = racers("A long valley, κ = 10")
    sgd = tracks["sgd"]
    assert says(text, f"only at step {sgd.steps_to_minimum}")
    gx, gy = sgd.grad[0]
    assert (gx, gy) == pytest.approx((-1.5, 0.15)) and says(text, "(-1.5, 0.15)")
    assert gx / gy == pytest.approx(-10) and "ten times steeper" in text


def test_distill_rates_and_step_counts_at_kappa_100():
    rates = optimal_rates(100)
    lesson = LESSONS["gradient-descent"]
    answer = lesson.question("momentum-nesterov").deep_answer
    assert f"{rates.gd_rate:.3f}" == "0.980" and says(answer, "0.980")
    assert f"{rates.momentum_rate:.3f}" == "0.818" and says(answer, "0.818")
    assert quiz("gradient-descent", "distill-momentum-rate").number() == pytest.approx(rates.momentum_rate, abs=5e-4)
    # A thousandfold in distance is a millionfold in the loss's gap above the minimum.
    gd_steps, momentum_steps = (predicted_steps(r, 1e-6) for r in (rates.gd_rate, rates.momentum_rate))
    assert says(answer, f"about {gd_steps} steps against {momentum_steps}")
    assert quiz("gradient-descent", "distill-gd-steps").number() == gd_steps


def test_distills_settings_race_as_the_lesson_says():
    tracks, text = racers("Distill's optimal settings at κ = 100")
    minimum = (0.0, 0.0)
    assert f"{measured_rate(tracks['sgd'], minimum):.3f}" == "0.980"
    momentum = measured_rate(tracks["momentum"], minimum)
    assert 0.818 < momentum < 0.83  # "close to the predicted 0.818, a hair above it"
    assert says(text, about(tracks["momentum"].steps_to_minimum) + " steps")
    assert says(text, about(tracks["sgd"].steps_to_minimum))


def test_nesterov_arrives_in_half_the_steps_of_momentum_and_sgd_not_at_all():
    tracks, text = racers("Momentum versus Nesterov")
    assert tracks["sgd"].steps_to_minimum == 0
    nesterov, momentum = tracks["nesterov"].steps_to_minimum, tracks["momentum"].steps_to_minimum
    assert 0 < nesterov <= momentum / 2 + 5  # "in about half the steps"
    assert says(text, f"Nesterov at step {nesterov}, momentum at step {momentum}")


def test_momentum_follows_the_curved_valley_and_sgd_does_not():
    tracks, text = racers("Momentum in a curved valley")
    assert tracks["sgd"].steps_to_minimum == 0
    assert np.linalg.norm(tracks["sgd"].position[-1] - (1, 1)) > 0.5  # "still far from (1, 1)"
    momentum, nesterov = tracks["momentum"].steps_to_minimum, tracks["nesterov"].steps_to_minimum
    assert says(text, f"step {momentum} for momentum, {nesterov} for Nesterov")


def test_adaptive_methods_undo_axis_aligned_curvature():
    tracks, text = racers("An axis-aligned valley with κ = 100")
    assert tracks["sgd"].steps_to_minimum == tracks["momentum"].steps_to_minimum == 0
    for name, words in (("adagrad", "AdaGrad (in {} steps)"), ("adam", "Adam ({})"), ("rmsprop", "in {}:")):
        assert says(text, words.format(about(tracks[name].steps_to_minimum))), name


def test_adams_first_step_is_its_learning_rate_in_each_coordinate_and_rmsprops_ten_times_its_rate():
    tracks, text = racers("Adam's first step, in numbers")
    adam, rmsprop = tracks["adam"], tracks["rmsprop"]
    g = adam.grad[0]
    assert np.abs(adam.update[1]) == pytest.approx([0.05, 0.05]) and says(text, "exactly 0.05")
    assert adam.state["exp_avg"][1] == pytest.approx(0.1 * g)
    assert adam.state["exp_avg_sq"][1] == pytest.approx(0.001 * g**2)
    assert np.abs(rmsprop.update[1]) == pytest.approx([0.1, 0.1]) and says(text, "moves 0.1")


def test_adamw_with_strong_decay_lags_behind_adam_along_the_valley():
    tracks, text = racers("Adam versus AdamW with strong weight decay")
    assert says(text, f"step {tracks['adam'].steps_to_minimum}")
    assert tracks["adamw"].steps_to_minimum == 0
    x, y = tracks["adamw"].position[-1]
    assert says(text, f"({x:.2f}, {y:.2f})")


def test_on_the_saddles_stable_line_every_optimizer_stops_at_the_saddle():
    tracks, text = racers("Start exactly on the saddle's stable line")
    for name, track in tracks.items():
        assert np.abs(track.position[-1]).max() < 0.05, name  # "at (or right next to) the saddle"
        assert track.loss[-1] == pytest.approx(0.25, abs=0.005), name
    assert says(text, "0.25")


def test_a_hair_off_the_line_every_optimizer_escapes_the_saddle():
    tracks, text = racers("Start a hair off the line")
    steps = {name: track.steps_to_minimum for name, track in tracks.items()}
    assert says(text, f"SGD at step {steps['sgd']}, Adam {steps['adam']}, momentum {steps['momentum']}")
    assert steps["rmsprop"] == 0
    x, y = tracks["rmsprop"].position[-1]
    assert says(text, f"({x:.2f}, {y:.0f})")


def test_four_wells_sgd_and_adam_end_in_different_wells():
    tracks, text = racers("Four wells, two kinds of path")
    for name in ("sgd", "momentum"):
        assert tracks[name].position[-1] == pytest.approx([1.2, -0.8], abs=0.05), name
        assert says(text, f"{tracks[name].loss[-1]:.2f}")
    for name in ("rmsprop", "adam"):
        assert tracks[name].position[-1] == pytest.approx([-1.1, -1.05], abs=0.05), name
        assert says(text, f"{tracks[name].loss[-1]:.2f}")
    assert np.abs(tracks["adam"].update[1]) == pytest.approx([0.05, 0.05], rel=1e-4)  # ε is 1e-8
    assert np.abs(tracks["rmsprop"].update[1]) == pytest.approx([0.1, 0.1], rel=1e-4)


@pytest.mark.parametrize("label, stable, unstable, diverge_within", [
    ("Too small, about right, too large", 1.0, 3.0, (1, 10)),  # "within a few steps"
    ("Just below and just above the limit of 2", 1.9, 2.1, (20, 60)),  # "after a few dozen steps"
])
def test_sgd_diverges_above_two_over_the_largest_curvature(label, stable, unstable, diverge_within):
    link_ = link("gradient-descent", label)
    config = gd.lr_config(preset(gd.PARAMS, link_))
    tracks = dict(zip(config.lrs, race_learning_rates(config).tracks, strict=True))
    assert tracks[stable].diverged_at == 0 and tracks[stable].steps_to_minimum > 0
    assert diverge_within[0] <= tracks[unstable].diverged_at <= diverge_within[1]
    assert tracks[0.05].steps_to_minimum == 0 and tracks[0.05].diverged_at == 0


# ---------------------------------------------------------------------------------------------------------------
# Gradient descent: counting, normalization, schedules, and the quiz's numbers against torch


def test_the_batch_size_demo_counts_its_updates_per_epoch():
    link_ = link("gradient-descent", "Full batch, mini-batch and batch size 1 on real data")
    config = gd.batch_config(preset(gd.PARAMS, link_))
    per_epoch = batch_size_steps(BatchSizeConfig(mini_batch=config.mini_batch, epochs=1))
    n = 427  # the breast-cancer training rows: full batch 1, mini-batch ceil(n / 32), batch size 1 n updates
    assert per_epoch == 1 + updates_per_epoch(n, config.mini_batch) + n
    assert says(link_.look_for, f"with {n} training rows") and says(link_.look_for, f"batch size 1 makes {n}")
    assert says(link_.look_for, f"\\lceil {n}/{config.mini_batch} \\rceil = {updates_per_epoch(n, 32)}")


def test_iterations_per_epoch():
    assert updates_per_epoch(10_000, 200) == 50
    assert says(LESSONS["gradient-descent"].question("batch-vs-minibatch").deep_answer, "10{,}000 / 200 = 50")
    assert quiz("gradient-descent", "iterations-per-epoch").number() == 50
    assert quiz("gradient-descent", "iterations-short-last-batch").number() == 51


@pytest.mark.parametrize("label, raw_kappa, raw_steps, std_kappa, std_steps", [
    ("Raw versus standardized features", "830", "its rate predicts {}", "2.3", "gets there in {} steps"),
    ("Give the raw features more steps", None, "after {} steps", None, "against {} for the standardized run"),
])
def test_standardizing_rounds_the_contours(label, raw_kappa, raw_steps, std_kappa, std_steps):
    link_ = link("gradient-descent", label)
    raw, standardized = run_normalization(gd.normalization_config(preset(gd.PARAMS, link_))).runs
    assert says(link_.look_for, raw_steps.format(raw.predicted_steps))
    assert says(link_.look_for, std_steps.format(standardized.steps_to_converge))
    if raw_kappa:
        assert f"{raw.condition:.0f}" == "830" and says(link_.look_for, raw_kappa)
        assert f"{standardized.condition:.1f}" == std_kappa and says(link_.look_for, std_kappa)
        assert raw.steps_to_converge == -1  # not within the 500 steps
    else:
        assert raw.steps_to_converge == raw.predicted_steps  # "exactly as many as its rate predicts"


def test_the_default_pair_needs_76_steps_raw_and_correlated_features_stay_elongated():
    defaults = preset(gd.PARAMS, link("gradient-descent", "Give the raw features more steps")) | {
        "norm_x1": "bmi", "norm_x2": "s1", "norm_steps": 2000}
    raw, _ = run_normalization(gd.normalization_config(defaults)).runs
    assert raw.steps_to_converge == 76
    assert says(link("gradient-descent", "Give the raw features more steps").look_for, "76 steps")
    link_ = link("gradient-descent", "Two strongly correlated features")
    raw, standardized = run_normalization(gd.normalization_config(preset(gd.PARAMS, link_))).runs
    assert says(link_.look_for, f"about {standardized.condition:.0f}")
    assert says(link_.look_for, f"needs {standardized.steps_to_converge} steps")
    assert raw.steps_to_converge <= standardized.steps_to_converge + 2  # "the raw run takes as long"


def test_cosine_schedule_is_at_half_the_peak_halfway():
    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler = SCHEDULES["cosine"].make(optimizer, ScheduleConfig(lr=0.1, epochs=30))
    for _ in range(15):
        optimizer.step()
        scheduler.step()
    assert optimizer.param_groups[0]["lr"] == pytest.approx(quiz("gradient-descent", "cosine-halfway").number())


def test_adams_first_update_is_the_learning_rate_whatever_the_gradient():
    for g in (0.5, 2.0, -50.0):  # each far above ε = 1e-8
        p = nn.Parameter(torch.zeros(1, dtype=torch.float64))
        optimizer = torch.optim.Adam([p], lr=0.001)
        p.grad = torch.tensor([g], dtype=torch.float64)
        optimizer.step()
        assert abs(p.item()) == pytest.approx(quiz("gradient-descent", "adam-bias-correction").number())


def test_momentum_09_makes_a_steady_step_ten_times_larger():
    p = nn.Parameter(torch.zeros(1, dtype=torch.float64))
    optimizer = torch.optim.SGD([p], lr=1.0, momentum=0.9)
    before = 0.0
    for _ in range(400):
        p.grad = torch.ones(1, dtype=torch.float64)
        optimizer.step()
        step, before = before - p.item(), p.item()
    assert step == pytest.approx(quiz("gradient-descent", "momentum-effective-step").number())


# ---------------------------------------------------------------------------------------------------------------
# Overfitting: dropout and batch normalization, inside


@pytest.mark.parametrize("p, kept, scale", [(0.5, 6, "2"), (0.2, 10, "1.25"), (0.9, 0, "10")])
def test_dropout_masks_and_scales_as_the_lesson_says(p, kept, scale):
    link_ = next(t for t in LESSONS["overfitting"].question("dropout").try_it if t.params.get("di_p") == p)
    view = dropout_inside(preset(of.PARAMS, link_)["di_p"])
    assert int(view.kept.sum()) == kept
    dropped = 12 - kept
    assert says(link_.look_for, f"{dropped} of the 12") or (dropped == 12 and "drop all 12" in link_.look_for)
    assert f"{view.scale:g}" == scale and says(link_.look_for, scale)
    assert np.array_equal(view.eval_output, view.activations)
    if p == 0.5:  # "within a few hundredths"
        assert np.abs(view.mean_output - view.activations).max() < 0.05


def batchnorm_at(label: str):
    link_ = link("overfitting", label)
    v = preset(of.PARAMS, link_)
    config = BatchNormConfig(batch=v["bn_batch"], shift=v["bn_shift"], scale=v["bn_scale"], gamma=v["bn_gamma"],
                             beta=v["bn_beta"], momentum=v["bn_momentum"], batches_seen=v["bn_seen"])
    return batchnorm_inside(config), config, link_.look_for


def test_batchnorm_normalizes_each_feature_over_the_batch():
    view, _, text = batchnorm_at("A batch through nn.BatchNorm1d")
    assert says(text, ", ".join(f"{m:.1f}" for m in view.mean[:2]) + " and " + f"{view.mean[2]:.1f}")
    assert view.train_output.mean(0) == pytest.approx(0, abs=1e-9)
    assert view.train_output.var(0) == pytest.approx(1, abs=1e-4)  # biased variance, eps = 1e-5


def test_gamma_and_beta_set_the_outputs_spread_and_mean():
    view, config, text = batchnorm_at("Scale and shift with γ and β")
    assert view.train_output.mean(0) == pytest.approx(config.beta, abs=1e-9)
    assert view.train_output.std(0) == pytest.approx(config.gamma, abs=1e-4)
    assert says(text, "its mean is 1 and its standard deviation 2")


def test_running_statistics_after_five_batches_still_remember_their_start():
    view, config, text = batchnorm_at("Running statistics after five batches")
    assert says(text, f"{(1 - config.momentum) ** 5:.2f}")
    low, high = view.running_mean.min(), view.running_mean.max()
    assert says(text, f"between about {low:.1f} and {high:.1f} instead of {config.shift:g}")
    low, high = view.running_var.min(), view.running_var.max()
    assert says(text, f"between about {low:.0f} and {high:.1f}")
    first_two = view.eval_output.mean(0)[:2]
    assert says(text, f"about {first_two[0]:.1f} and {first_two[1]:.1f}")
    kinds = dict(zip(view.parameters["name"], view.parameters["kind"], strict=True))
    assert [n for n, k in kinds.items() if k.startswith("learnable")] == ["weight", "bias"]
    assert [n for n, k in kinds.items() if k.startswith("buffer")] == ["running_mean", "running_var",
                                                                       "num_batches_tracked"]


def test_after_a_hundred_batches_the_running_statistics_track_the_data():
    view, config, text = batchnorm_at("After a hundred batches")
    low, high = view.running_mean.min(), view.running_mean.max()
    assert says(text, f"about {low:.1f} to {high:.1f} for the means")
    assert view.running_var == pytest.approx(config.scale**2, rel=0.1) and says(text, "close to 9")
    assert np.abs(view.train_output - view.eval_output).max() > 0.2
    wide = batchnorm_inside(BatchNormConfig(**{**vars(config), "batch": 64}))
    assert np.abs(wide.train_output - wide.eval_output).max() < 0.2 and says(text, "less than 0.2")


def test_bn_running_mean_quiz_matches_torch():
    layer = nn.BatchNorm1d(1, momentum=0.1)
    layer(torch.tensor([[2.0], [4.0], [3.0]]))  # a batch whose mean is 3
    assert layer.running_mean.item() == pytest.approx(quiz("overfitting", "bn-running-mean").number())


def test_weight_decay_quiz_matches_torch():
    p = nn.Parameter(torch.ones(1, dtype=torch.float64))
    optimizer = torch.optim.SGD([p], lr=0.1, weight_decay=0.01)
    p.grad = torch.zeros(1, dtype=torch.float64)
    optimizer.step()
    assert p.item() == pytest.approx(quiz("overfitting", "weight-decay-factor").number())


def test_dropout_quiz_numbers_match_torch():
    drop = nn.Dropout(0.2).train()
    out = drop(torch.ones(10_000))
    assert out[out != 0].unique().tolist() == pytest.approx([quiz("overfitting", "dropout-scale").number()])
    drop = nn.Dropout(0.5).train()
    out = drop(torch.full((1000,), 3.0))
    assert out[out != 0].unique().tolist() == pytest.approx([quiz("overfitting", "dropout-survivor-value").number()])


# ---------------------------------------------------------------------------------------------------------------
# Overfitting: capacity, k-fold, and the overfitting network's runs


def test_the_overfitting_network_has_8513_parameters():
    count = sum(p.numel() for p in build_net(FitConfig(width=64, depth=3), 1).parameters())
    assert count == parameter_count(64, 3) == quiz("overfitting", "baseline-parameter-count").number()
    assert says(LESSONS["overfitting"].question("overfitting-vs-underfitting").deep_answer, f"{count:,}")


@cache
def kfold_at(label: str):
    link_ = link("overfitting", label)
    return run_kfold(of.kfold_config(preset(of.PARAMS, link_))), link_.look_for


def test_five_fold_cross_validation_on_the_breast_cancer_rows():
    result, text = kfold_at("Five folds on the breast-cancer data")
    assert set(result.folds.train_rows) == {160} and set(result.folds.val_rows) == {40}
    assert says(text, f"{100 * result.folds.val_acc.min():.0f}% to {100 * result.folds.val_acc.max():.0f}%")
    assert says(text, f"{100 * result.mean_acc:.1f}% ± {100 * result.std_acc:.1f}%")
    assert says(text, f"({100 * result.split_acc:.1f}%)") and says(text, f"about {100 * result.test_acc:.0f}%")


def test_ten_folds_move_in_steps_of_five_percent():
    result, text = kfold_at("Ten folds")
    assert set(result.folds.train_rows) == {180} and set(result.folds.val_rows) == {20}
    assert set(np.round(100 * result.folds.val_acc)) <= {95, 100}
    assert says(text, f"about {100 * result.std_acc:.1f}%") and says(text, f"({100 * result.mean_acc:.1f}%)")


def test_another_shuffle_swings_the_single_split_more_than_the_mean():
    before, _ = kfold_at("Five folds on the breast-cancer data")
    after, text = kfold_at("Another shuffle")
    assert says(text, f"{100 * after.split_acc:.1f}% instead of {100 * before.split_acc:.1f}%")
    assert says(text, f"from {100 * before.mean_acc:.1f}% to {100 * after.mean_acc:.1f}%")
    assert abs(after.split_acc - before.split_acc) > abs(after.mean_acc - before.mean_acc)


@cache
def fit_at(label: str):
    """run_fit at that link's preset (the baseline serves several tests, so each run is kept)."""
    link_ = link("overfitting", label)
    return run_fit(of.fit_config(preset(of.PARAMS, link_))), link_.look_for


def test_the_overfitting_baseline_memorizes_its_twenty_points():
    result, text = fit_at("Overfit, 64 units × 3 layers on 20 noisy points")
    history = result.history
    best = history.val_loss.idxmin()
    assert says(text, f"about {result.train_loss:.4f}")
    assert says(text, f"(about {history.val_loss[best]:.2f}) near step {history.step[best]}")
    assert says(text, f"about {result.val_loss:.2f} at step 3000")
    assert says(text, f"noise floor of {result.noise_floor:.2f}")


def test_early_stopping_restores_the_best_weights():
    result, text = fit_at("Early stopping with patience 20")
    assert says(text, f"lowest at step {result.best_step}")
    assert says(text, f"at step {result.stopped_step} of 3000")
    assert says(text, f"validation loss about {result.val_loss:.2f}")


def test_the_one_layer_two_unit_network_underfits():
    result, text = fit_at("Underfit, one layer of two units")
    assert says(text, f"about {result.train_loss:.2f} and {result.val_loss:.2f}")
    assert result.gap < 0.05


def test_l2_shrinks_the_weights_and_smooths_the_fit():
    baseline, _ = fit_at("Overfit, 64 units × 3 layers on 20 noisy points")
    result, text = fit_at("L2 penalty 0.001 on the overfitting network")
    assert says(text, f"near {result.val_loss:.2f} instead of {baseline.val_loss:.2f}")
    assert says(text, f"from about {baseline.weight_norm:.0f} to about {result.weight_norm:.0f}")


def test_a_smaller_model_overfits_less():
    baseline, _ = fit_at("Overfit, 64 units × 3 layers on 20 noisy points")
    result, text = fit_at("A smaller model")
    assert says(text, f"training loss stays near {result.train_loss:.2f}")
    assert says(text, f"validation loss ends near {result.val_loss:.2f}")
    assert says(text, f"gap of about {result.gap:.2f} against the baseline's {baseline.gap:.2f}")


@pytest.mark.parametrize("label", ["Learning curves of a flexible model", "Learning curves of a one-unit-wide model"])
def test_learning_curves(label):
    link_ = link("overfitting", label)
    table = run_learning_curves(of.learning_curve_config(preset(of.PARAMS, link_))).table.set_index("size")
    text = link_.look_for
    if "flexible" in label:
        assert table.train_mse[5] < 0.005 and says(text, f"about {table.val_mse[5]:.1f}: high variance")
        assert says(text, f"rises (to about {table.train_mse[160]:.2f})")
        assert says(text, f"falls to about {table.val_mse[160]:.2f}")
        assert says(text, f"from about {table.gap[5]:.1f} to about {table.gap[160]:.2f}")
    else:
        later = table.loc[20:]
        assert (later.val_mse.round(1) == 0.6).all() and says(text, "stays at about 0.6")
        assert (later.val_mse > 6 * 0.09).all() and "more than six times the noise floor" in " ".join(text.split())
        assert (table.train_mse.loc[40:].round(1) == 0.5).all() and says(text, "at about 0.5")


def sweep_at(optimizer: str):
    link_ = link("gradient-descent", "Eight learning rates on a real network")
    values = preset(gd.PARAMS, link_) | {"sw_opt": optimizer}
    result = run_sweep(gd.sweep_config(values))
    return {copy.lr: copy for copy in result.copies}, result.history, link_.look_for


def test_eight_learning_rates_with_sgd():
    copies, history, text = sweep_at("sgd")
    assert all(copy.diverged_at == 0 for copy in copies.values())  # "with SGD here none does"
    losses = {lr: copy.train_loss for lr, copy in copies.items()}
    assert min(losses, key=losses.get) == 1.0  # "rate 1 ends with the lowest training loss"
    assert losses[3.0] > max(losses[0.3], losses[1.0])
    assert copies[3.0].test_loss > 3 * copies[0.1].test_loss  # "several times that of 0.1"
    assert says(text, "rate 1 ends with the lowest training")
    start = history[history.step == history.step.min()].groupby("lr").train_loss.first()
    assert says(text, f"from about {start[0.001]:.2f} to {losses[0.001]:.2f} at 0.001, to {losses[0.003]:.2f} at 0.003")


def test_eight_learning_rates_with_adam():
    copies, history, text = sweep_at("adam")
    losses = {lr: copy.train_loss for lr, copy in copies.items()}
    assert min(losses, key=losses.get) == 0.01 and says(text, "(0.01 ends lowest)")
    peaks = history.groupby("lr").train_loss.max()
    assert peaks[1.0] > 100 and peaks[3.0] > 100 and says(text, "hundreds or more")


def test_a_higher_dropout_rate_regularizes_more_until_the_network_underfits():
    link_ = link("overfitting", "The same network at p = 0, 0.2, 0.5 and 0.8")
    finals = run_dropout_rates(of.dropout_rates_config(preset(of.PARAMS, link_))).finals.set_index("rate")
    text = link_.look_for
    train = ", ".join(f"{v:.2f}" for v in finals.train_loss.iloc[:-1]) + f" and {finals.train_loss.iloc[-1]:.2f}"
    gaps = ", ".join(f"{v:.2f}" for v in finals.gap.iloc[:-1]) + f" and {finals.gap.iloc[-1]:.2f}"
    assert says(text, f"about {train}") and says(text, f"about {gaps.replace('-', '−')}")
    assert finals.val_loss.idxmin() == 0.5 and finals.val_loss.idxmax() == 0.8


def test_bias_and_variance_of_a_stiff_and_a_flexible_model():
    link_ = link("overfitting", "A simple and a flexible model on ten training sets")
    spreads = run_bias_variance(of.bias_variance_config(preset(of.PARAMS, link_))).spreads
    text = " ".join(link_.look_for.split())
    stiff, flexible = spreads
    assert (stiff.width, flexible.width) == (2, 64)
    assert says(text, f"bias² about {stiff.bias2:.2f}, variance about {stiff.variance:.2f}")
    assert says(text, f"bias² about {flexible.bias2:.2f}, variance about {flexible.variance:.2f}")
    assert says(text, f"noise² = {stiff.noise2:.2f}")


@pytest.mark.parametrize("label, phrase", [
    pytest.param("Augmentation, jitter the inputs", "ending near {val:.2f} instead of {base:.2f}", id="augmentation"),
    pytest.param("Dropout 0.2 on the overfitting network",
                 "ends near {val:.2f} instead of {base:.2f}, and the training loss stays near {train:.2f}",
                 id="dropout"),
    pytest.param("Batch norm in the overfitting network", "ends near {val:.1f} instead of {base:.2f}", id="batchnorm"),
    pytest.param("An L1 penalty", "validation loss near {val:.2f} instead of {base:.2f}", id="l1"),
    pytest.param("Far too much L2", "(norm about {norm:.2f})", id="l2-norm"),
    pytest.param("Far too much L2", "(about {train:.2f} and {val:.2f})", id="l2-losses"),
])
def test_each_remedy_ends_where_the_lesson_says(label, phrase):
    baseline, _ = fit_at("Overfit, 64 units × 3 layers on 20 noisy points")
    result, text = fit_at(label)
    numbers = {"val": result.val_loss, "train": result.train_loss, "base": baseline.val_loss,
               "norm": result.weight_norm}
    assert says(text, phrase.format(**numbers))
