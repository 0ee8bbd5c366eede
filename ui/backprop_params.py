"""The Backpropagation page's parameters, each declared once, its tasks, and their configs."""

from engine.backprop import LOSSES, BackpropConfig
from engine.init_training import (
    TINY_DEEP_RUNS,
    TINY_INIT,
    TINY_REMEDIES,
    DeepRunsConfig,
    InitConfig,
    RemediesConfig,
    run_deep,
    run_init,
)
from engine.initialization import SCHEMES
from engine.loss_demos import OUTPUTS, TINY_LOSS_TRAIN, LossTrainConfig, run_loss_training
from ui.params import Choice, Number
from ui.topics import DemoTask

LRS = (0.001, 0.003, 0.01, 0.03, 0.05, 0.1, 0.3, 1.0)
ACTIVATION_LABELS = {"tanh": "tanh", "relu": "ReLU"}
LOSS_SHORT = {"squared": "squared error", "cross_entropy": "cross-entropy"}


def _g(v) -> str:
    return f"{v:g}"


def _weight(label: str, default: float) -> Number:
    return Number(label, default, -10.0, 10.0, step=0.1, box=True)


_step = BackpropConfig()
PARAMS = {
    # Backpropagation, step by step
    "x1": _weight("x1", _step.x1),
    "x2": _weight("x2", _step.x2),
    **{name: _weight(name, getattr(_step, name)) for name in ("w1", "w2", "b1", "w3", "w4", "b2", "w5", "w6", "b3")},
    "y": Number("Target y", _step.target, 0.0, 1.0, step=0.05, box=True),
    "loss": Choice("Loss", _step.loss, tuple(LOSSES), display=LOSS_SHORT.get),
    "lr": Number("Learning rate", _step.lr, 0.01, 10.0, step=0.1, box=True),
    # Loss functions
    "p": Number("Probability the model gives the true class", 0.01, 0.001, 0.999, step=0.001,
                help="The sigmoid's output for an example whose label is 1."),
    "lt_out": Choice("Output layer", "sigmoid", tuple(OUTPUTS), display=OUTPUTS.get),
    "lt_wrong": Number("How wrong the start is (weight norm)", 4.0, 0.0, 10.0, step=0.5,
                       help="The starting weights point against the classes with this norm: 0 starts at p = 0.5."),
    "lt_lr": Number("Learning rate", 0.1, 0.001, 1.0, allowed=LRS, display=_g),
    "lt_steps": Number("Steps", 300, 10, 2000, step=10, integer=True),
    # Initialization
    "scheme": Choice("Initialization", "xavier", tuple(SCHEMES), display=SCHEMES.get),
    "act": Choice("Activation", "tanh", tuple(ACTIVATION_LABELS), display=ACTIVATION_LABELS.get),
    "depth": Number("Hidden layers", 10, 1, 50, integer=True),
    "in_steps": Number("Steps", 300, 10, 2000, step=10, integer=True),
    "in_lr": Number("Learning rate", 0.05, 0.001, 1.0, allowed=LRS, display=_g),
    "in_seed": Number("Seed", 0, 0, 9999, integer=True, box=True),
    # Glorot and Bengio, and gradients against depth
    "gl_depth": Number("Hidden layers", 10, 2, 30, integer=True),
    "gl_input": Number("The inputs' standard deviation", 0.3, 0.1, 3.0, allowed=(0.1, 0.3, 0.5, 1.0, 2.0, 3.0),
                       display=_g),
    "gd_depth": Number("Hidden layers", 20, 2, 50, integer=True),
    "gd_scheme": Choice("Initialization", "standard", tuple(SCHEMES), display=SCHEMES.get),
    # He et al., and the remedies
    "he_depth": Number("Hidden layers", 30, 5, 50, integer=True),
    "he_steps": Number("Steps per network", 100, 10, 1000, step=10, integer=True),
    "rm_depth": Number("Hidden layers", 20, 5, 40, integer=True),
    "rm_steps": Number("Steps per network", 100, 10, 1000, step=10, integer=True),
}


def step_config(values: dict) -> BackpropConfig:
    """The step-by-step network's config (drawn at once, no job)."""
    weights = {name: float(values[name]) for name in ("x1", "x2", "w1", "w2", "b1", "w3", "w4", "b2", "w5", "w6",
                                                       "b3")}
    return BackpropConfig(**weights, target=float(values["y"]), loss=values["loss"], lr=float(values["lr"]))


def loss_train_config(values: dict) -> LossTrainConfig:
    return LossTrainConfig(output=values["lt_out"], wrong_start=values["lt_wrong"], lr=values["lt_lr"],
                           steps=values["lt_steps"])


def init_config(values: dict) -> InitConfig:
    return InitConfig(scheme=values["scheme"], activation=values["act"], depth=values["depth"],
                      steps=values["in_steps"], lr=values["in_lr"], seed=int(values["in_seed"]))


def he_config(values: dict) -> DeepRunsConfig:
    return DeepRunsConfig(depth=values["he_depth"], steps=values["he_steps"])


def remedies_config(values: dict) -> RemediesConfig:
    return RemediesConfig(depth=values["rm_depth"], steps=values["rm_steps"])


TASKS = (
    DemoTask(run_loss_training, loss_train_config, TINY_LOSS_TRAIN),
    DemoTask(run_init, init_config, TINY_INIT),
    DemoTask(run_deep, he_config, TINY_DEEP_RUNS),
    DemoTask(run_deep, remedies_config, TINY_REMEDIES),
)
