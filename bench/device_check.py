"""The app's path on a GPU, end to end: the device it picks, training through the job service's worker
processes, and the figures drawn from the results.

Run from the repository root on a machine with CUDA (not part of the test suite):

    PYTHONPATH=. python -m bench.device_check

For the Activation page's default network and the CNN page's default run, each submitted to the
job service exactly as a page does: the device the result names, its state, wall time, final
accuracy, whether every logged number is finite, and the figure built from it (the number of
traces and points, all finite). The same runs forced onto the CPU sit beside them. Exits 1 if a
check fails.
"""

import json
import math
import sys
import time
from dataclasses import replace

import numpy as np
import torch

from bench.run import note
from engine.activation_demo import MLPDemoConfig
from engine.activation_demo import run as run_mlp
from engine.cnn import CNNConfig, run_train
from engine.device import describe, pick_device
from jobs import RunnerSettings, make_runner
from jobs.runner import DONE


def finite_numbers(frame) -> bool:
    """No infinity anywhere, and the batch loss logged at every step (other columns may skip steps)."""
    numbers = frame.select_dtypes("number").to_numpy(dtype=float)
    return bool(numbers.size) and not np.isinf(numbers).any() and bool(np.isfinite(frame["batch_loss"]).all())


def figure_points(fig) -> tuple[int, int, bool]:
    """(traces, points drawn, no infinity and something drawn in every trace) of a Plotly figure."""
    points, finite = 0, bool(fig.data)
    for trace in fig.data:
        y = np.asarray([np.nan if v is None else v for v in trace.y], dtype=float)
        points += int(np.isfinite(y).sum())
        finite &= not np.isinf(y).any() and bool(np.isfinite(y).any())
    return len(fig.data), points, finite


def checks(runner, device: str) -> list[dict]:
    from charts.cnn import live_figure
    from charts.training import loss_figure

    rows = []
    for name, task, config, figure in (
            ("activation network", run_mlp, replace(MLPDemoConfig(), device=device), loss_figure),
            ("CNN on MNIST digits", run_train, replace(CNNConfig(), device=device), live_figure)):
        started = time.perf_counter()
        job = runner.wait(runner.submit(f"check-{device}", task, config), timeout=300)
        wall = time.perf_counter() - started
        result = job.result
        traces, points, finite_fig = figure_points(figure(result.history)) if result is not None else (0, 0, False)
        accuracy = getattr(result, "accuracy", None)
        if accuracy is None and result is not None and "test_acc" in result.history:
            accuracy = float(result.history["test_acc"].iloc[-1])
        rows.append({"run": name, "asked": device, "state": job.state, "error": job.error,
                     "trained on": getattr(result, "device", None), "wall_s": round(wall, 2),
                     "train_s": round(getattr(result, "seconds", math.nan), 2),
                     "test accuracy": None if accuracy is None else round(float(accuracy), 4),
                     "history finite": result is not None and finite_numbers(result.history),
                     "figure": f"{traces} traces, {points} points", "figure finite": finite_fig})
        note(json.dumps(rows[-1]))
    return rows


def main() -> int:
    picked = pick_device()
    note(f"torch {torch.__version__}; picked device: {describe(picked)}")
    if picked.type != "cuda":
        print("No CUDA device here: nothing to check.")
        return 1
    runner = make_runner(RunnerSettings(workers=2, job_timeout_s=300),
                         preload=("engine.activation_demo", "engine.cnn"))
    try:
        rows = checks(runner, "cuda") + checks(runner, "cpu")
    finally:
        runner.shutdown()
    print(f"torch {torch.__version__}, picked: {describe(picked)}\n")
    print("| " + " | ".join(rows[0]) + " |\n|" + "---|" * len(rows[0]))
    for row in rows:
        print("| " + " | ".join(str(v) for v in row.values()) + " |")
    ok = all(r["state"] == DONE and r["history finite"] and r["figure finite"] for r in rows) and all(
        r["trained on"].startswith("cuda") for r in rows if r["asked"] == "cuda")
    print("\nall checks passed" if ok else "\nA CHECK FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
