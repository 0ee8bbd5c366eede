"""An executor on threads of this process: for tests, and for one learner on a laptop.

Threads cannot be killed: a run past its grace time or its limit is reported over and its
slot freed, while the thread finishes unseen in the background. Threads share one interpreter,
so a long run does not give way here (see ProcessExecutor).
"""

import importlib
import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from jobs.executor import Events, Executor, Outcome
from jobs.results import check_row
from jobs.runner import CANCELLED, TIMED_OUT
from jobs.settings import RunnerSettings
from jobs.task import attempt, outcome_of, time_budget, timeout_sentence, warm_up


@dataclass(eq=False)
class _Flight:
    run_id: str
    stop: threading.Event = field(default_factory=threading.Event)
    timers: list[threading.Timer] = field(default_factory=list)


class ThreadExecutor(Executor):
    def __init__(self, settings: RunnerSettings, events: Events, preload: Iterable[str] = (),
                 warmup: Iterable[tuple[Callable, Any]] = ()):
        self.slots = settings.workers
        self._settings, self._events = settings, events
        self._lock = threading.Lock()
        self._flights: dict[str, _Flight] = {}
        for name in preload:
            importlib.import_module(name)
        for fn, config in warmup:
            warm_up(fn, config, time_budget(settings.job_timeout_s))

    def start(self, run_id: str, fn: Callable, config: Any, give_way_s: float = math.inf) -> None:
        flight = _Flight(run_id)
        with self._lock:
            self._flights[run_id] = flight
        limit = self._settings.job_timeout_s
        self._end_after(flight, limit, Outcome(TIMED_OUT, error=timeout_sentence(limit)))
        threading.Thread(target=self._run, args=(flight, fn, config), name=f"job-{run_id[:8]}", daemon=True).start()

    def stop(self, run_id: str) -> None:
        with self._lock:
            flight = self._flights.get(run_id)
        if flight is not None:
            flight.stop.set()
            self._end_after(flight, self._settings.stop_grace_s, Outcome(CANCELLED))

    def shutdown(self) -> None:
        with self._lock:
            flights, self._flights = list(self._flights.values()), {}
        for flight in flights:
            flight.stop.set()
            for timer in flight.timers:
                timer.cancel()

    def _run(self, flight: _Flight, fn: Callable, config: Any) -> None:
        self._events.started(flight.run_id)
        deadline = time.monotonic() + time_budget(self._settings.job_timeout_s)
        reply = attempt(fn, config, lambda step, metrics: self._report(flight, metrics), flight.stop.is_set,
                        deadline, self._settings.result_max_bytes)
        self._end(flight, outcome_of(reply, flight.run_id))

    def _report(self, flight: _Flight, metrics: dict) -> None:
        row = check_row(dict(metrics))
        if self._flights.get(flight.run_id) is flight:
            self._events.progress(flight.run_id, [row])

    def _end_after(self, flight: _Flight, seconds: float, outcome: Outcome) -> None:
        timer = threading.Timer(seconds, self._end, args=(flight, outcome))
        timer.daemon = True
        flight.timers.append(timer)
        timer.start()

    def _end(self, flight: _Flight, outcome: Outcome) -> None:
        """Report the run over, once, whichever of the task and its timers gets here first."""
        with self._lock:
            if self._flights.get(flight.run_id) is not flight:
                return
            del self._flights[flight.run_id]
        for timer in flight.timers:
            timer.cancel()
        self._events.finished(flight.run_id, outcome)
