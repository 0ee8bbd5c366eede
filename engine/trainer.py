"""One training loop for every topic: quiet, bounded, cancellable, divergence-safe.

`loop()` drives any `step()` closure (a network's minibatch update, K optimizers racing on a
surface, a sweep); `train()` is that loop for a network on whole tensors. Progress leaves
through `Hooks.on_report`; the loop stops when asked, at the job's deadline, or at the first
non-finite loss.
"""

import inspect
import math
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import pandas as pd
import torch
from torch import Tensor, nn

Report = Callable[[int, dict], None]  # (step, metrics) every `report_every` steps
Measure = Callable[[int, float], dict]  # (step, loss) -> metrics to record beside it


@dataclass(frozen=True)
class Optimizer:
    label: str
    make: type[torch.optim.Optimizer]
    hyper: tuple[tuple[str, object], ...]  # its own hyperparameters and their defaults, besides lr


OPTIMIZERS: dict[str, Optimizer] = {
    "sgd": Optimizer("SGD", torch.optim.SGD, (("weight_decay", 0.0),)),
    "momentum": Optimizer("SGD + momentum", torch.optim.SGD, (("momentum", 0.9), ("weight_decay", 0.0))),
    "nesterov": Optimizer("SGD + Nesterov momentum", torch.optim.SGD,
                          (("momentum", 0.9), ("nesterov", True), ("weight_decay", 0.0))),
    "adagrad": Optimizer("AdaGrad", torch.optim.Adagrad, (("eps", 1e-10), ("weight_decay", 0.0))),
    "rmsprop": Optimizer("RMSprop", torch.optim.RMSprop, (("alpha", 0.99), ("eps", 1e-8), ("momentum", 0.0))),
    "adam": Optimizer("Adam", torch.optim.Adam, (("betas", (0.9, 0.999)), ("eps", 1e-8), ("weight_decay", 0.0))),
    "adamw": Optimizer("AdamW", torch.optim.AdamW, (("betas", (0.9, 0.999)), ("eps", 1e-8), ("weight_decay", 0.01))),
}


def optimizer_kwargs(name: str, lr: float, hyper: Iterable[tuple[str, object]] = ()) -> dict:
    """The keyword arguments of the torch.optim class: the row's defaults, overridden by `hyper`."""
    row = OPTIMIZERS[name]
    overrides = dict(hyper)
    if unknown := set(overrides) - {k for k, _ in row.hyper}:
        raise ValueError(f"{row.label} has no hyperparameter {', '.join(sorted(unknown))}")
    return {"lr": lr} | dict(row.hyper) | overrides


def make_optimizer(name: str, params, lr: float, hyper: Iterable[tuple[str, object]] = ()) -> torch.optim.Optimizer:
    return OPTIMIZERS[name].make(params, **optimizer_kwargs(name, lr, hyper))


def optimizer_code(name: str, lr: float, hyper: Iterable[tuple[str, object]] = (), params: str = "net.parameters()"
                   ) -> str:
    """The torch.optim call that `make_optimizer` makes, as source code."""
    kwargs = optimizer_kwargs(name, lr, hyper)
    defaults = {k: p.default for k, p in inspect.signature(OPTIMIZERS[name].make).parameters.items()}
    shown = [f"lr={lr:g}"] + [f"{k}={v!r}" for k, v in kwargs.items() if k != "lr" and defaults.get(k) != v]
    return f"torch.optim.{OPTIMIZERS[name].make.__name__}({params}, {', '.join(shown)})"


@dataclass(frozen=True)
class Hooks:
    """What a running job gives its task: where progress goes and when to stop."""

    on_report: Report | None = None
    should_stop: Callable[[], bool] | None = None
    deadline: float | None = None  # time.monotonic() by which a partial result must be handed back

    def stop_reason(self) -> str:
        """"cancelled", "out of time", or "" to carry on."""
        if self.should_stop is not None and self.should_stop():
            return "cancelled"
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return "out of time"
        return ""


NO_HOOKS = Hooks()  # a run nobody watches: no reports, no stop, no deadline


@dataclass(frozen=True)
class TrainSettings:
    steps: int = 300  # optimizer updates
    batch_size: int = 0  # 0: full batch
    optimizer: str = "adam"  # a key of OPTIMIZERS
    lr: float = 0.01
    hyper: tuple[tuple[str, object], ...] = ()  # the optimizer's own hyperparameters, overriding its defaults
    report_every: int = 10  # steps between history rows and progress reports (step 1 always)


@dataclass
class TrainOutcome:
    status: str  # "finished", "diverged", "cancelled" or "out of time"
    message: str  # one sentence for the learner
    steps_done: int
    seconds: float
    history: pd.DataFrame = field(default_factory=pd.DataFrame)  # one row per report; every value finite


def _finite(metrics: dict) -> bool:
    return all(math.isfinite(v) for v in metrics.values() if isinstance(v, float))


