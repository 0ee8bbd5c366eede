"""The default executor: worker processes forked from a forkserver, one run each at a time.

Workers fork from a clean server process that imported the preload modules (torch, say) once,
never from this threaded server, and warm up before they say they are ready. Each worker has
its own pipe, so a worker killed mid-message, or a large result, holds up nobody else. One
thread here reads every pipe, keeps the time limits and replaces workers that end; nothing
else ever starts a worker, so two replacements can never race.
"""

import atexit
import logging
import math
import multiprocessing
import pickle
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from multiprocessing.connection import Connection, wait
from typing import Any

from jobs import worker
from jobs.executor import Events, Executor, Outcome
from jobs.runner import CANCELLED, FAILED, TIMED_OUT
from jobs.settings import RunnerSettings
from jobs.task import outcome_of, time_budget, timeout_sentence

log = logging.getLogger(__name__)
FORKSERVER_PRELOAD = ("jobs.forkserver_setup", "jobs.worker")
IDLE_WAKE_S = 0.5  # longest sleep of the executor's thread when no limit is due
RESPAWN_PAUSE_S = 1.0  # after a worker dies before it was ready, so that a broken setup does not spin
FAILED_STARTS = 3  # workers in a row that fail to start or die before they are ready: waiting runs fail
READY_WITHIN_S = 120.0  # a worker still warming up after this long is stuck, and is replaced
WORKER_DIED = ("The training process ended unexpectedly; the server may be short of memory. "
               "Try again, or try a smaller network.")
NO_WORKER = "No training worker could take this run. Try again in a moment."


@dataclass(eq=False)
class _Worker:
    process: multiprocessing.process.BaseProcess
    conn: Connection
    born: float  # time.monotonic() when it was started
    ready: bool = False
    run_id: str | None = None
    killed: bool = False
    kill_reason: str = ""  # CANCELLED or TIMED_OUT when the run's end was the reason


@dataclass(eq=False)
class _Flight:
    run_id: str
    payload: bytes  # the pickled (fn, config)
    give_way_s: float  # seconds of training before the run lowers its priority
    worker: _Worker | None = None
    hard_stop_at: float = math.inf  # the job's wall-clock limit
    stop_at: float = math.inf  # the end of a stop request's grace time
    stopped: bool = False


