"""The job service: every policy about runs, whatever executes them.

A submission gets a ticket (the job id a page holds). Tickets for the same task and config
share one run while it is queued or running; finished results come from the cache. Each owner
watches at most one live ticket; a run stops once no ticket watches it. Runs wait here, in
order, until the executor has a free slot, so the executor never queues anything itself.

Runs share the cores by priority: a run that has trained for `long_run_s` gives way to shorter
ones, and a learner who has trained for more than that in the last SHARE_WINDOW_S starts their
next runs already giving way, so one learner running the largest job over and over cannot slow
the rest of the class.
"""

import itertools
import logging
import threading
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jobs.cache import ResultCache
from jobs.executor import Executor, Outcome
from jobs.runner import CANCELLED, DONE, FAILED, QUEUED, RUNNING, Job, JobRunner, ServerBusy, Task, task_key
from jobs.settings import RunnerSettings

log = logging.getLogger(__name__)
KEEP_SETTLED = 500  # finished runs whose tickets stay readable for late readers
REPLACED = "Stopped: you started another run, and each session trains one thing at a time."
NOT_STARTED = "The training server could not start this run. Try again in a moment."
FORGOTTEN = "This run is no longer known to the server."
SHARE_WINDOW_S = 60.0  # how long a learner's training time counts against their share of the cores
_order = itertools.count()


@dataclass(eq=False)
class _Run:
    key: tuple
    fn: Task
    config: Any
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    order: int = field(default_factory=lambda: next(_order))  # first come, first served
    state: str = QUEUED
    progress: list[dict] = field(default_factory=list)
    result: Any = None
    error: str = ""
    size: int = 0  # pickled bytes of the result
    watchers: set = field(default_factory=set)  # ids of the tickets that still want this run
    tickets: list = field(default_factory=list)  # ids of every ticket it ever had, for pruning
    stopping: bool = False  # nobody wants it any more; the executor was told to stop it
    settled: bool = False
    started_at: float | None = None  # time.monotonic() when its task began on a worker


@dataclass(eq=False)
class _Ticket:
    id: str
    owner: str
    run: _Run
    cached: bool = False
    cancelled: bool = False
    reason: str = ""  # why it was cancelled, when the learner should be told
    rows_seen: int | None = None  # set when it left a run that others still watch