def loop(step: Callable[[int], float], steps: int, report_every: int = 10, hooks: Hooks = NO_HOOKS,
         measure: Measure | None = None, advice: str = "Try a smaller learning rate.") -> TrainOutcome:
    """Call `step(i)` for i = 1..steps; each returns the loss it stepped on (before its update).

    Reports at step 1, every `report_every` steps and at the end. Stops early when the hooks say
    so, or at the first non-finite loss or metric, so that no NaN reaches the history.
    """
    rows: list[dict] = []

    def record(i: int, loss: float) -> bool:
        metrics = {"step": i, "batch_loss": loss}
        if measure is not None:
            metrics |= measure(i, loss)
        if not _finite(metrics):
            return False
        rows.append(metrics)
        if hooks.on_report is not None:
            hooks.on_report(i, metrics)
        return True

    started = time.monotonic()
    status, done, last_loss = "finished", 0, None
    for i in range(1, steps + 1):
        if reason := hooks.stop_reason():
            status = reason
            break
        loss = step(i)
        if not math.isfinite(loss):
            status = "diverged"
            break
        if (i == 1 or i % report_every == 0 or i == steps) and not record(i, loss):
            status = "diverged"
            break
        done, last_loss = i, loss
    if status in ("cancelled", "out of time") and done and rows[-1]["step"] != done:
        record(done, last_loss)  # a stopped run still reports where it got to
    return TrainOutcome(status, _message(status, done, steps, advice), done, time.monotonic() - started,
                        pd.DataFrame(rows))


def _message(status: str, done: int, steps: int, advice: str) -> str:
    if status == "diverged":
        return f"Diverged at step {done + 1}: the loss became NaN or infinite. {advice}"
    if status == "cancelled":
        return f"Stopped at step {done} of {steps}."
    if status == "out of time":
        return f"Stopped at step {done} of {steps}: this run reached the server's time limit."
    return f"Finished {steps} steps."


def batches(n: int, batch_size: int, generator: torch.Generator, device: torch.device):
    """Endless index tensors: reshuffled every epoch, or None for the full batch."""
    if batch_size <= 0 or batch_size >= n:
        while True:
            yield None
    while True:
        order = torch.randperm(n, generator=generator).to(device)
        for start in range(0, n, batch_size):
            yield order[start:start + batch_size]


def train(net: nn.Module, X: Tensor, y: Tensor, loss_fn: Callable[[Tensor, Tensor], Tensor],
          settings: TrainSettings, generator: torch.Generator, measure: Measure | None = None,
          hooks: Hooks = NO_HOOKS) -> TrainOutcome:
    """Train `net` on (X, y) with minibatches drawn from `generator`."""
    optimizer = make_optimizer(settings.optimizer, net.parameters(), settings.lr, settings.hyper)
    batch_indices = batches(len(X), settings.batch_size, generator, X.device)

    def step(_: int) -> float:
        idx = next(batch_indices)
        xb, yb = (X, y) if idx is None else (X[idx], y[idx])
        loss = loss_fn(net(xb), yb)
        value = loss.item()
        if math.isfinite(value):  # a diverged loss must not move the weights
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        return value

    return loop(step, settings.steps, settings.report_every, hooks, measure,
                advice=f"Try a smaller learning rate than {settings.lr:g}.")


STOPPED = ("cancelled", "out of time")


def _offset_hooks(on_report: Report | None, should_stop, deadline, offset: int, extra: dict) -> Hooks:
    """Hooks for one of several runs in a job: progress steps continue where the last run ended.

    Each progress row also carries `extra` (which run) and `run_step`, the step within that run.
    """
    report = None
    if on_report is not None:
        report = lambda step, metrics: on_report(offset + step,
                                                 metrics | extra | {"step": offset + step, "run_step": step})
    return Hooks(report, should_stop, deadline)


def _job_status(statuses: list[str], stopped: str) -> str:
    """The job's status from its runs': stopped if any run or the job was stopped, else diverged if any run was."""
    if stopped:
        return stopped
    for status in (*STOPPED, "diverged"):
        if status in statuses:
            return status
    return "finished"


class InTurn:
    """A job that trains several models one after another, sharing one set of hooks.

    Progress steps continue from run to run, each progress row names its run, and a stop (Stop,
    the deadline) ends the whole job.

    `for key, hooks in job.runs(keys)` hands out each run's hooks; after each run, `job.done(status, steps)`
    records how it ended and how many progress steps it was planned to take.
    """

    def __init__(self, on_report: Report | None, should_stop, deadline, column: str):
        self.on_report, self.should_stop, self.deadline, self.column = on_report, should_stop, deadline, column
        self.statuses: list[str] = []
        self.stopped = ""  # the reason, when a stop came between two runs
        self.offset = 0

    def runs(self, keys: Iterable[str]) -> Iterator[tuple[str, Hooks]]:
        """(key, hooks) per run; none after a stopped run, nor after a stop between two runs."""
        for i, key in enumerate(keys):
            if self.statuses and self.statuses[-1] in STOPPED:
                return
            if i and (stopped := Hooks(None, self.should_stop, self.deadline).stop_reason()):
                self.stopped = stopped  # so that a stop between two runs starts no empty one
                return
            yield key, _offset_hooks(self.on_report, self.should_stop, self.deadline, self.offset, {self.column: key})

    def done(self, status: str, steps: int) -> None:
        self.statuses.append(status)
        self.offset += steps

    @property
    def status(self) -> str:
        return _job_status(self.statuses, self.stopped)
