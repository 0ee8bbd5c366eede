"""Load figures for the job service: a class on one server, reported, not asserted.

Run from the repository root (three to five minutes; not part of the test suite):

    PYTHONPATH=. python -m bench.jobs_load

Every scenario uses the real worker processes and the Activation page's demo, with the
server's settings from the environment (the defaults unless DLLAB_* variables are set).
Learners are threads that submit like the page does and read their job every POLL_S, as
the page's live view does. Rows:

- 20 identical submissions at once: 20 learners open the same lesson link together (one
  config nobody ran before). Real runs started, "server busy" answers, seconds until all 20
  have the result, and how many saw live progress before it.
- 40 learners, different configs: 40 learners each submit the default demo with their own
  seed, all at once. p50 / p95 seconds to the result, failures (busy answers, or a run that
  did not end done), the queue positions they were shown, and the server's memory.
- largest job beside 10 learners: 10 learners each train the default demo ROUNDS times (new
  seed each time, straight after their last result); their p95 seconds to a result, alone,
  and while one more learner submits the largest job the page allows, again as soon as each
  one ends. Measured for these settings and for the design before (one worker per core, long
  runs not giving way), taking turns PHASES times so that other load on the machine falls on
  both alike.
"""

import math
import statistics
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import partial

import psutil

from bench.run import Row, Seeds, header, memory_rows, note, table, verdict
from engine.activation_demo import MLPDemoConfig, run
from engine.trainer import TrainSettings
from jobs import RunnerSettings, ServerBusy, make_runner
from jobs.runner import DONE, QUEUED
from jobs.settings import usable_cores

POLL_S = 0.3  # the page's live view reads its job this often
CLASS = 20
LEARNERS = 40
OTHERS = 10
ROUNDS = 2
PHASES = 3  # turns of alone / beside, for each setting compared
TINY = MLPDemoConfig(points=40, train=TrainSettings(steps=2))
LARGEST = MLPDemoConfig(activations=("maxout",) * 8, width=64, maxout_k=6,
                        train=TrainSettings(steps=3000, batch_size=8))  # the page's upper limits


class Learner:
    """One browser session: submits, then reads its job every POLL_S until it is settled."""

    def __init__(self, runner, name: str):
        self.runner, self.name = runner, name
        self.busy = 0
        self.job_id = ""
        self.first_look = ""  # what the page showed right after the click: a state, or "busy"
        self.positions: list[int] = []
        self.saw_progress = False

    def train(self, config: MLPDemoConfig, timeout: float = 300.0) -> tuple[float, str]:
        """Seconds from the click to a settled job, and its final state ("busy" if never accepted)."""
        clicked = time.perf_counter()
        try:
            self.job_id = self.runner.submit(self.name, run, config)
        except ServerBusy:
            self.busy += 1
            self.first_look = self.first_look or "busy"
            return time.perf_counter() - clicked, "busy"
        while time.perf_counter() - clicked < timeout:
            job = self.runner.job(self.job_id)
            self.first_look = self.first_look or job.state
            if job.state == QUEUED:
                self.positions.append(job.position)
            if job.settled:
                return time.perf_counter() - clicked, job.state
            self.saw_progress |= bool(job.progress)
            time.sleep(POLL_S)
        return time.perf_counter() - clicked, "no answer"


def together(calls: list[Callable]) -> list:
    """Each call on its own thread, all released at the same moment; their results in order."""
    barrier = threading.Barrier(len(calls))

    def released(call: Callable):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(released, call) for call in calls]
    return [future.result() for future in futures]


def p(values: list[float], percent: int) -> float:
    """The percentile, by the inclusive method; nan for no values."""
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


def one_link_rows(runner, seeds: Seeds) -> list[Row]:
    """CLASS learners submit one config at the same moment."""
    learners = [Learner(runner, f"class{i}") for i in range(CLASS)]
    config = MLPDemoConfig(seed=seeds())
    before = runner.runs_started
    results = together([partial(learner.train, config) for learner in learners])
    runs = runner.runs_started - before
    busy = sum(learner.busy for learner in learners)
    done = sum(state == DONE for _, state in results)
    live = sum(learner.saw_progress for learner in learners)
    return [
        (f"{CLASS} identical submissions at once: real runs, busy answers", f"{runs} run, {busy} busy",
         "1 run, 0 busy", verdict(runs == 1 and busy == 0)),
        (f"{CLASS} identical: all {CLASS} have the result after", f"{max(t for t, _ in results):.2f} s "
         f"({done}/{CLASS} done, {live}/{CLASS} saw live progress)", "—", verdict(done == CLASS)),
    ]


