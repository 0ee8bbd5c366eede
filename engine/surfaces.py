"""Optimizers racing on 2-D loss surfaces: the real torch.optim classes on a point (x, y).

Every optimizer starts from the same point. Each step records the position, the loss, the
gradient, the update and the optimizer's own state (velocity, Adam's moments and bias
corrections), so the page can replay any step in numbers. An optimizer that blows up is
stopped and marked "diverged at step k"; the others race on.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import torch
from torch import Tensor

from engine.trainer import OPTIMIZERS, Hooks, Report, loop, make_optimizer, optimizer_code

SurfaceFn = Callable[[Tensor, Tensor, float], Tensor]  # f(x, y, kappa), elementwise
DIVERGE_FACTOR = 1000.0  # diverged: the loss passed this many times its start (or this value, for a start below 1)
GRID = 120  # contour grid points per axis


def quadratic(x: Tensor, y: Tensor, kappa: float) -> Tensor:
    """½(x² + y²/κ): curvatures 1 and 1/κ, so κ is the condition number; minimum 0 at the origin."""
    return 0.5 * (x**2 + y**2 / kappa)


def rosenbrock(x: Tensor, y: Tensor, _: float) -> Tensor:
    """Rosenbrock's banana valley (a = 1, b = 10, scaled by 1/10): minimum 0 at (1, 1)."""
    return 0.1 * (1 - x) ** 2 + (y - x**2) ** 2


def saddle(x: Tensor, y: Tensor, _: float) -> Tensor:
    """x² + (y² − 1)²/4: a saddle at the origin between two minima at (0, ±1)."""
    return x**2 + (y**2 - 1) ** 2 / 4


WELLS = ((1.2, -0.8, 1.2), (-1.1, 1.0, 0.8), (0.9, 1.3, 0.6), (-1.2, -1.1, 0.5))  # (x, y, depth), deepest first


def wells(x: Tensor, y: Tensor, _: float) -> Tensor:
    """A wide bowl with four Gaussian wells of different depths: one global and three local minima."""
    bowl = 0.05 * (x**2 + y**2)
    dips = sum(depth * torch.exp(-((x - a) ** 2 + (y - b) ** 2) / 0.5) for a, b, depth in WELLS)
    return bowl - dips + 1.2  # shifted so the values stay positive over the plot


