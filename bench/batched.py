"""A learning-rate sweep trained as one stacked run versus one torch.optim run per learning rate.

Run from the repository root (about a minute; not part of the test suite):

    PYTHONPATH=. python -m bench.batched

Progress notes go to stderr; stdout is a machine header line and a Markdown table. For SGD and
Adam, with SweepConfig's defaults (8 learning rates, MLP 30-16-16-2 ReLU, 300 steps of batch 32
on the breast-cancer split):

- batched: `engine.batched.run_sweep`, the 8 copies in one vectorized run.
- sequential: the same split and initial weights, then `engine.trainer.train` with the real
  torch.optim class once per learning rate, each measuring its loss on the whole training set
  at the same report steps as the sweep does.

Runs alternate (who goes first flips every round); the ratio batched/sequential is the median of
the per-round ratios of this thread's CPU time, so other load on a shared machine does not skew
it, with the wall-clock ratio beside it. One torch thread. "curve gap" is the largest absolute
difference between the two runs' training-loss curves over all report steps, per learning rate:
the worst lr, then the worst of the rest (every lr's gap goes to stderr). Both runs do the same
arithmetic, but batched and unbatched matrix products round differently in the last bit; where
training is erratic (SGD at lr 3, Adam at lr 0.1 and above, whose losses spike) those differences
grow into visibly different curves, while steadily training lrs agree to about 1e-7.
"""

import copy
import statistics
import sys
import time

import pandas as pd
import torch
from torch import nn

from bench.run import note, report, verdict
from engine.batched import SweepConfig, initial_net, run_sweep
from engine.tabular import breast_cancer, classification_split
from engine.trainer import TrainSettings, train

ROUNDS = 5  # interleaved batched/sequential rounds per optimizer
TARGET = 0.35  # batched time / sequential time, at most
OPTIMIZERS = ("sgd", "adam")


def sequential(config: SweepConfig) -> pd.DataFrame:
    """One torch.optim run per learning rate; history in the sweep's long form (step, lr, train_loss)."""
    data = classification_split(breast_cancer(), seed=config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    net = initial_net(data.X_train.shape[1], config.width, config.depth, config.activation, data.num_classes,
                      generator)
    batch_order = generator.get_state()  # every run draws the same batches, as the sweep's copies do
    frames = []
    for lr in config.lrs:
        copy_net = copy.deepcopy(net)
        generator.set_state(batch_order)

        @torch.no_grad()
        def measure(_: int, __: float, copy_net=copy_net) -> dict:
            return {"train_loss": nn.functional.cross_entropy(copy_net(data.X_train), data.y_train).item()}

        settings = TrainSettings(steps=config.steps, batch_size=config.batch_size, optimizer=config.optimizer,
                                 lr=lr, report_every=config.report_every)
        outcome = train(copy_net, data.X_train, data.y_train, nn.functional.cross_entropy, settings, generator,
                        measure)
        frames.append(outcome.history[["step", "train_loss"]].assign(lr=lr))
    return pd.concat(frames, ignore_index=True)


def batched(config: SweepConfig) -> pd.DataFrame:
    """The stacked sweep's history."""
    result = run_sweep(config)
    assert result.status == "finished", result.message
    return result.history


def timed(fn, config: SweepConfig) -> tuple[float, float, pd.DataFrame]:
    """Wall and thread CPU seconds of one run, and its history."""
    wall, cpu = time.perf_counter(), time.thread_time()
    history = fn(config)
    return time.perf_counter() - wall, time.thread_time() - cpu, history


def curve_gaps(a: pd.DataFrame, b: pd.DataFrame) -> pd.Series:
    """Per learning rate, the largest |difference| between two long-form histories, matched on (step, lr)."""
    both = a.merge(b, on=["step", "lr"], suffixes=("_a", "_b"), validate="one_to_one")
    assert len(both) == len(a) == len(b), "the two runs recorded different steps"
    return (both["train_loss_a"] - both["train_loss_b"]).abs().groupby(both["lr"]).max()


def describe_gaps(gaps: pd.Series) -> str:
    """The largest gap and the lr it belongs to, then the largest among the other lrs."""
    worst = gaps.idxmax()
    return f"curve gap {gaps[worst]:.1e} at lr = {worst:g}, ≤ {gaps.drop(worst).max():.1e} at the other lrs"


def case(optimizer: str) -> tuple[str, str, str, str]:
    config = SweepConfig(optimizer=optimizer, device="cpu")
    for fn in (batched, sequential):  # first-call costs
        fn(SweepConfig(optimizer=optimizer, steps=20, device="cpu"))
    cpu_ratios, wall_ratios, seconds, gaps = [], [], {"batched": [], "sequential": []}, None
    for round_ in range(ROUNDS):
        runs = [("batched", batched), ("sequential", sequential)]
        if round_ % 2:  # alternate who goes first, so drift does not favour one side
            runs.reverse()
        measured = {name: timed(fn, config) for name, fn in runs}
        (b_wall, b_cpu, b_hist), (s_wall, s_cpu, s_hist) = measured["batched"], measured["sequential"]
        cpu_ratios.append(b_cpu / s_cpu)
        wall_ratios.append(b_wall / s_wall)
        seconds["batched"].append(b_cpu)
        seconds["sequential"].append(s_cpu)
        round_gaps = curve_gaps(b_hist, s_hist)
        gaps = round_gaps if gaps is None else gaps.combine(round_gaps, max)
        note(f"  round {round_ + 1}: batched {b_cpu:.3f} s CPU, sequential {s_cpu:.3f} s CPU, "
             f"ratio {cpu_ratios[-1]:.3f} (wall {wall_ratios[-1]:.3f})")
    note("  curve gap per lr: " + ", ".join(f"{lr:g}: {gap:.1e}" for lr, gap in gaps.items()))
    ratio = statistics.median(cpu_ratios)
    measured = (f"{ratio:.3f} (wall clock {statistics.median(wall_ratios):.3f}; CPU s "
                f"{statistics.median(seconds['batched']):.3f} vs {statistics.median(seconds['sequential']):.3f}); "
                f"{describe_gaps(gaps)}")
    return (f"batched/sequential time, {len(config.lrs)} lrs, {optimizer}", measured, f"≤ {TARGET}",
            verdict(ratio <= TARGET))


def main() -> int:
    torch.set_num_threads(1)
    started = time.perf_counter()
    rows = []
    for optimizer in OPTIMIZERS:
        note(f"{optimizer}: {ROUNDS} rounds of a {SweepConfig().steps}-step sweep, batched and sequential")
        rows.append(case(optimizer))
    return report(rows, started)


if __name__ == "__main__":
    sys.exit(main())
