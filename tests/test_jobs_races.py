"""Races: many learners submitting, stopping and watching at once, on both executors.

A watched executor sits between the service and the real one and checks what the service
asks of it: never more runs than slots, every run finished once, identical runs never twice.
"""

import multiprocessing
import os
import signal
import threading
import time
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from jobs import RunnerSettings, ServerBusy
from jobs.executor import Executor
from jobs.process_executor import ProcessExecutor
from jobs.runner import CANCELLED, DONE, FINAL, QUEUED, RUNNING, task_key
from jobs.service import JobService
from jobs.thread_executor import ThreadExecutor
from tests.job_tasks import polite_count, stubborn_sleep, tagged_count, together, wait_for, whose_pid

EXECUTORS = {"thread": ThreadExecutor, "process": ProcessExecutor}
SETTINGS = RunnerSettings(workers=2, max_queued=2, job_timeout_s=5.0, stop_grace_s=0.2)
STEPS = [3, 12, 30]  # polite steps of 10 ms; and one run that ignores stop requests



class Watched(Executor):
    """An executor that records what the service asks of it and what it reports back."""

    def __init__(self, inner: type, settings: RunnerSettings, events):
        self.events, self.lock = events, threading.Lock()
        self.flying: dict[str, tuple] = {}  # run id -> task key
        self.ever_started, self.ever_stopped = set(), set()
        self.most_flying, self.faults = 0, []
        self.inner = inner(settings, self)
        self.slots = self.inner.slots

    def start(self, run_id, fn, config, give_way_s):
        with self.lock:
            if run_id in self.ever_started:
                self.faults.append(f"run {run_id} started twice")
            self.flying[run_id] = task_key(fn, config)
            self.ever_started.add(run_id)
            self.most_flying = max(self.most_flying, len(self.flying))
        self.inner.start(run_id, fn, config, give_way_s)

    def stop(self, run_id):
        with self.lock:
            self.ever_stopped.add(run_id)
        self.inner.stop(run_id)

    def shutdown(self):
        self.inner.shutdown()

    def started(self, run_id):
        self.events.started(run_id)

    def progress(self, run_id, rows):
        self.events.progress(run_id, rows)

    def finished(self, run_id, outcome):
        with self.lock:
            if run_id not in self.flying:
                self.faults.append(f"run {run_id} finished twice, or without being started")
            self.flying.pop(run_id, None)
        self.events.finished(run_id, outcome)

    def live_keys(self) -> list[tuple]:
        """Task keys of the runs in flight that nobody has asked to stop."""
        with self.lock:
            return [key for run_id, key in self.flying.items() if run_id not in self.ever_stopped]


def watched_service(backend: str, **changes) -> tuple[JobService, Watched]:
    """A service on the named executor, watched."""
    settings = replace(SETTINGS, **changes)
    service = JobService(settings, lambda events: Watched(EXECUTORS[backend], settings, events))
    return service, service.executor


class Classroom(RuleBasedStateMachine):
    """Learners clicking at once; after every burst the service must still keep its promises."""

    service: JobService = None
    spy: Watched = None

    def __init__(self):
        super().__init__()
        self.tickets: dict[str, tuple[str, tuple]] = {}  # job id -> (owner, task key)
        self.final: dict[str, str] = {}  # job id -> the final state first seen
        self.busy_waiting: list[int] = []
        self.prefix = f"{time.monotonic_ns()}-"  # fresh learners and runs for every example

    @rule(clicks=st.lists(st.tuples(st.integers(0, 4), st.sampled_from(["submit", "stop", "look"]),
                                    st.integers(0, len(STEPS))), min_size=1, max_size=8))
    def burst(self, clicks):
        raised = [r for r in together([lambda click=click: self.click(*click) for click in clicks])
                  if isinstance(r, Exception)]
        assert not raised, raised

    @precondition(lambda self: self.tickets)
    @rule(seconds=st.sampled_from([0.0, 0.05, 0.2]))
    def pause(self, seconds):
        time.sleep(seconds)

    def click(self, learner: int, verb: str, config: int) -> None:
        owner = f"{self.prefix}{learner}"
        mine = [job_id for job_id, (who, _) in list(self.tickets.items()) if who == owner]
        if verb == "submit":
            fn, arg = (tagged_count, (self.prefix, STEPS[config])) if config < len(STEPS) else (stubborn_sleep, 0.15)
            try:
                self.tickets[self.service.submit(owner, fn, arg)] = (owner, task_key(fn, arg))
            except ServerBusy as busy:
                self.busy_waiting.append(busy.waiting)
        elif mine and verb == "stop":
            self.service.cancel(mine[config % len(mine)])
        elif mine:
            self.service.job(mine[config % len(mine)])

    @invariant()
    def the_executor_never_has_more_runs_than_slots_nor_finishes_one_twice(self):
        assert self.spy.most_flying <= self.spy.slots and not self.spy.faults

    @invariant()
    def busy_is_only_said_when_the_queue_is_full(self):
        assert all(waiting >= SETTINGS.max_queued for waiting in self.busy_waiting)

    @invariant()
    def identical_runs_are_never_trained_twice_at_once(self):
        keys = self.spy.live_keys()
        assert len(keys) == len(set(keys))

    @invariant()
    def each_learner_has_at_most_one_live_job_and_every_live_run_has_a_learner(self):
        jobs = {job_id: self.service.job(job_id) for job_id in list(self.tickets)}
        live = [job_id for job_id, job in jobs.items() if job.state in (QUEUED, RUNNING)]
        owners = [self.tickets[job_id][0] for job_id in live]
        assert len(owners) == len(set(owners))
        watched = {self.tickets[job_id][1] for job_id in live}
        assert set(self.spy.live_keys()) <= watched  # read after the jobs: runs only end meanwhile

    @invariant()
    def a_final_state_never_changes(self):
        for job_id in list(self.tickets):
            state = self.service.job(job_id).state
            if job_id in self.final:
                assert state == self.final[job_id]
            elif state in FINAL:
                self.final[job_id] = state

    def teardown(self):
        for job_id in list(self.tickets):
            self.service.cancel(job_id)
        for job_id in list(self.tickets):
            assert self.service.wait(job_id, timeout=15).settled
        wait_for(lambda: not self.spy.flying, timeout=15)


