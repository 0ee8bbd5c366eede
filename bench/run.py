"""Benchmarks of the training engine and the job runner, printed as one Markdown table.

Run from the repository root (about a minute; not part of the test suite):

    PYTHONPATH=. python -m bench.run

Progress notes go to stderr; stdout is a machine header line and the table. Rows:

- engine/bare, full batch | batch 32: steps per second of `engine.trainer.train()` divided by
  steps per second of a hand-written PyTorch loop (forward, loss, zero_grad, backward, step; for
  batch 32 a randperm per epoch and slicing) on the same MLP 2-16-16-2 (ReLU), 1,000 moons points
  and Adam. One torch thread, engine and bare runs interleaved, median of the per-round ratios.
  The ratio is of CPU steps/s (this thread's CPU time), so other load on a shared machine does
  not skew it; the wall-clock ratio is shown beside it. The engine gets no `measure` callback,
  but keeps its per-step checks (stop request, deadline, a finite loss).
- first progress: submit -> first progress report of a default `MLPDemoConfig` job (new seed each
  time), on a warm 2-worker pool. Median.
- job finished: submit -> done for those same jobs. Median.
- cache hit: `submit` + `job()` of a config that already finished; must come back done and cached.
- 8 sessions p50 | p95: owners s0..s7 submit a default job each (distinct seeds) at once to
  2 workers; submit -> done per job. "8 sessions finished" counts how many finished.
- memory rows: resident memory (RSS) of this server process and of each child process of the
  runner, by role; "unique" is USS, the memory no other process shares (forked workers share
  torch's pages with the forkserver, so summing RSS overcounts).
"""

import copy
import os
import platform
import statistics
import sys
import time

import psutil
import torch
from torch import nn

from engine.activation_demo import MLPDemoConfig, run
from engine.datasets import make_split
from engine.device import describe, pick_device
from engine.models import MLP, init_uniform
from engine.trainer import TrainSettings, train
from jobs import make_runner
from jobs.runner import DONE
from jobs.settings import RunnerSettings

ROUNDS = 5  # interleaved engine/bare rounds per case
ENGINE_CASES = (("full batch", 0, 2000), ("batch 32", 32, 2000))  # (label, batch_size, steps)
LATENCY_JOBS = 5
CACHE_JOBS = 3
SESSIONS = 8
WORKERS = 2
POLL_S = 0.002
MiB = 2**20

Row = tuple[str, str, str, str]  # benchmark | measured | target | ok


def note(message: str) -> None:
    """Print a progress note to stderr, keeping stdout for the table."""
    print(message, file=sys.stderr, flush=True)


def verdict(passed: bool) -> str:
    """The ok column."""
    return "yes" if passed else "**no**"


# --- 1. engine overhead ----------------------------------------------------------------


def engine_fixture() -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    """The MLP 2-16-16-2 (ReLU), freshly initialised, and 1,000 moons points."""
    g = torch.Generator().manual_seed(0)
    data = make_split("moons", 1000, 0.1, 2, 0.0, g)
    X = torch.cat([data.X_train, data.X_test])
    y = torch.cat([data.y_train, data.y_test])
    net = MLP(2, 16, ("relu", "relu"), 2)
    init_uniform(net, g)
    return net, X, y


def engine_loop(net: nn.Module, X: torch.Tensor, y: torch.Tensor, batch_size: int, steps: int) -> None:
    """The engine's train() with no measure callback and no reports but the first and last."""
    settings = TrainSettings(steps=steps, batch_size=batch_size, optimizer="adam", lr=0.01, report_every=steps + 1)
    outcome = train(net, X, y, nn.functional.cross_entropy, settings, torch.Generator().manual_seed(1))
    assert outcome.status == "finished", outcome.message


