"""The LSTM page's training: the default task's time, and the written-out cell against torch.nn.LSTM.

Run from the repository root (about a minute; not part of the test suite):

    PYTHONPATH=. python -m bench.recurrent

Progress notes go to stderr; stdout is a machine header line and a Markdown table. One torch thread, as in the
job workers. Rows:

- default job: wall-clock seconds of `run_gates(GatesConfig())` (an LSTM, T = 20, 16 units, 300 steps, with the
  inspection and the test evaluations), the median of ROUNDS runs; target: a few seconds.
- written/fused, training: the same 300-step training (`engine.recurrent_demos._fit`, no inspection) with the
  written-out cell (`cell="written"`) and with torch.nn.LSTM (`cell="fused"`), interleaved (who goes first flips
  every round); the ratio is the median of the per-round ratios of this thread's CPU time, so other load on a
  shared machine does not skew it, with the wall-clock ratio beside it. The page trains with the faster one.
- written/fused, forward only: one forward pass over a batch of 256 test sequences, the inspection's job.
- largest hidden-state gap: the largest difference between the two cells' hidden states on that batch, in float32.
"""

import statistics
import sys
import time

import torch

from bench.run import note, report, verdict
from engine.recurrent import SequenceNet, init_weights
from engine.recurrent_demos import GatesConfig, _fit, _test_set, run_gates
from engine.sequence_tasks import TASKS
from engine.trainer import Hooks

ROUNDS = 5
DEFAULT_TARGET_S = 5.0  # the default job, wall clock


def default_job() -> float:
    started = time.perf_counter()
    result = run_gates(GatesConfig())
    assert result.status == "finished", result.message
    return time.perf_counter() - started


def nets(config: GatesConfig) -> dict[str, SequenceNet]:
    """The two implementations with the same initial weights."""
    task = TASKS[config.task]
    fused = SequenceNet("lstm", task.inputs, config.hidden, task.classes, task.per_step)
    init_weights(fused, torch.Generator().manual_seed(config.seed), config.forget_bias)
    written = SequenceNet("lstm", task.inputs, config.hidden, task.classes, task.per_step, cell="written")
    written.load_state_dict(fused.state_dict())
    return {"fused": fused, "written": written}


def train_once(cell: str, config: GatesConfig) -> tuple[float, float]:
    """Wall and thread-CPU seconds of the default training with one implementation."""
    task = TASKS[config.task]
    net = nets(config)[cell]
    test = _test_set(task, config.length, config.seed, torch.device("cpu"))
    wall, cpu = time.perf_counter(), time.thread_time()
    outcome = _fit(net, task, config.length, config.steps, config.lr, config.batch,
                   torch.Generator().manual_seed(config.seed), test, Hooks())
    assert outcome.status == "finished"
    return time.perf_counter() - wall, time.thread_time() - cpu


def forward_once(net: SequenceNet, X: torch.Tensor) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.thread_time()
    with torch.no_grad():
        for _ in range(20):
            net(X)
    return (time.perf_counter() - wall) / 20, (time.thread_time() - cpu) / 20


def ratios(measure) -> tuple[float, float, dict[str, float]]:
    """Median per-round ratios written/fused (CPU, wall) and median CPU seconds of each, over ROUNDS rounds."""
    cpu_ratios, wall_ratios, seconds = [], [], {"fused": [], "written": []}
    for round_ in range(ROUNDS):
        order = ["written", "fused"] if round_ % 2 else ["fused", "written"]
        measured = {cell: measure(cell) for cell in order}
        cpu_ratios.append(measured["written"][1] / measured["fused"][1])
        wall_ratios.append(measured["written"][0] / measured["fused"][0])
        for cell in seconds:
            seconds[cell].append(measured[cell][1])
        note(f"  round {round_ + 1}: written {measured['written'][1]:.4f} s CPU, fused {measured['fused'][1]:.4f} s "
             f"CPU, ratio {cpu_ratios[-1]:.2f}")
    return statistics.median(cpu_ratios), statistics.median(wall_ratios), \
        {cell: statistics.median(v) for cell, v in seconds.items()}


def main() -> int:
    torch.set_num_threads(1)
    started = time.perf_counter()
    config = GatesConfig()
    rows = []
    default_job()  # first-call costs
    note(f"default job, {ROUNDS} runs")
    seconds = statistics.median(default_job() for _ in range(ROUNDS))
    rows.append(("default job (LSTM, T = 20, 16 units, 300 steps), s", f"{seconds:.2f}", f"≤ {DEFAULT_TARGET_S:g}",
                 verdict(seconds <= DEFAULT_TARGET_S)))

    note("training, written-out cell against torch.nn.LSTM")
    cpu, wall, medians = ratios(lambda cell: train_once(cell, config))
    rows.append(("written/fused time, 300 training steps", f"{cpu:.2f} (wall clock {wall:.2f}; CPU s "
                 f"{medians['written']:.2f} vs {medians['fused']:.2f})", "> 1: train fused", verdict(cpu > 1)))

    X, _ = _test_set(TASKS[config.task], config.length, config.seed, torch.device("cpu"))
    pair = nets(config)
    note("forward pass over the test set")
    cpu, wall, medians = ratios(lambda cell: forward_once(pair[cell], X))
    rows.append(("written/fused time, one forward pass of 256 sequences", f"{cpu:.2f} (wall clock {wall:.2f}; CPU ms "
                 f"{1000 * medians['written']:.2f} vs {1000 * medians['fused']:.2f})", "(inspection only)", "yes"))
    with torch.no_grad():
        gap = (pair["written"].rnn(X)[0] - pair["fused"].rnn(X)[0]).abs().max().item()
    rows.append(("largest hidden-state gap, written vs fused, float32", f"{gap:.1e}", "≤ 1e-5", verdict(gap <= 1e-5)))
    return report(rows, started)


if __name__ == "__main__":
    sys.exit(main())
