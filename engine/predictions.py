"""Predict, then run: real demos whose outcome grades a learner's prediction.

A lesson's "predict" quiz item names one of the functions here with its arguments. The function
trains for real, with a fixed seed, and says which of the item's options happened; the app grades
the learner's prediction against that, not against a stored answer.
"""

import importlib
from dataclasses import dataclass

import pandas as pd
import torch
import torch.nn.functional as F

from engine.models import MLP
from engine.tabular import breast_cancer, classification_split
from engine.trainer import NO_HOOKS, Hooks, TrainSettings, train


@dataclass(frozen=True)
class PredictConfig:
    fn: str  # "engine.predictions.<function>"
    args: tuple[tuple[str, object], ...] = ()  # its keyword arguments, as a hashable tuple (the job's cache key)
    steps: int = 100  # progress steps, for the progress bar


@dataclass
class Outcome:
    choice: int  # the index of the item's option that happened
    summary: str  # what happened, in one or two sentences with the measured numbers
    history: pd.DataFrame  # step, batch_loss: the curve the learner sees
    log_scale: bool = False  # draw the loss on a log axis (a run that blew up)


def run(config: PredictConfig, on_report=None, should_stop=None, deadline=None) -> Outcome:
    """The job task: the named demo, with the job's hooks."""
    module, _, name = config.fn.rpartition(".")
    if not module.startswith("engine."):
        raise ValueError(f"{config.fn} is not an engine function")
    fn = getattr(importlib.import_module(module), name)
    return fn(**dict(config.args), hooks=Hooks(on_report, should_stop, deadline))


LEARNING_RATE_OUTCOMES = ("falls", "blows up", "barely moves")  # the order the lesson's options follow


def learning_rate(lr: float, steps: int = 100, seed: int = 0, hooks: Hooks = NO_HOOKS) -> Outcome:
    """Plain full-batch SGD on a 30-32-2 ReLU network, breast-cancer data, at learning rate `lr`.

    Options, in order: the loss falls to under half its start; it blows up (NaN/inf, or ends above its
    start); it barely moves (ends above half its start).
    """
    torch.manual_seed(seed)
    split = classification_split(breast_cancer(), seed=seed)
    net = MLP(split.X_train.shape[1], 32, ("relu",), split.num_classes)
    outcome = train(net, split.X_train, split.y_train, F.cross_entropy,
                    TrainSettings(steps=steps, optimizer="sgd", lr=lr, report_every=5),
                    torch.Generator().manual_seed(seed), hooks=hooks)
    history = outcome.history[["step", "batch_loss"]]
    start, end = history.batch_loss.iloc[0], history.batch_loss.iloc[-1]
    if outcome.status == "diverged" or end > start:
        choice = 1
        summary = (f"At lr = {lr:g} the loss went from {start:.3f} to {end:.3g}"
                   + (f" and then to NaN at step {outcome.steps_done + 1}." if outcome.status == "diverged" else "."))
    else:
        choice = 0 if end < start / 2 else 2
        summary = f"At lr = {lr:g} the loss went from {start:.3f} to {end:.3f} in {outcome.steps_done} steps."
    if outcome.status in ("cancelled", "out of time"):
        summary += f" (The run stopped early: {outcome.message})"
    return Outcome(choice, summary, history, log_scale=choice == 1)