@cache
def wells_minimum() -> tuple[float, float]:
    """The global minimum, near the deepest well's centre (the bowl pulls it slightly inwards)."""
    point = torch.tensor(WELLS[0][:2], dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([point], tolerance_grad=1e-12, tolerance_change=1e-15, max_iter=200)

    def closure() -> Tensor:
        optimizer.zero_grad()
        loss = wells(point[0], point[1], 0.0)
        loss.backward()
        return loss

    optimizer.step(closure)
    return tuple(point.detach().tolist())


@dataclass(frozen=True)
class Surface:
    label: str
    fn: SurfaceFn
    minimum: Callable[[float], tuple[float, float]]  # the global minimum's position, given κ
    span: tuple[float, float, float, float]  # x_lo, x_hi, y_lo, y_hi for the contour plot
    note: str  # one sentence on what it shows


SURFACES: dict[str, Surface] = {
    "quadratic": Surface("Ill-conditioned quadratic", quadratic, lambda k: (0.0, 0.0), (-2, 2, -2, 2),
                         "A long, narrow bowl: steep across, nearly flat along. κ is how much steeper."),
    "rosenbrock": Surface("Rosenbrock valley", rosenbrock, lambda k: (1.0, 1.0), (-2, 2, -1, 3),
                          "Finding the curved valley is easy; following it to the minimum at (1, 1) is slow."),
    "saddle": Surface("Saddle", saddle, lambda k: (0.0, 1.0), (-2, 2, -2, 2),
                      "The origin is a saddle point: a minimum along x, a maximum along y. The gradient "
                      "there is zero."),
    "wells": Surface("Several local minima", wells, lambda k: wells_minimum(), (-2.5, 2.5, -2.5, 2.5),
                     "Four wells of different depths: where an optimizer ends depends on its path."),
}

# What each optimizer keeps between steps, as torch.optim names it in optimizer.state[param].
STATE_KEYS = {
    "sgd": (), "momentum": ("momentum_buffer",), "nesterov": ("momentum_buffer",), "adagrad": ("sum",),
    "rmsprop": ("square_avg",), "adam": ("exp_avg", "exp_avg_sq"), "adamw": ("exp_avg", "exp_avg_sq"),
}


@dataclass(frozen=True)
class Racer:
    optimizer: str  # a key of OPTIMIZERS
    lr: float
    hyper: tuple[tuple[str, object], ...] = ()  # its own hyperparameters, overriding the row's defaults


DEFAULT_RACERS = (
    Racer("sgd", 0.1), Racer("momentum", 0.05), Racer("rmsprop", 0.01), Racer("adam", 0.05),
)


@dataclass(frozen=True)
class RaceConfig:
    surface: str = "quadratic"  # a key of SURFACES
    kappa: float = 10.0  # the quadratic's condition number
    start: tuple[float, float] = (-1.5, 1.5)
    racers: tuple[Racer, ...] = DEFAULT_RACERS
    steps: int = 150
    report_every: int = 5


@dataclass
class Track:
    """One optimizer's run: row t of every array is the state after t steps (row 0: the start)."""

    name: str  # the racer's label, e.g. "Adam (lr 0.05)"
    optimizer: str
    code: str  # the torch.optim call
    position: np.ndarray  # (steps + 1, 2)
    loss: np.ndarray  # (steps + 1,)
    grad: np.ndarray  # (steps + 1, 2) the gradient at that position
    update: np.ndarray  # (steps + 1, 2) the step taken to reach it (row 0: zeros)
    state: dict[str, np.ndarray]  # torch.optim's state after each step, e.g. "exp_avg": (steps + 1, 2)
    diverged_at: int = 0  # 0: never
    steps_to_minimum: int = 0  # first step within 0.01 of the global minimum's position; 0: never


@dataclass
class RaceResult:
    config: RaceConfig
    status: str
    message: str
    steps_done: int
    seconds: float
    tracks: list[Track]
    grid: tuple[np.ndarray, np.ndarray, np.ndarray]  # xs (GRID,), ys (GRID,), loss (GRID, GRID) over the span
    minimum: tuple[float, float]

    @property
    def cacheable(self) -> bool:
        return self.status != "out of time"


def surface_value(name: str, kappa: float, x, y) -> np.ndarray:
    """f(x, y) in float64, for points or grids."""
    xt, yt = torch.as_tensor(x, dtype=torch.float64), torch.as_tensor(y, dtype=torch.float64)
    return SURFACES[name].fn(xt, yt, kappa).numpy()


def loss_grid(name: str, kappa: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x_lo, x_hi, y_lo, y_hi = SURFACES[name].span
    xs, ys = np.linspace(x_lo, x_hi, GRID), np.linspace(y_lo, y_hi, GRID)
    X, Y = np.meshgrid(xs, ys)  # (GRID, GRID): rows follow y
    return xs, ys, surface_value(name, kappa, X, Y)


def racer_label(racer: Racer) -> str:
    return f"{OPTIMIZERS[racer.optimizer].label} (lr {racer.lr:g})"


class _Runner:
    """One optimizer stepping a point on the surface, recording everything the page replays."""

    def __init__(self, racer: Racer, config: RaceConfig, label: str):
        self.racer, self.label = racer, label
        self.point = torch.tensor(config.start, dtype=torch.float64, requires_grad=True)  # (2,)
        self.optimizer = make_optimizer(racer.optimizer, [self.point], racer.lr, racer.hyper)
        self.rows: dict[str, list] = {"position": [], "loss": [], "grad": [], "update": []}
        self.rows |= {key: [] for key in STATE_KEYS[racer.optimizer]}
        self.update = np.zeros(2)
        self.steps = 0  # steps taken
        self.diverged_at = 0

    def advance(self, i: int) -> None:
        """Take step i with the gradient at the current point."""
        before = self.point.detach().clone()
        self.optimizer.step()
        self.update = (self.point.detach() - before).numpy()
        self.steps = i

    def record(self, loss: float) -> None:
        """Keep the position, its loss and gradient, the step that led here and the optimizer's state."""
        self.rows["position"].append(self.point.detach().numpy().copy())
        self.rows["loss"].append(loss)
        self.rows["grad"].append(self.point.grad.numpy().copy())
        self.rows["update"].append(self.update)
        state = self.optimizer.state.get(self.point, {})
        for key in STATE_KEYS[self.racer.optimizer]:
            self.rows[key].append(state[key].numpy().copy() if key in state else np.zeros(2))

    def track(self, minimum: tuple[float, float]) -> Track:
        arrays = {key: np.array(rows) for key, rows in self.rows.items()}
        distance = np.linalg.norm(arrays["position"] - np.array(minimum), axis=1)
        near = np.flatnonzero(distance < 0.01)
        racer = self.racer
        code = optimizer_code(racer.optimizer, racer.lr, racer.hyper, params="[point]")
        return Track(self.label, racer.optimizer, code, arrays.pop("position"), arrays.pop("loss"),
                     arrays.pop("grad"), arrays.pop("update"), arrays, self.diverged_at,
                     int(near[0]) if len(near) else 0)


def _evaluate(runners: list[_Runner], config: RaceConfig, limit: float = math.inf) -> list[float]:
    """Every racer's loss and gradient at its point, in one backward pass; records those below `limit`."""
    for runner in runners:
        runner.point.grad = None
    points = torch.stack([runner.point for runner in runners])  # (racers, 2)
    losses = SURFACES[config.surface].fn(points[:, 0], points[:, 1], config.kappa)  # (racers,)
    losses.sum().backward()  # each point's gradient depends on its own loss only
    values = losses.tolist()
    finite = []
    for runner, loss in zip(runners, values, strict=True):
        if loss < limit and bool(torch.isfinite(runner.point.grad).all()):  # NaN fails the first test too
            runner.record(loss)
            finite.append(loss)
        else:
            runner.diverged_at = runner.steps
    return finite


def racer_labels(racers: tuple[Racer, ...]) -> list[str]:
    """Each racer's label, numbered where two racers are the same optimizer at the same learning rate."""
    labels = [racer_label(racer) for racer in racers]
    return [f"{label} #{labels[:i].count(label) + 1}" if labels.count(label) > 1 else label
            for i, label in enumerate(labels)]


def race(config: RaceConfig, on_report: Report | None = None, should_stop=None, deadline=None) -> RaceResult:
    """Step every racer from the same start; report their losses as they go."""
    if config.surface not in SURFACES:
        raise ValueError(f"unknown surface {config.surface!r}")
    runners = [_Runner(racer, config, label) for racer, label in zip(config.racers, racer_labels(config.racers),
                                                                       strict=True)]
    minimum = SURFACES[config.surface].minimum(config.kappa)
    start_loss = _evaluate(runners, config)[0] if runners else 0.0
    limit = DIVERGE_FACTOR * max(start_loss, 1.0)

    def step(i: int) -> float:
        live = [runner for runner in runners if not runner.diverged_at]
        for runner in live:
            runner.advance(i)
        live = [runner for runner in live if not runner.diverged_at]
        losses = _evaluate(live, config, limit) if live else []
        return min(losses) if losses else math.nan  # the loop stops only when every racer has diverged

    def measure(i: int, _: float) -> dict:
        return {runner.label: float(runner.rows["loss"][-1]) for runner in runners if not runner.diverged_at}

    outcome = loop(step, config.steps, config.report_every, Hooks(on_report, should_stop, deadline), measure,
                   advice="Every optimizer blew up: try smaller learning rates.")
    tracks = [runner.track(minimum) for runner in runners]
    message = "Every optimizer diverged." if outcome.status == "diverged" else outcome.message
    if blown := [t for t in tracks if t.diverged_at]:
        message += " " + " ".join(f"{t.name} diverged at step {t.diverged_at}." for t in blown)
        message += (f" Diverged: the loss passed {limit:.3g} (a thousand times the larger of its start and 1) or "
                    "stopped being a number.")
    return RaceResult(config, outcome.status, message, outcome.steps_done, outcome.seconds, tracks,
                      loss_grid(config.surface, config.kappa), minimum)


@dataclass(frozen=True)
class LearningRateConfig:
    """One optimizer at three learning rates on the quadratic with κ = 10, from the race's default start."""

    optimizer: str = "sgd"
    lrs: tuple[float, ...] = (0.05, 1.0, 3.0)  # too small, about right, too large for SGD here (stable below 2)
    hyper: tuple[tuple[str, object], ...] = ()
    steps: int = 60

    def race(self) -> RaceConfig:
        return RaceConfig(racers=tuple(Racer(self.optimizer, lr, self.hyper) for lr in self.lrs), steps=self.steps,
                          report_every=2)


def race_learning_rates(config: LearningRateConfig, on_report: Report | None = None, should_stop=None,
                        deadline=None) -> RaceResult:
    """The race, with one optimizer at several learning rates."""
    return race(config.race(), on_report, should_stop, deadline)


# Goh, "Why Momentum Really Works" (Distill, 2017), for the quadratic with curvatures 1 and 1/κ.


@dataclass(frozen=True)
class Rates:
    gd_lr: float  # the best step size for gradient descent, 2 / (λ_min + λ_max)
    gd_rate: float  # its error shrinks by this factor per step: (κ − 1) / (κ + 1)
    momentum_lr: float  # (2 / (√λ_min + √λ_max))²
    momentum_beta: float  # ((√κ − 1) / (√κ + 1))²
    momentum_rate: float  # (√κ − 1) / (√κ + 1)


def optimal_rates(kappa: float) -> Rates:
    """The best settings and rates on ½(x² + y²/κ)."""
    lam_max, lam_min = 1.0, 1.0 / kappa
    root = math.sqrt(kappa)
    return Rates(2 / (lam_min + lam_max), (kappa - 1) / (kappa + 1), (2 / (math.sqrt(lam_min) + 1)) ** 2,
                 ((root - 1) / (root + 1)) ** 2, (root - 1) / (root + 1))


def predicted_rate(racer: Racer, kappa: float) -> float | None:
    """The worst per-step contraction of the error on the quadratic, from linear algebra; None if not linear.

    Gradient descent multiplies the error along curvature λ by (1 − αλ). Heavy-ball momentum (torch's SGD
    with momentum β and no dampening) updates the pair (error, velocity) by [[1 − αλ, −αβ], [λ, β]]; the
    rate is the largest eigenvalue modulus over both curvatures.
    """
    hyper = dict(OPTIMIZERS[racer.optimizer].hyper) | dict(racer.hyper)
    if racer.optimizer not in ("sgd", "momentum") or hyper.get("weight_decay"):
        return None
    alpha, beta = racer.lr, float(hyper.get("momentum", 0.0))
    worst = 0.0
    for lam in (1.0, 1.0 / kappa):
        matrix = np.array([[1 - alpha * lam, -alpha * beta], [lam, beta]])
        worst = max(worst, float(np.abs(np.linalg.eigvals(matrix)).max()))
    return worst


def measured_rate(track: Track, minimum: tuple[float, float], floor: float = 1e-250) -> float | None:
    """The per-step contraction of the distance to the minimum, averaged over the second half of the run."""
    distance = np.linalg.norm(track.position - np.array(minimum), axis=1)
    usable = np.flatnonzero(distance > floor)  # leave out steps lost in float64's underflow
    if len(usable) < 4:
        return None
    last = usable[-1]
    first = last // 2
    if distance[first] <= 0 or last == first:
        return None
    return float((distance[last] / distance[first]) ** (1 / (last - first)))


def distill_racers(kappa: float) -> tuple[Racer, Racer]:
    """Gradient descent and momentum at their best settings for this κ."""
    rates = optimal_rates(kappa)
    return Racer("sgd", rates.gd_lr), Racer("momentum", rates.momentum_lr, (("momentum", rates.momentum_beta),))


def step_details(track: Track, racer: Racer, t: int) -> list[tuple[str, object]]:
    """Step t of one racer in numbers: (what, value) rows, each value a 2-vector or a number."""
    hyper = dict(OPTIMIZERS[racer.optimizer].hyper) | dict(racer.hyper)
    rows: list[tuple[str, object]] = [("θ before the step", track.position[t - 1]),
                                      ("gradient g = ∇f(θ)", track.grad[t - 1])]
    state = {key: values[t] for key, values in track.state.items()}
    if "momentum_buffer" in state:
        rows.append((f"velocity v ← {hyper['momentum']:g}·v + g", state["momentum_buffer"]))
    if "sum" in state:
        rows.append(("sum of squared gradients G ← G + g²", state["sum"]))
    if "square_avg" in state:
        alpha = hyper["alpha"]
        rows.append((f"mean square s ← {alpha:g}·s + {1 - alpha:.3g}·g²", state["square_avg"]))
    if "exp_avg" in state:
        beta1, beta2 = hyper["betas"]
        c1, c2 = 1 - beta1**t, 1 - beta2**t
        rows += [(f"first moment m ← {beta1:g}·m + {1 - beta1:.3g}·g", state["exp_avg"]),
                 (f"second moment v ← {beta2:g}·v + {1 - beta2:.3g}·g²", state["exp_avg_sq"]),
                 (f"bias correction 1 − β₁^{t}", c1), (f"bias correction 1 − β₂^{t}", c2),
                 ("m̂ = m / (1 − β₁ᵗ)", state["exp_avg"] / c1), ("v̂ = v / (1 − β₂ᵗ)", state["exp_avg_sq"] / c2)]
        m_hat, v_hat = state["exp_avg"] / c1, state["exp_avg_sq"] / c2
        rows.append(("adaptive step −lr·m̂ / (√v̂ + ε)", -racer.lr * m_hat / (np.sqrt(v_hat) + hyper["eps"])))
        if racer.optimizer == "adamw":  # decoupled weight decay: its own term, outside the adaptive step
            decay = hyper["weight_decay"]
            rows.append((f"weight decay −lr·{decay:g}·θ", -racer.lr * decay * track.position[t - 1]))
    rows += [("update Δθ", track.update[t]), ("θ after the step", track.position[t]), ("loss f(θ)", track.loss[t])]
    return rows