class ProcessExecutor(Executor):
    def __init__(self, settings: RunnerSettings, events: Events, preload: Iterable[str] = (),
                 warmup: Iterable[tuple[Callable, Any]] = ()):
        self.slots = settings.workers
        self._settings, self._events = settings, events
        self._context = multiprocessing.get_context("forkserver")
        # Process-wide: the first executor of a server process starts the forkserver with its list.
        self._context.set_forkserver_preload([*FORKSERVER_PRELOAD, *preload])
        self._worker_args = (list(warmup), settings.torch_threads, time_budget(settings.job_timeout_s),
                             settings.result_max_bytes)
        self._lock = threading.Lock()
        self._workers: list[_Worker] = []
        self._flights: dict[str, _Flight] = {}
        self._pending: deque[_Flight] = deque()  # runs given to start() that wait for a ready worker
        self._outbox: list[Callable[[], None]] = []  # events to send once the lock is released
        self._wake_r, self._wake_w = self._context.Pipe(duplex=False)
        self._respawn_at = 0.0
        self._failed_starts = 0
        self._closed = False
        with self._lock:
            self._respawn(time.monotonic())
        self._thread = threading.Thread(target=self._serve, name="job-executor", daemon=True)
        self._thread.start()
        atexit.register(self.shutdown)  # before multiprocessing ends the workers, which would look like crashes

    # --- the Executor interface ----------------------------------------------------

    def start(self, run_id: str, fn: Callable, config: Any, give_way_s: float = math.inf) -> None:
        payload = pickle.dumps((fn, config), protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            flight = _Flight(run_id, payload, give_way_s)
            self._flights[run_id] = flight
            self._pending.append(flight)
            self._assign(time.monotonic())
            self._wake()

    def stop(self, run_id: str) -> None:
        with self._lock:
            flight = self._flights.get(run_id)
            if flight is None or flight.stopped:
                return
            flight.stopped = True
            if flight.worker is None:
                self._pending.remove(flight)
                self._end(flight, Outcome(CANCELLED))
            else:
                flight.stop_at = time.monotonic() + self._settings.stop_grace_s
                self._send(flight.worker, ("stop", run_id))
            self._wake()

    def shutdown(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._wake()
        self._thread.join(timeout=5)
        for w in self._workers:
            w.process.kill()
        for w in self._workers:
            w.process.join(timeout=5)
            w.conn.close()
        self._workers = []
        self._wake_r.close()
        self._wake_w.close()

    def worker_pids(self) -> list[int]:
        """Process ids of the current workers, ready or warming up."""
        with self._lock:
            return [w.process.pid for w in self._workers]

    def idle_workers(self) -> int:
        """Workers that are warm and have no run."""
        with self._lock:
            return sum(w.ready and w.run_id is None and not w.killed for w in self._workers)

    # --- the executor's thread ------------------------------------------------------

    def _serve(self) -> None:
        """Read every worker's pipe, keep the time limits, replace workers that end."""
        while True:
            with self._lock:
                if self._closed:
                    return
                workers = list(self._workers)
                timeout = self._next_due(time.monotonic())
            ready = set(wait([self._wake_r] + [w.conn for w in workers] + [w.process.sentinel for w in workers],
                             timeout))
            self._drain_wake(ready)
            heard = [(w, *_receive(w.conn)) for w in workers if w.conn in ready or w.process.sentinel in ready]
            with self._lock:
                if self._closed:
                    return
                for w, messages, broken in heard:
                    for message in messages:
                        self._on_message(w, message)
                    if broken or w.process.sentinel in ready:
                        self._lose(w)
                now = time.monotonic()
                self._enforce_limits(now)
                self._respawn(now)
                self._assign(now)
                events, self._outbox = self._outbox, []
            for event in events:
                event()

    def _drain_wake(self, ready: set) -> None:
        if self._wake_r in ready:
            while self._wake_r.poll():
                self._wake_r.recv_bytes()

    # --- bookkeeping, always under the lock -----------------------------------------

    def _on_message(self, w: _Worker, message: tuple) -> None:
        kind, *rest = message
        if kind == "ready":
            w.ready, self._failed_starts = True, 0
            return
        flight = self._flights.get(rest[0])
        if flight is None or flight.worker is not w:
            return
        if kind == "started":
            self._outbox.append(partial(self._events.started, flight.run_id))
        elif kind == "progress":
            self._outbox.append(partial(self._events.progress, flight.run_id, rest[1]))
        elif kind == "done":
            w.run_id = None
            reply = rest[1]
            self._flights.pop(flight.run_id)
            self._outbox.append(lambda: self._events.finished(flight.run_id, outcome_of(reply, flight.run_id)))

    def _lose(self, w: _Worker) -> None:
        """A worker ended: its run ends as the reason it was killed says, and a new worker replaces it."""
        self._workers.remove(w)
        w.process.kill()
        w.process.join(timeout=5)
        w.conn.close()
        flight = self._flights.get(w.run_id) if w.run_id else None
        if flight is not None:
            outcomes = {CANCELLED: Outcome(CANCELLED),
                        TIMED_OUT: Outcome(TIMED_OUT, error=timeout_sentence(self._settings.job_timeout_s))}
            self._end(flight, outcomes.get(w.kill_reason, Outcome(FAILED, error=WORKER_DIED)))
        if not w.killed:
            log.error("worker %s ended unexpectedly (exit code %s)", w.process.pid, w.process.exitcode)
        if not w.ready:
            self._failed_starts += 1
            self._respawn_at = time.monotonic() + RESPAWN_PAUSE_S

    def _enforce_limits(self, now: float) -> None:
        """Kill workers past a run's limit or a stop's grace time, or stuck warming up."""
        for flight in list(self._flights.values()):
            if flight.worker is not None and now >= min(flight.hard_stop_at, flight.stop_at):
                self._kill(flight.worker, TIMED_OUT if now >= flight.hard_stop_at else CANCELLED)
        for w in self._workers:
            if not w.ready and now - w.born > READY_WITHIN_S:
                log.error("worker %s was not ready after %g s", w.process.pid, READY_WITHIN_S)
                self._kill(w)
        while self._failed_starts >= FAILED_STARTS and self._pending:
            self._end(self._pending.popleft(), Outcome(FAILED, error=NO_WORKER))

    def _kill(self, w: _Worker, reason: str = "") -> None:
        if not w.killed:
            w.killed, w.kill_reason = True, reason
            w.process.kill()

    def _respawn(self, now: float) -> None:
        """Bring the pool back to full strength, pausing after a failure."""
        while not self._closed and len(self._workers) < self.slots and now >= self._respawn_at:
            try:
                self._spawn()
            except Exception:
                log.exception("could not start a worker")
                self._failed_starts += 1
                self._respawn_at = now + RESPAWN_PAUSE_S

    def _spawn(self) -> None:
        server_end, worker_end = self._context.Pipe()
        process = self._context.Process(target=worker.main, args=(worker_end, *self._worker_args),
                                        name="dllab-worker", daemon=True)
        try:
            process.start()
        finally:
            worker_end.close()
        self._workers.append(_Worker(process, server_end, time.monotonic()))

    def _assign(self, now: float) -> None:
        """Send waiting runs to idle, ready workers."""
        idle = [w for w in self._workers if w.ready and w.run_id is None and not w.killed]
        budget_s = time_budget(self._settings.job_timeout_s)
        while self._pending and idle:
            flight, w = self._pending.popleft(), idle.pop(0)
            if not self._send(w, ("run", flight.run_id, budget_s, flight.give_way_s, flight.payload)):
                self._pending.appendleft(flight)
                continue
            flight.worker, w.run_id = w, flight.run_id
            flight.hard_stop_at = now + self._settings.job_timeout_s

    def _send(self, w: _Worker, message: Any) -> bool:
        """Send to a worker; one whose pipe is broken is killed, and replaced when its end is seen."""
        try:
            w.conn.send(message)
            return True
        except (OSError, ValueError):
            self._kill(w)
            return False

    def _end(self, flight: _Flight, outcome: Outcome) -> None:
        self._flights.pop(flight.run_id, None)
        if flight.worker is not None:
            flight.worker.run_id = None
        self._outbox.append(partial(self._events.finished, flight.run_id, outcome))

    def _next_due(self, now: float) -> float:
        """Seconds until the next limit, grace time, warm-up limit or respawn falls due, at most IDLE_WAKE_S."""
        due = [min(f.hard_stop_at, f.stop_at) for f in self._flights.values()]
        due += [w.born + READY_WITHIN_S for w in self._workers if not w.ready]
        if len(self._workers) < self.slots:
            due.append(self._respawn_at)
        return min([IDLE_WAKE_S] + [max(0.0, t - now) for t in due])

    def _wake(self) -> None:
        """Interrupt the executor's wait, so that it sees new flights, stops and limits."""
        self._wake_w.send_bytes(b"")


def _receive(conn: Connection) -> tuple[list, bool]:
    """Every message waiting on a worker's pipe, and whether the pipe broke (the worker ended)."""
    messages = []
    try:
        while conn.poll():
            messages.append(conn.recv())
    except (EOFError, OSError, pickle.UnpicklingError):
        return messages, True
    return messages, False
