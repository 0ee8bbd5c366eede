"""One training loop for every topic: quiet, bounded, cancellable, divergence-safe.

Data lives as whole tensors on the device; progress leaves through `on_report`.
"""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import torch
from torch import Tensor, nn

OPTIMIZERS: dict[str, Callable] = {
    "sgd": lambda params, lr: torch.optim.SGD(params, lr=lr),
    "momentum": lambda params, lr: torch.optim.SGD(params, lr=lr, momentum=0.9),
    "adam": lambda params, lr: torch.optim.Adam(params, lr=lr),
}
OPTIMIZER_CODE = {
    "sgd": "torch.optim.SGD(net.parameters(), lr={lr})",
    "momentum": "torch.optim.SGD(net.parameters(), lr={lr}, momentum=0.9)",
    "adam": "torch.optim.Adam(net.parameters(), lr={lr})",
}

Report = Callable[[int, dict], None]  # (step, metrics) every `report_every` steps
Measure = Callable[[int, Tensor], dict]  # (step, minibatch loss) -> metrics to record


@dataclass(frozen=True)
class TrainSettings:
    steps: int = 300  # optimizer updates
    batch_size: int = 0  # 0: full batch
    optimizer: str = "adam"  # a key of OPTIMIZERS
    lr: float = 0.01
    report_every: int = 10  # steps between history rows and progress reports (step 1 always)
    time_budget_s: float = 30.0  # stop early, keeping what was learned, after this long


@dataclass
class TrainOutcome:
    status: str  # "finished", "diverged", "cancelled" or "out of time"
    message: str  # one sentence for the learner
    steps_done: int
    seconds: float
    history: pd.DataFrame  # one row per report; every value finite


def batches(n: int, batch_size: int, generator: torch.Generator, device: torch.device):
    """Endless index tensors: reshuffled every epoch, or None for the full batch."""
    if batch_size <= 0 or batch_size >= n:
        while True:
            yield None
    while True:
        order = torch.randperm(n, generator=generator).to(device)
        for start in range(0, n, batch_size):
            yield order[start:start + batch_size]


def _finite(metrics: dict) -> bool:
    return all(math.isfinite(v) for v in metrics.values() if isinstance(v, float))


def train(net: nn.Module, X: Tensor, y: Tensor, loss_fn: Callable[[Tensor, Tensor], Tensor],
          settings: TrainSettings, generator: torch.Generator, measure: Measure | None = None,
          on_report: Report | None = None, should_stop: Callable[[], bool] | None = None) -> TrainOutcome:
    """Train `net` on (X, y) and return what happened, stopping at the first non-finite loss."""
    optimizer = OPTIMIZERS[settings.optimizer](net.parameters(), settings.lr)
    batch_indices = batches(len(X), settings.batch_size, generator, X.device)
    rows: list[dict] = []

    def record(step: int, loss: Tensor) -> bool:
        """Measure, append a history row and report it; False if anything is not finite."""
        metrics = {"step": step, "batch_loss": loss.item()}
        if measure is not None:
            metrics |= measure(step, loss)
        if not _finite(metrics):
            return False
        rows.append(metrics)
        if on_report is not None:
            on_report(step, metrics)
        return True

    started = time.monotonic()
    status, step = "finished", 0
    for step in range(1, settings.steps + 1):
        if should_stop is not None and should_stop():
            status = "cancelled"
            break
        if time.monotonic() - started > settings.time_budget_s:
            status = "out of time"
            break
        idx = next(batch_indices)
        xb, yb = (X, y) if idx is None else (X[idx], y[idx])
        loss = loss_fn(net(xb), yb)
        if not torch.isfinite(loss):
            status = "diverged"
            break
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        last_loss = loss
        if step == 1 or step % settings.report_every == 0 or step == settings.steps:
            if not record(step, loss):
                status = "diverged"
                break
    else:
        step = settings.steps
    done = step if status == "finished" else step - 1
    if status in ("cancelled", "out of time") and done and rows[-1]["step"] != done:
        record(done, last_loss)  # a stopped run still reports where it got to
    return TrainOutcome(status, _message(status, step, settings), done,
                        time.monotonic() - started, pd.DataFrame(rows))


def _message(status: str, step: int, settings: TrainSettings) -> str:
    if status == "diverged":
        return (f"Diverged at step {step}: the loss became NaN or infinite. "
                f"Try a smaller learning rate than {settings.lr:g}.")
    if status == "cancelled":
        return f"Stopped at step {step - 1} of {settings.steps}."
    if status == "out of time":
        return f"Stopped at step {step - 1} of {settings.steps}: the {settings.time_budget_s:g} s budget ran out."
    return f"Finished {settings.steps} steps."
