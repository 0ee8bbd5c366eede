"""The capacity sweep trained as one stacked run versus one torch.optim run per width.

Run from the repository root (about two minutes; not part of the test suite):

    PYTHONPATH=. python -m bench.sweeps

Progress notes go to stderr; stdout is a machine header line and a Markdown table. With
CapacityConfig's defaults (8 widths from 1 to 128, two ReLU layers, full-batch Adam on the 1-D
sine regression):

- stacked: `engine.overfitting_sweeps.run_capacity_sweep`, every width one copy of a stack
  padded to the widest, each masked to its own units, trained in one vectorized run.
- sequential: the same data and initial weights, then `engine.trainer.train` with the real
  torch.optim.Adam on each width's own nn.Sequential (nn.ReLU), one width after another, each
  measuring its training and validation MSE at the same report steps as the sweep does.

Runs alternate (who goes first flips every round); the ratio stacked/sequential is the median
of the per-round ratios of this thread's CPU time, so other load on a shared machine does not
skew it, with the wall-clock ratio beside it. One torch thread.

"curve gap" is the largest absolute difference between the two runs' training and validation
curves over every report step, for the worst width and the worst of the rest. Both runs do the
same arithmetic, but batched and unbatched matrix products round differently in the last bit.
Narrow networks agree to about 1e-7; the wide ones, which fit noise with Adam through sudden
loss spikes, amplify those last-bit differences into visibly different curves. "rounding
baseline" measures that sensitivity without the stacked run: the sequential run against itself
with every training target moved by 1e-7, which changes the curves about as much.
"""

import statistics
import sys
import time

import pandas as pd
import torch
from torch import nn

from bench.run import note, report, verdict
from engine.overfitting_sweeps import REPORTS, VAL_POINTS, CapacityConfig, initial_net, run_capacity_sweep, sine_data
from engine.trainer import TrainSettings, train

ROUNDS = 3  # interleaved stacked/sequential rounds
TARGET = 1.0  # stacked time / sequential time, below


def plain(width: int, depth: int, generator: torch.Generator) -> nn.Sequential:
    """The width's network as the shown code builds it: nn.Linear and nn.ReLU, default init from `generator`."""
    linears = initial_net(1, width, depth, "relu", 1, generator).linear_layers()
    return nn.Sequential(*[m for linear in linears[:-1] for m in (linear, nn.ReLU())], linears[-1])


def sequential(config: CapacityConfig, nudge: float = 0.0) -> pd.DataFrame:
    """One torch.optim run per width; history in the sweep's long form (step, width, train_loss, val_loss).

    `nudge` is added to every training target: a perturbation the size of float32 rounding.
    """
    generator = torch.Generator().manual_seed(config.seed)
    X, y = sine_data(config.points, config.noise, generator)
    y = y + nudge
    X_val, y_val = sine_data(VAL_POINTS, config.noise, generator)
    start = generator.get_state()  # every width draws its initial weights from here, as the sweep does
    mse = lambda out, target: nn.functional.mse_loss(out.squeeze(1), target)  # noqa: E731
    settings = TrainSettings(steps=config.steps, optimizer="adam", lr=config.lr,
                             report_every=max(1, config.steps // REPORTS))
    frames = []
    for width in config.widths:
        generator.set_state(start)
        net = plain(width, config.depth, generator)

        @torch.no_grad()
        def measure(_: int, __: float, net=net) -> dict:
            return {"train_loss": mse(net(X), y).item(), "val_loss": mse(net(X_val), y_val).item()}

        outcome = train(net, X, y, mse, settings, generator, measure)
        frames.append(outcome.history[["step", "train_loss", "val_loss"]].assign(width=width))
    return pd.concat(frames, ignore_index=True)


def stacked(config: CapacityConfig) -> pd.DataFrame:
    result = run_capacity_sweep(config)
    assert result.status == "finished", result.message
    return result.history


def timed(fn, config: CapacityConfig) -> tuple[float, float, pd.DataFrame]:
    """Wall and thread CPU seconds of one run, and its history."""
    wall, cpu = time.perf_counter(), time.thread_time()
    history = fn(config)
    return time.perf_counter() - wall, time.thread_time() - cpu, history


def curve_gaps(a: pd.DataFrame, b: pd.DataFrame) -> pd.Series:
    """Per width, the largest |difference| between two histories' training or validation MSE at the same step."""
    both = a.merge(b, on=["step", "width"], suffixes=("_a", "_b"), validate="one_to_one")
    assert len(both) == len(a) == len(b), "the two runs recorded different steps"
    gaps = pd.concat([(both[f"{c}_a"] - both[f"{c}_b"]).abs() for c in ("train_loss", "val_loss")], axis=1)
    return gaps.max(axis=1).groupby(both["width"]).max()


def describe_gaps(label: str, gaps: pd.Series) -> str:
    """The largest gap and the width it belongs to, then the largest among the other widths."""
    worst = gaps.idxmax()
    return f"{label} {gaps[worst]:.1e} at width {worst}, ≤ {gaps.drop(worst).max():.1e} at the others"


def main() -> int:
    torch.set_num_threads(1)
    started = time.perf_counter()
    config = CapacityConfig()
    note(f"{ROUNDS} rounds of the default capacity sweep ({len(config.widths)} widths, {config.steps} steps), "
         "stacked and sequential")
    for fn in (stacked, sequential):  # first-call costs
        fn(CapacityConfig(steps=20))
    cpu_ratios, wall_ratios, seconds, gaps = [], [], {"stacked": [], "sequential": []}, None
    for round_ in range(ROUNDS):
        runs = [("stacked", stacked), ("sequential", sequential)]
        if round_ % 2:  # alternate who goes first, so drift does not favour one side
            runs.reverse()
        measured = {name: timed(fn, config) for name, fn in runs}
        (s_wall, s_cpu, s_hist), (q_wall, q_cpu, q_hist) = measured["stacked"], measured["sequential"]
        cpu_ratios.append(s_cpu / q_cpu)
        wall_ratios.append(s_wall / q_wall)
        seconds["stacked"].append(s_cpu)
        seconds["sequential"].append(q_cpu)
        round_gaps = curve_gaps(s_hist, q_hist)
        gaps = round_gaps if gaps is None else gaps.combine(round_gaps, max)
        note(f"  round {round_ + 1}: stacked {s_cpu:.2f} s CPU, sequential {q_cpu:.2f} s CPU, "
             f"ratio {cpu_ratios[-1]:.3f} (wall {wall_ratios[-1]:.3f})")
    note("  curve gap per width: " + ", ".join(f"{w}: {gap:.1e}" for w, gap in gaps.items()))
    note("  the rounding baseline: sequential again, every training target moved by 1e-7")
    baseline = curve_gaps(sequential(config, nudge=1e-7), q_hist)
    note("  baseline gap per width: " + ", ".join(f"{w}: {gap:.1e}" for w, gap in baseline.items()))
    ratio = statistics.median(cpu_ratios)
    measured = (f"{ratio:.3f} (wall clock {statistics.median(wall_ratios):.3f}; CPU s "
                f"{statistics.median(seconds['stacked']):.2f} vs {statistics.median(seconds['sequential']):.2f}); "
                f"{describe_gaps('curve gap', gaps)}; {describe_gaps('rounding baseline', baseline)}")
    return report([(f"stacked/sequential time, {len(config.widths)} widths", measured, f"< {TARGET}",
                    verdict(ratio < TARGET))], started)


if __name__ == "__main__":
    sys.exit(main())