def bare_loop(net: nn.Module, X: torch.Tensor, y: torch.Tensor, batch_size: int, steps: int) -> None:
    """A hand-written PyTorch loop doing the same work."""
    optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
    generator = torch.Generator().manual_seed(1)
    loss_fn = nn.functional.cross_entropy
    if batch_size <= 0:
        for _ in range(steps):
            loss = loss_fn(net(X), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        return
    step, n = 0, len(X)
    while step < steps:
        order = torch.randperm(n, generator=generator)
        for first in range(0, n, batch_size):
            if step == steps:
                return
            idx = order[first:first + batch_size]
            loss = loss_fn(net(X[idx]), y[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1


def steps_per_s(loop, net: nn.Module, X: torch.Tensor, y: torch.Tensor, batch_size: int,
                steps: int) -> tuple[float, float]:
    """Steps per second of one loop run, by the wall clock and by this thread's CPU time."""
    wall, cpu = time.perf_counter(), time.thread_time()
    loop(net, X, y, batch_size, steps)
    return steps / (time.perf_counter() - wall), steps / (time.thread_time() - cpu)


def engine_case(label: str, batch_size: int, steps: int) -> Row:
    """Interleave engine and bare runs; report the median ratio of their step rates."""
    template, X, y = engine_fixture()
    for loop in (engine_loop, bare_loop):  # first-call costs
        loop(copy.deepcopy(template), X, y, batch_size, 200)
    rates: dict[str, list[float]] = {"engine": [], "bare": []}
    cpu_ratios, wall_ratios = [], []
    for round_ in range(ROUNDS):
        runs = [("engine", engine_loop), ("bare", bare_loop)]
        if round_ % 2:  # alternate who goes first, so drift does not favour one side
            runs.reverse()
        rate = {name: steps_per_s(loop, copy.deepcopy(template), X, y, batch_size, steps) for name, loop in runs}
        rates["engine"].append(rate["engine"][1])
        rates["bare"].append(rate["bare"][1])
        wall_ratios.append(rate["engine"][0] / rate["bare"][0])
        cpu_ratios.append(rate["engine"][1] / rate["bare"][1])
    ratio = statistics.median(cpu_ratios)
    measured = (f"{ratio:.3f} (wall clock {statistics.median(wall_ratios):.3f}; CPU steps/s "
                f"{statistics.median(rates['engine']):,.0f} vs {statistics.median(rates['bare']):,.0f})")
    return (f"engine/bare steps/s, {label}", measured, "≥ 0.9", verdict(ratio >= 0.9))


def engine_rows() -> list[Row]:
    """Both engine-overhead cases, with one torch thread."""
    torch.set_num_threads(1)
    rows = []
    for label, batch_size, steps in ENGINE_CASES:
        note(f"engine overhead: {label} ({ROUNDS} rounds of {steps} steps each side)")
        rows.append(engine_case(label, batch_size, steps))
    return rows


# --- 2-4. the job runner ---------------------------------------------------------------


class Seeds:
    """Distinct seeds, so the result cache never answers unless asked to."""

    def __init__(self, start: int = 1000):
        self.next = start

    def __call__(self) -> int:
        self.next += 1
        return self.next


def track(runner, job_ids: list[str], submitted: list[float], timeout: float = 60.0) -> list[tuple]:
    """Poll jobs every POLL_S; per job (seconds to first progress, seconds to settled, final snapshot)."""
    first: dict[str, float] = {}
    settled: dict[str, tuple[float, object]] = {}
    deadline = time.perf_counter() + timeout
    while len(settled) < len(job_ids) and time.perf_counter() < deadline:
        for job_id, t0 in zip(job_ids, submitted, strict=True):
            if job_id in settled:
                continue
            job = runner.job(job_id)
            now = time.perf_counter()
            if job_id not in first and job.progress:
                first[job_id] = now - t0
            if job.settled:
                settled[job_id] = (now - t0, job)
        time.sleep(POLL_S)
    return [(first.get(j), *settled.get(j, (None, runner.job(j)))) for j in job_ids]


def warm_up(runner, seeds: Seeds) -> None:
    """Run one throwaway job, then give the other worker time to finish its own warm-up."""
    job = runner.wait(runner.submit("warm-up", run, MLPDemoConfig(seed=seeds())), timeout=60)
    assert job.state == DONE, job
    time.sleep(2.0)


def latency_rows(runner, seeds: Seeds) -> list[Row]:
    """Submit -> first progress and submit -> done, one default job at a time."""
    firsts, totals = [], []
    for _ in range(LATENCY_JOBS):
        t0 = time.perf_counter()
        job_id = runner.submit("latency", run, MLPDemoConfig(seed=seeds()))
        [(first, total, job)] = track(runner, [job_id], [t0])
        assert job.state == DONE and not job.cached, job
        firsts.append(first)
        totals.append(total)
    first, total = statistics.median(firsts), statistics.median(totals)
    return [
        (f"first progress, warm pool (median of {LATENCY_JOBS})",
         f"{first * 1000:.0f} ms (range {min(firsts) * 1000:.0f}–{max(firsts) * 1000:.0f})",
         "≤ 300 ms", verdict(first <= 0.3)),
        (f"default job finished, warm pool (median of {LATENCY_JOBS})",
         f"{total:.2f} s (range {min(totals):.2f}–{max(totals):.2f})", "≤ 3 s", verdict(total <= 3.0)),
    ]


def cache_row(runner, seeds: Seeds) -> Row:
    """Time submit + job() of a config that has already finished once."""
    times = []
    for _ in range(CACHE_JOBS):
        config = MLPDemoConfig(seed=seeds())
        assert runner.wait(runner.submit("cache", run, config), timeout=60).state == DONE
        t0 = time.perf_counter()
        job = runner.job(runner.submit("cache", run, config))
        times.append(time.perf_counter() - t0)
        assert job.state == DONE and job.cached, job
    median = statistics.median(times)
    return (f"cache hit, submit + job() (median of {CACHE_JOBS})", f"{median * 1000:.3f} ms",
            "≤ 10 ms", verdict(median <= 0.010))


def fairness_rows(runner, seeds: Seeds) -> list[Row]:
    """SESSIONS owners submit a default job at once; submit -> done per job."""
    job_ids, submitted = [], []
    for i in range(SESSIONS):
        submitted.append(time.perf_counter())
        job_ids.append(runner.submit(f"s{i}", run, MLPDemoConfig(seed=seeds())))
    results = track(runner, job_ids, submitted, timeout=120)
    totals = sorted(total for _, total, job in results if total is not None and job.state == DONE)
    done = len(totals)
    p50 = statistics.median(totals) if totals else float("nan")
    p95 = statistics.quantiles(totals, n=20, method="inclusive")[18] if len(totals) > 1 else float("nan")
    return [
        (f"{SESSIONS} sessions at once on {WORKERS} workers, p50 / p95 finished",
         f"{p50:.2f} s / {p95:.2f} s", "—", "—"),
        (f"{SESSIONS} sessions at once: finished", f"{done}/{SESSIONS}", f"{SESSIONS}/{SESSIONS}",
         verdict(done == SESSIONS)),
    ]


# --- 5. memory -------------------------------------------------------------------------


def _memory(process: psutil.Process) -> tuple[float, float | None]:
    """RSS and USS (None where the platform will not say) in MiB."""
    rss = process.memory_info().rss / MiB
    try:
        uss = process.memory_full_info().uss / MiB
    except (psutil.AccessDenied, AttributeError):
        uss = None
    return rss, uss


def _role(child: psutil.Process, forkserver_pids: set[int]) -> str:
    """A short label for a child of the server: forkserver, worker, ..."""
    cmdline = " ".join(child.cmdline())
    if "forkserver" in cmdline and child.ppid() not in forkserver_pids:
        return "forkserver"
    if "resource_tracker" in cmdline:
        return "resource tracker"
    if child.ppid() in forkserver_pids:
        return "worker"
    return f"child ({cmdline[:40]})"


def memory_rows(runner) -> list[Row]:
    """RSS (and unique USS) of the server and of every process under it."""
    me = psutil.Process()
    children = me.children(recursive=True)
    forkserver_pids = {c.pid for c in children
                       if c.ppid() == me.pid and "forkserver" in " ".join(c.cmdline())}
    processes = [("server (this process)", me)]
    processes += sorted(((_role(c, forkserver_pids), c) for c in children),
                        key=lambda item: (item[0], item[1].pid))
    rows, total_rss, total_uss = [], 0.0, 0.0
    for role, process in processes:
        try:
            rss, uss = _memory(process)
        except psutil.NoSuchProcess:
            continue
        total_rss += rss
        total_uss += uss or 0.0
        unique = f", unique {uss:.0f} MiB" if uss is not None else ""
        rows.append((f"memory: {role}, pid {process.pid}", f"RSS {rss:.0f} MiB{unique}", "—", "—"))
    rows.append((f"memory: total of {len(rows)} processes",
                 f"RSS {total_rss:.0f} MiB (overcounts shared pages), unique {total_uss:.0f} MiB", "—", "—"))
    return rows


# --- the table -------------------------------------------------------------------------


def runner_rows() -> list[Row]:
    """Latency, cache, fairness and memory rows from one runner, always shut down."""
    note(f"starting the runner ({WORKERS} workers) and warming it up")
    runner = make_runner(RunnerSettings(workers=WORKERS), preload=("engine.activation_demo",),
                         warmup=((run, MLPDemoConfig(points=40, train=TrainSettings(steps=2))),))
    seeds = Seeds()
    try:
        warm_up(runner, seeds)
        note(f"job latency: {LATENCY_JOBS} default jobs, one at a time")
        rows = latency_rows(runner, seeds)
        note(f"cache: {CACHE_JOBS} repeated configs")
        rows.append(cache_row(runner, seeds))
        note(f"fairness: {SESSIONS} sessions at once")
        rows += fairness_rows(runner, seeds)
        rows += memory_rows(runner)
        return rows
    finally:
        runner.shutdown()


def header() -> str:
    """One line describing the machine."""
    return (f"Machine: {os.cpu_count()} CPUs, {platform.machine()}, Python {platform.python_version()}, "
            f"torch {torch.__version__}, device {describe(pick_device())}")


def table(rows: list[Row]) -> str:
    """The rows as a Markdown table."""
    lines = ["| benchmark | measured | target | ok |", "|---|---|---|---|"]
    lines += [f"| {' | '.join(row)} |" for row in rows]
    return "\n".join(lines)


def report(rows: list[tuple], started: float) -> int:
    """Print the machine header and the rows' table; note how long the whole run took (from `started`)."""
    print(header())
    print()
    print(table(rows))
    note(f"done in {time.perf_counter() - started:.0f} s")
    return 0


def main() -> int:
    """Run every benchmark and print the header and table."""
    started = time.perf_counter()
    return report(engine_rows() + runner_rows(), started)


if __name__ == "__main__":
    sys.exit(main())
