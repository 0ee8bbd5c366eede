"""The Gradient descent page's parameters, each declared once, its tasks, and their configs."""

from engine.batched import TINY_SWEEP, SweepConfig, run_sweep
from engine.descent_demos import (
    SCHEDULES,
    BatchSizeConfig,
    EveryOptimizerConfig,
    NormalizationConfig,
    ScheduleConfig,
    run_batch_sizes,
    run_every_optimizer,
    run_normalization,
    run_schedules,
)
from engine.search import TINY_SEARCH, SearchConfig, run_search
from engine.surfaces import SURFACES, LearningRateConfig, RaceConfig, Racer, race, race_learning_rates
from engine.tabular import diabetes
from engine.trainer import OPTIMIZERS
from ui.params import Choice, ChoiceList, Number
from ui.topics import DemoTask

RATES = (0.001, 0.003, 0.01, 0.03, 0.05, 0.1, 0.3, 1.0)


def _optimizer(name) -> str:
    return OPTIMIZERS[name].label


def _lr(name: str, default: float) -> Number:
    return Number(f"{OPTIMIZERS[name].label} learning rate", default, 0.0001, 10.0, step=0.01, box=True)


PARAMS = {
    # Optimizer race on a 2-D surface
    "surface": Choice("Surface", "quadratic", tuple(SURFACES), display=lambda s: SURFACES[s].label),
    "kappa": Number("Condition number κ (quadratic)", 10.0, 1.0, 1000.0, step=1.0, box=True,
                    help="How much steeper the bowl is across than along: the ratio of its two curvatures."),
    "x0": Number("Start x", -1.5, -2.0, 2.0, step=0.01),
    "y0": Number("Start y", 1.5, -2.0, 2.0, step=0.01),
    "opts": ChoiceList("Optimizers", ("sgd", "momentum", "rmsprop", "adam"), tuple(OPTIMIZERS), 1,
                       len(OPTIMIZERS), display=_optimizer),
    "lr_sgd": _lr("sgd", 0.1),
    "lr_momentum": _lr("momentum", 0.05),
    "lr_nesterov": _lr("nesterov", 0.05),
    "lr_adagrad": _lr("adagrad", 0.5),
    "lr_rmsprop": _lr("rmsprop", 0.01),
    "lr_adam": _lr("adam", 0.05),
    "lr_adamw": _lr("adamw", 0.05),
    "mom": Number("Momentum β (SGD + momentum, Nesterov)", 0.9, 0.0, 0.999, step=0.01, box=True),
    "alpha": Number("RMSprop decay α", 0.99, 0.0, 0.999, step=0.01, box=True),
    "beta1": Number("Adam β₁ (first moment)", 0.9, 0.0, 0.999, step=0.01, box=True),
    "beta2": Number("Adam β₂ (second moment)", 0.999, 0.0, 0.9999, step=0.001, box=True),
    "wd": Number("AdamW weight decay", 0.01, 0.0, 1.0, step=0.01, box=True),
    "steps": Number("Steps", 150, 10, 1000, step=10, integer=True),
    # Learning rate too small, about right, too large
    "lr_opt": Choice("Optimizer", "sgd", tuple(OPTIMIZERS), display=_optimizer),
    "lr_low": Number("Too small", 0.05, 0.0001, 10.0, step=0.01, box=True),
    "lr_mid": Number("About right", 1.0, 0.0001, 10.0, step=0.01, box=True),
    "lr_high": Number("Too large", 3.0, 0.0001, 10.0, step=0.01, box=True),
    "lr_steps": Number("Steps", 60, 10, 500, step=10, integer=True),
    # Eight learning rates on a real network
    "sw_opt": Choice("Optimizer", "sgd", tuple(OPTIMIZERS), display=_optimizer),
    "sw_steps": Number("Steps", 300, 10, 2000, step=10, integer=True),
    # Batch, mini-batch and stochastic
    "bs_mini": Number("Mini-batch size", 32, 2, 256, integer=True, allowed=(2, 4, 8, 16, 32, 64, 128, 256)),
    "bs_epochs": Number("Epochs", 20, 1, 100, integer=True),
    "bs_lr": Number("Learning rate", 0.05, 0.001, 1.0, allowed=RATES, display=lambda v: f"{v:g}"),
    "bs_schedule": Choice("Learning rate over time", "constant", ("constant", "decay"),
                          display=lambda s: {"constant": "constant", "decay": "decaying: lr / (1 + epoch)"}[s]),
    # Input normalization
    "norm_x1": Choice("First feature", "bmi", diabetes().features),
    "norm_x2": Choice("Second feature", "s1", diabetes().features),
    "norm_steps": Number("Steps", 500, 10, 5000, step=10, integer=True),
    # Learning-rate schedules
    "sched": ChoiceList("Schedules", tuple(SCHEDULES), tuple(SCHEDULES), 1, len(SCHEDULES),
                        display=lambda s: SCHEDULES[s].label),
    "sched_lr": Number("Peak learning rate", 0.1, 0.001, 1.0, allowed=RATES, display=lambda v: f"{v:g}"),
    "sched_epochs": Number("Epochs", 30, 5, 100, integer=True),
    # Grid versus random search
    "hp_budget": Number("Trials per method", 9, 4, 25, integer=True, allowed=(4, 9, 16, 25)),
    "hp_seed": Number("Seed", 0, 0, 9999, integer=True, box=True),
    # The same network under every optimizer
    "every_steps": Number("Steps", 300, 10, 2000, step=10, integer=True),
    "every_seed": Number("Seed", 0, 0, 9999, integer=True, box=True),
}