class JobService(JobRunner):
    """Tickets, shared runs, the queue and the cache, in front of any Executor."""

    def __init__(self, settings: RunnerSettings, make_executor: Callable[["JobService"], Executor]):
        self.settings = settings
        self.cache = ResultCache(settings.cache_entries, settings.cache_bytes)
        self.runs_started = 0  # runs handed to the executor, for load figures
        self.cache_hits = 0  # submissions answered from the cache
        self._starts: deque[float] = deque(maxlen=100_000)  # when runs started, for runs per minute
        self._lock = threading.Lock()
        self._tickets: dict[str, _Ticket] = {}
        self._live_by_owner: dict[str, _Ticket] = {}
        self._live_by_key: dict[tuple, _Run] = {}  # runs that new tickets may still join
        self._queue: list[_Run] = []  # runs waiting for a free slot, in order
        self._flying: dict[str, _Run] = {}  # runs the executor has, stopping ones included
        self._settled: OrderedDict[str, _Run] = OrderedDict()  # oldest first
        self._settled_bytes = 0
        self._used: dict[str, float] = {}  # owner -> seconds of training in the last SHARE_WINDOW_S
        self._use_log: deque[tuple[float, str, float]] = deque()  # (when, owner, seconds), oldest first
        self.executor = make_executor(self)

    # --- the interface -------------------------------------------------------------

    def submit(self, owner: str, fn: Task, config: Any) -> str:
        key = task_key(fn, config)
        with self._lock:
            if (hit := self.cache.get(key)) is not None:  # answered at once; the owner's live job carries on
                self.cache_hits += 1
                return self._add_ticket(owner, self._cached_run(key, fn, config, hit[0]), cached=True).id
            previous = self._live_by_owner.get(owner)
            run = self._live_by_key.get(key)
            if run is None:
                self._check_room(previous)
                run = self._new_run(key, fn, config)
            ticket = self._add_ticket(owner, run)
            self._live_by_owner[owner] = ticket
            if previous is not None:
                self._leave(previous, REPLACED)
            self._dispatch()
            return ticket.id

    def job(self, job_id: str) -> Job:
        with self._lock:
            ticket = self._tickets.get(job_id)
            if ticket is None:
                return Job(job_id, FAILED, error=FORGOTTEN, settled=True)
            return self._snapshot(ticket)

    def cancel(self, job_id: str, reason: str = "") -> None:
        with self._lock:
            ticket = self._tickets.get(job_id)
            if ticket is not None and not ticket.cancelled and not ticket.run.settled:
                self._leave(ticket, reason)

    def shutdown(self) -> None:
        self.executor.shutdown()

    def status(self) -> dict[str, int]:
        """Live load figures, for the teacher's dashboard."""
        with self._lock:
            flying = list(self._flying.values())
            now = time.monotonic()
            return {"workers": self.executor.slots,
                    "busy": sum(run.state == RUNNING for run in flying),
                    "queued": len(self._queue) + sum(run.state == QUEUED for run in flying),
                    "runs_last_minute": sum(now - t <= 60 for t in self._starts),
                    "runs_started": self.runs_started,
                    "cache_hits": self.cache_hits,
                    "cached_results": len(self.cache)}

    # --- what the executor reports --------------------------------------------------

    def started(self, run_id: str) -> None:
        with self._lock:
            run = self._flying.get(run_id)
            if run is not None and run.state == QUEUED:
                run.state, run.started_at = RUNNING, time.monotonic()

    def progress(self, run_id: str, rows: list[dict]) -> None:
        with self._lock:
            run = self._flying.get(run_id)
            if run is not None:
                run.progress.extend(rows)

    def finished(self, run_id: str, outcome: Outcome) -> None:
        with self._lock:
            run = self._flying.pop(run_id, None)
            if run is not None:
                self._settle(run, outcome)
                self._dispatch()

    # --- policy, always under the lock ---------------------------------------------

    def _check_room(self, previous: _Ticket | None) -> None:
        """Raise ServerBusy if a new run would not fit; the owner's own queued run makes room."""
        frees = previous is not None and previous.run in self._queue and previous.run.watchers == {previous.id}
        taken = len(self._flying) + len(self._queue) - frees
        if taken >= self.executor.slots + self.settings.max_queued:
            raise ServerBusy(len(self._queue))

    def _new_run(self, key: tuple, fn: Task, config: Any) -> _Run:
        run = _Run(key, fn, config)
        self._live_by_key[key] = run
        self._queue.append(run)
        return run

    def _cached_run(self, key: tuple, fn: Task, config: Any, result: Any) -> _Run:
        # Size 0: the run holds the cache's own copy, which the cache already counts.
        run = _Run(key, fn, config, state=DONE, result=result, size=0, settled=True)
        self._keep_settled(run)
        return run

    def _add_ticket(self, owner: str, run: _Run, cached: bool = False) -> _Ticket:
        ticket = _Ticket(uuid.uuid4().hex, owner, run, cached)
        self._tickets[ticket.id] = ticket
        run.tickets.append(ticket.id)
        if not run.settled:
            run.watchers.add(ticket.id)
        return ticket

    def _leave(self, ticket: _Ticket, reason: str) -> None:
        """The ticket stops watching its run; the run stops when nobody watches it."""
        run = ticket.run
        ticket.cancelled, ticket.reason = True, reason
        run.watchers.discard(ticket.id)
        if self._live_by_owner.get(ticket.owner) is ticket:
            del self._live_by_owner[ticket.owner]
        if run.watchers:
            ticket.rows_seen = len(run.progress)
        else:
            self._stop(run)

    def _stop(self, run: _Run) -> None:
        if self._live_by_key.get(run.key) is run:
            del self._live_by_key[run.key]
        if run in self._queue:
            self._queue.remove(run)
            self._settle(run, Outcome(CANCELLED))
        else:
            run.stopping = True
            self.executor.stop(run.id)

    def _dispatch(self) -> None:
        """Hand waiting runs to the executor, first come first served, while it has free slots."""
        while self._queue and len(self._flying) < self.executor.slots:
            run = self._queue.pop(0)
            self._flying[run.id] = run
            self.runs_started += 1
            self._starts.append(time.monotonic())
            try:
                self.executor.start(run.id, run.fn, run.config, self._give_way_s(run))
            except Exception:
                log.exception("could not start run %s", run.id)
                del self._flying[run.id]
                self._settle(run, Outcome(FAILED, error=NOT_STARTED))

    def _give_way_s(self, run: _Run) -> float:
        """Seconds the run trains at full priority: none if everyone who wants it has had their share."""
        now = time.monotonic()
        owners = {self._tickets[ticket_id].owner for ticket_id in run.watchers}
        if owners and all(self._recent_use(owner, now) > self.settings.long_run_s for owner in owners):
            return 0.0
        return self.settings.long_run_s

    def _recent_use(self, owner: str, now: float) -> float:
        """Seconds of training the owner's runs took in the last SHARE_WINDOW_S."""
        while self._use_log and now - self._use_log[0][0] > SHARE_WINDOW_S:
            _, who, seconds = self._use_log.popleft()
            self._used[who] -= seconds
            if self._used[who] <= 1e-9:
                del self._used[who]
        return self._used.get(owner, 0.0)

    def _charge(self, run: _Run) -> None:
        """Count a run's training time against everyone who asked for it."""
        now = time.monotonic()
        seconds = now - run.started_at
        for owner in {self._tickets[t].owner for t in run.tickets if t in self._tickets}:
            self._use_log.append((now, owner, seconds))
            self._used[owner] = self._used.get(owner, 0.0) + seconds

    def _settle(self, run: _Run, outcome: Outcome) -> None:
        if run.started_at is not None:
            self._charge(run)
        run.state = CANCELLED if run.stopping else outcome.state
        run.result, run.error, run.size, run.settled = outcome.result, outcome.error, outcome.size, True
        if self._live_by_key.get(run.key) is run:
            del self._live_by_key[run.key]
        for ticket_id in run.watchers:
            owner = self._tickets[ticket_id].owner
            if self._live_by_owner.get(owner) is self._tickets[ticket_id]:
                del self._live_by_owner[owner]
        if run.state == DONE and getattr(run.result, "cacheable", True):
            self.cache.put(run.key, run.result, run.size)
        self._keep_settled(run)

    def _keep_settled(self, run: _Run) -> None:
        """Keep finished runs for late readers, within KEEP_SETTLED runs and the cache's byte budget."""
        self._settled[run.id] = run
        self._settled_bytes += run.size
        while len(self._settled) > 1 and (len(self._settled) > KEEP_SETTLED
                                          or self._settled_bytes > self.settings.cache_bytes):
            _, old = self._settled.popitem(last=False)
            self._settled_bytes -= old.size
            for ticket_id in old.tickets:
                self._tickets.pop(ticket_id, None)

    def _position(self, run: _Run) -> int:
        """Place in line while queued, 1 = next: runs given to the executor but not begun come first."""
        if run.state != QUEUED or run.settled:
            return 0
        starting = sorted(r.order for r in self._flying.values() if r.state == QUEUED)
        if run.id in self._flying:
            return 1 + starting.index(run.order)
        return 1 + len(starting) + self._queue.index(run)

    def _snapshot(self, ticket: _Ticket) -> Job:
        run = ticket.run
        if ticket.rows_seen is not None:  # left a run that goes on for others
            return Job(ticket.id, CANCELLED, run.progress[:ticket.rows_seen], error=ticket.reason, settled=True)
        state, error = (CANCELLED, ticket.reason) if ticket.cancelled else (run.state, run.error)
        watchers = 0 if run.settled else len(run.watchers)
        return Job(ticket.id, state, list(run.progress), run.result, error, self._position(run), ticket.cached,
                   run.settled, watchers)
