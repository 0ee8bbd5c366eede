"""The Overfitting page's parameters, each declared once, its tasks, and their configs."""

from engine.overfitting import TINY_FIT, FitConfig, run_fit
from engine.overfitting_sweeps import (
    TINY_BIAS_VARIANCE,
    TINY_CAPACITY,
    TINY_LEARNING_CURVE,
    BiasVarianceConfig,
    CapacityConfig,
    LearningCurveConfig,
    run_bias_variance,
    run_capacity_sweep,
    run_learning_curves,
)
from engine.regularization import (
    TINY_DROPOUT_RATES,
    TINY_KFOLD,
    DropoutRatesConfig,
    KFoldConfig,
    run_dropout_rates,
    run_kfold,
)
from ui.params import Choice, Number
from ui.topics import DemoTask

TASK_LABELS = {"regression": "1-D regression (a noisy sine)", "classification": "2-D classification (noisy moons)"}
WIDTHS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
L2S = (0.0, 0.0001, 0.001, 0.01, 0.1, 1.0)
L1S = (0.0, 0.00001, 0.0001, 0.001, 0.01, 0.1)


def _g(v) -> str:
    return f"{v:g}"


PARAMS = {
    # Capacity against data, and the remedies
    "task": Choice("Task", "regression", tuple(TASK_LABELS), display=TASK_LABELS.get),
    "points": Number("Training points", 20, 5, 500, step=5, integer=True),
    "noise": Number("Label noise", 0.3, 0.0, 1.0, step=0.05,
                    help="Regression: the spread of the noise on y. Classification: the fraction of training labels "
                         "flipped (at most 0.45)."),
    "width": Number("Units per hidden layer", 64, 1, 256, integer=True, allowed=WIDTHS),
    "depth": Number("Hidden layers", 3, 1, 6, integer=True),
    "l2": Number("L2 penalty λ", 0.0, 0.0, 1.0, allowed=L2S, display=_g),
    "l1": Number("L1 penalty λ", 0.0, 0.0, 0.1, allowed=L1S, display=_g),
    "dropout": Number("Dropout rate p (probability of dropping a unit)", 0.0, 0.0, 0.9, step=0.05),
    "bn": Choice("Batch normalization", "off", ("off", "on")),
    "augment": Number("Augmentation: input jitter", 0.0, 0.0, 0.5, step=0.05,
                      help="The spread of random noise added to the training inputs at every step."),
    "patience": Number("Early stopping patience (0: off)", 0, 0, 50, integer=True,
                       help="Evaluations without a better validation loss before training stops."),
    "ensemble": Number("Bagging: models", 1, 1, 10, integer=True),
    "steps": Number("Steps", 1500, 10, 5000, step=10, integer=True),
    "seed": Number("Seed", 0, 0, 9999, integer=True, box=True),
    # Dropout rate against regularization
    "dr_steps": Number("Steps", 1500, 10, 5000, step=10, integer=True),
    # Dropout and batch normalization, inside
    "di_p": Number("Dropout rate p", 0.5, 0.0, 0.95, step=0.05),
    "bn_batch": Number("Batch size", 8, 2, 64, integer=True),
    "bn_shift": Number("The features' mean", 2.0, -5.0, 5.0, step=0.5),
    "bn_scale": Number("The features' spread", 3.0, 0.1, 10.0, step=0.1),
    "bn_gamma": Number("Learned scale γ", 1.0, -3.0, 3.0, step=0.1),
    "bn_beta": Number("Learned shift β", 0.0, -3.0, 3.0, step=0.1),
    "bn_momentum": Number("Momentum of the running statistics", 0.1, 0.0, 1.0, step=0.05),
    "bn_seen": Number("Training batches seen", 5, 0, 100, integer=True),
    # K-fold cross-validation
    "kf_k": Number("Folds k", 5, 2, 10, integer=True),
    "kf_seed": Number("Seed", 0, 0, 9999, integer=True, box=True),
    # Sweeps
    "cap_points": Number("Training points", 30, 5, 200, step=5, integer=True),
    "cap_noise": Number("Noise", 0.5, 0.0, 1.0, step=0.05),
    "lc_width": Number("Units per hidden layer", 64, 1, 256, integer=True, allowed=WIDTHS),
    "bv_resamples": Number("Training sets drawn", 10, 2, 30, integer=True),
}


def fit_config(values: dict) -> FitConfig:
    return FitConfig(task=values["task"], points=values["points"], noise=values["noise"], width=values["width"],
                     depth=values["depth"], l2=values["l2"], l1=values["l1"], dropout=values["dropout"],
                     batchnorm=values["bn"] == "on", augment=values["augment"], patience=values["patience"],
                     ensemble=values["ensemble"], steps=values["steps"], seed=int(values["seed"]))


def dropout_rates_config(values: dict) -> DropoutRatesConfig:
    return DropoutRatesConfig(steps=values["dr_steps"])


def kfold_config(values: dict) -> KFoldConfig:
    return KFoldConfig(k=values["kf_k"], seed=int(values["kf_seed"]))


def capacity_config(values: dict) -> CapacityConfig:
    return CapacityConfig(points=values["cap_points"], noise=values["cap_noise"])


def learning_curve_config(values: dict) -> LearningCurveConfig:
    return LearningCurveConfig(width=values["lc_width"])


def bias_variance_config(values: dict) -> BiasVarianceConfig:
    return BiasVarianceConfig(resamples=values["bv_resamples"])


TASKS = (
    DemoTask(run_fit, fit_config, TINY_FIT),
    DemoTask(run_dropout_rates, dropout_rates_config, TINY_DROPOUT_RATES),
    DemoTask(run_kfold, kfold_config, TINY_KFOLD),
    DemoTask(run_capacity_sweep, capacity_config, TINY_CAPACITY),
    DemoTask(run_learning_curves, learning_curve_config, TINY_LEARNING_CURVE),
    DemoTask(run_bias_variance, bias_variance_config, TINY_BIAS_VARIANCE),
)