def many_configs_rows(runner, seeds: Seeds) -> list[Row]:
    """LEARNERS learners submit their own default demo at the same moment."""
    learners = [Learner(runner, f"many{i}") for i in range(LEARNERS)]
    configs = [MLPDemoConfig(seed=seeds()) for _ in learners]
    results = together([partial(learner.train, config) for learner, config in zip(learners, configs, strict=True)])
    times = [t for t, state in results if state == DONE]
    failures = sum(state != DONE for _, state in results)
    positions = [pos for learner in learners for pos in learner.positions]
    looks = {look: sum(learner.first_look == look for learner in learners)
             for look in dict.fromkeys(learner.first_look for learner in learners)}
    shown = LEARNERS - looks.get("busy", 0)
    return [
        (f"{LEARNERS} learners, different configs: p50 / p95 to result", f"{p(times, 50):.1f} s / {p(times, 95):.1f} s",
         "—", "—"),
        (f"{LEARNERS} learners: failures; right after the click, saw",
         f"{failures} failures; " + ", ".join(f"{n} {look}" for look, n in looks.items()),
         "0; none busy", verdict(failures == 0 and shown == LEARNERS)),
        (f"{LEARNERS} learners: queue positions shown", f"{min(positions, default=0)}–{max(positions, default=0)}",
         "—", "—"),
        (f"{LEARNERS} learners: memory of the server and its workers", memory_rows(runner)[-1][1], "—", "—"),
    ]


def others_train(runner, seeds: Seeds, label: str) -> list[float]:
    """OTHERS learners train the default demo ROUNDS times each, back to back; seconds to each result."""
    learners = [Learner(runner, f"{label}{i}") for i in range(OTHERS)]
    times: list[float] = []

    def rounds(learner: Learner) -> None:
        for _ in range(ROUNDS):
            seconds, state = learner.train(MLPDemoConfig(seed=seeds()))
            if state == DONE:
                times.append(seconds)

    together([partial(rounds, learner) for learner in learners])
    return times


def keep_training(learner: Learner, seeds: Seeds, stop: threading.Event, log: list) -> None:
    """Submit the largest allowed job again and again until told to stop; log how each ended."""
    while not stop.is_set():
        log.append(learner.train(replace(LARGEST, seed=seeds())))


def beside_the_largest(runner, seeds: Seeds, label: str, log: list) -> list[float]:
    """others_train while one more learner keeps the largest job going."""
    heavy, stop = Learner(runner, f"heavy{label}"), threading.Event()
    thread = threading.Thread(target=keep_training, args=(heavy, seeds, stop, log))
    thread.start()
    time.sleep(1.0)  # its run has taken a worker
    times = others_train(runner, seeds, label)
    stop.set()
    runner.cancel(heavy.job_id)
    thread.join()
    return times


def fairness_rows(runners: dict[str, object]) -> list[Row]:
    """Per setting, the others' times to a result alone and beside a learner who keeps the largest job going.

    Settings and phases take turns, PHASES times, so that load from outside the bench falls on all of them.
    """
    seeds = Seeds(1_000_000)
    times = {label: ([], [], []) for label in runners}  # alone, beside, how the largest jobs ended
    for phase in range(PHASES):
        for label, runner in runners.items():
            alone, beside, log = times[label]
            alone += others_train(runner, seeds, f"alone{phase}-")
            beside += beside_the_largest(runner, seeds, f"beside{phase}-", log)
    return [fairness_row(label, *times[label]) for label in runners]


def fairness_row(label: str, alone: list[float], beside: list[float], log: list) -> Row:
    worse = p(beside, 95) / p(alone, 95) - 1
    ends = ", ".join(f"{state} after {t:.0f} s" for t, state in log)
    return (f"{OTHERS} learners' p95 to result, alone / beside the largest job: {label}",
            f"{p(alone, 95):.1f} s / {p(beside, 95):.1f} s ({worse:+.0%}); p50 {p(alone, 50):.1f} s / "
            f"{p(beside, 50):.1f} s; largest jobs: {ends}", "≤ +20%", verdict(worse <= 0.2))


def started_runner(settings: RunnerSettings):
    """A runner as the server starts it, with every worker warm."""
    runner = make_runner(settings, preload=("engine.activation_demo",), warmup=((run, TINY),))
    warm = [runner.submit(f"warm-up{i}", run, MLPDemoConfig(seed=900_000 + i)) for i in range(settings.workers)]
    for job_id in warm:
        runner.wait(job_id, timeout=120)
    return runner


def main() -> int:
    """Start a server's runner, run each scenario, print the header and table."""
    started = time.perf_counter()
    settings = RunnerSettings.from_env()
    before = replace(settings, workers=usable_cores(), long_run_s=math.inf)
    note(f"starting the runner: {settings.workers} workers, {settings.max_queued} may wait")
    runner, seeds = started_runner(settings), Seeds()
    try:
        note(f"{CLASS} identical submissions")
        rows = one_link_rows(runner, seeds)
        note(f"{LEARNERS} learners with their own configs")
        rows += many_configs_rows(runner, seeds)
        note(f"{OTHERS} learners, {ROUNDS} rounds each, alone and beside the largest job, {PHASES} times")
        compared = started_runner(before)
        try:
            rows += fairness_rows({"these settings": runner,
                                   f"{before.workers} workers, no giving way (the design before)": compared})
        finally:
            compared.shutdown()
    finally:
        runner.shutdown()
    load = " ".join(f"{x:.1f}" for x in psutil.getloadavg())
    print(f"{header()}\nLoad average at the end: {load}; workers {settings.workers}, queue {settings.max_queued}, "
          f"job limit {settings.job_timeout_s:g} s, long runs give way after {settings.long_run_s:g} s")
    print(f"\n{table(rows)}")
    note(f"done in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