@pytest.fixture(scope="module", params=["thread", "process"])
def classroom(request):
    service, spy = watched_service(request.param)
    Classroom.service, Classroom.spy = service, spy
    yield request.param
    service.shutdown()


@pytest.mark.timeout(120)
def test_a_class_clicking_at_once_never_breaks_the_services_promises(classroom):
    examples = 12 if classroom == "thread" else 6
    run_state_machine_as_test(Classroom, settings=settings(
        max_examples=examples, stateful_step_count=6, deadline=None, database=None,
        phases=[Phase.generate], suppress_health_check=list(HealthCheck)))  # shrinking real threads takes minutes


@pytest.mark.parametrize("backend", ["thread", "process"])
def test_a_stop_racing_its_own_submit_always_stops_the_run(backend):
    service, spy = watched_service(backend, max_queued=64)  # runs still stopping hold their slots
    try:
        tickets = []

        def submit_then_stop(i):
            job_id = service.submit(f"racer{i}", polite_count, 100_000 + i)
            tickets.append(job_id)
            service.cancel(job_id)

        for round_ in range(3):
            results = together([lambda i=i: submit_then_stop(round_ * 4 + i) for i in range(4)]
                               + [lambda: [service.job(t) for t in list(tickets)]] * 2)
            assert not [r for r in results if isinstance(r, Exception)]
        assert all(service.wait(t, timeout=15).state == CANCELLED for t in tickets)
        assert spy.ever_started <= spy.ever_stopped
        wait_for(lambda: not spy.flying, timeout=15)
    finally:
        service.shutdown()


def live_workers() -> int:
    """Worker processes alive in this test session, of any service."""
    return sum(p.name == "dllab-worker" for p in multiprocessing.active_children())


def test_killing_every_worker_while_learners_submit_leaves_exactly_a_full_pool():
    others = live_workers()
    service, spy = watched_service("process")
    try:
        wait_for(lambda: all(w.ready for w in spy.inner._workers), timeout=60)
        tickets = []

        def kill_all():
            for pid in spy.inner.worker_pids():
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:  # killed in the round before, not yet replaced
                    pass

        for round_ in range(2):
            results = together([kill_all] + [lambda i=i: tickets.append(service.submit(f"k{round_}-{i}",
                                                                                       polite_count, 5 + i))
                                             for i in range(4)])
            assert not [r for r in results if isinstance(r, Exception)]
        assert all(service.wait(t, timeout=60).settled for t in tickets)
        assert service.wait(service.submit("after", polite_count, 2), timeout=60).state == DONE
        # a worker killed while starting up is replaced after a pause
        wait_for(lambda: len(spy.inner.worker_pids()) == SETTINGS.workers, timeout=30)
        assert live_workers() - others == SETTINGS.workers
    finally:
        service.shutdown()


def test_stopping_runs_the_moment_they_start_never_kills_a_worker():
    service, spy = watched_service("process", stop_grace_s=30.0)  # any kill here would be a wrongful one
    try:
        wait_for(lambda: all(w.ready for w in spy.inner._workers), timeout=60)
        before = sorted(spy.inner.worker_pids())
        for i in range(10):
            job_id = service.submit("quick", whose_pid, i)
            service.cancel(job_id)
            assert service.wait(job_id, timeout=20).state == CANCELLED
        assert sorted(spy.inner.worker_pids()) == before
    finally:
        service.shutdown()