LR_PARAM = {name: f"lr_{name}" for name in OPTIMIZERS}


def hyper(name: str, values: dict) -> tuple[tuple[str, object], ...]:
    """An optimizer's own hyperparameters from the page, where they differ from its defaults."""
    chosen = {"alpha": values["alpha"], "betas": (values["beta1"], values["beta2"]),
              "weight_decay": values["wd"] if name == "adamw" else 0.0}
    if name in ("momentum", "nesterov"):  # RMSprop's own momentum stays at its default, 0
        chosen["momentum"] = values["mom"]
    own = dict(OPTIMIZERS[name].hyper)
    return tuple((key, chosen[key]) for key in own if key in chosen and chosen[key] != own[key])


def race_config(values: dict) -> RaceConfig:
    racers = tuple(Racer(name, values[LR_PARAM[name]], hyper(name, values)) for name in values["opts"])
    return RaceConfig(surface=values["surface"], kappa=values["kappa"], start=(values["x0"], values["y0"]),
                      racers=racers, steps=values["steps"])


LR_SIDES = ("too small", "about right", "too large")


def lr_config(values: dict) -> LearningRateConfig:
    name = values["lr_opt"]
    return LearningRateConfig(name, tuple(values[key] for key in ("lr_low", "lr_mid", "lr_high")),
                              hyper(name, values), values["lr_steps"])


def sweep_config(values: dict) -> SweepConfig:
    return SweepConfig(optimizer=values["sw_opt"], steps=values["sw_steps"])


def batch_config(values: dict) -> BatchSizeConfig:
    return BatchSizeConfig(mini_batch=values["bs_mini"], epochs=values["bs_epochs"], lr=values["bs_lr"],
                           schedule=values["bs_schedule"])


def normalization_config(values: dict) -> NormalizationConfig:
    return NormalizationConfig(x1=values["norm_x1"], x2=values["norm_x2"], steps=values["norm_steps"])


def schedule_config(values: dict) -> ScheduleConfig:
    epochs = values["sched_epochs"]
    return ScheduleConfig(schedules=values["sched"], lr=values["sched_lr"], epochs=epochs,
                          step_every=max(1, epochs // 3))  # step decay cuts the rate twice, whatever the length


def search_config(values: dict) -> SearchConfig:
    return SearchConfig(budget=values["hp_budget"], seed=values["hp_seed"])


def every_config(values: dict) -> EveryOptimizerConfig:
    return EveryOptimizerConfig(steps=values["every_steps"], seed=values["every_seed"])


TASKS = (
    DemoTask(race, race_config, RaceConfig(steps=2)),
    DemoTask(race_learning_rates, lr_config, LearningRateConfig(steps=2)),
    DemoTask(run_sweep, sweep_config, TINY_SWEEP),
    DemoTask(run_batch_sizes, batch_config, BatchSizeConfig(epochs=1, max_train=32)),
    DemoTask(run_normalization, normalization_config, NormalizationConfig(steps=2)),
    DemoTask(run_schedules, schedule_config, ScheduleConfig(epochs=2)),
    DemoTask(run_search, search_config, TINY_SEARCH),
    DemoTask(run_every_optimizer, every_config, EveryOptimizerConfig(steps=2)),
)
