"""The default backend: a pebble process pool, one task per worker at a time.

Workers fork from a forkserver that has torch imported, and warm up before their first job.
Progress and stop requests cross processes through a multiprocessing manager, whose
connections survive a worker being killed mid-report.
"""

import logging
import multiprocessing
import threading
import time
import uuid
from concurrent.futures import CancelledError
from dataclasses import dataclass, field, replace
from typing import Any

from pebble import ProcessPool

from jobs.runner import (
    CANCELLED,
    DONE,
    FAILED,
    QUEUED,
    RUNNING,
    TIMED_OUT,
    Job,
    JobRunner,
    ResultCache,
    ServerBusy,
    Task,
    task_key,
)
from jobs.settings import RunnerSettings

log = logging.getLogger(__name__)
STOP_CHECK_S = 0.1  # how often a worker asks whether its job was stopped
KEEP_FINISHED = 500  # finished job records kept for late readers

_progress = None  # in a worker: the manager queue for (job_id, kind, payload) messages
_stops = None  # in a worker: the manager dict of job ids asked to stop


def _init_worker(progress, stops, torch_threads: int) -> None:
    global _progress, _stops
    _progress, _stops = progress, stops
    import torch

    from engine.activation_demo import MLPDemoConfig, run
    from engine.trainer import TrainSettings

    torch.set_num_threads(torch_threads)
    # A two-step run pays torch's first-call costs (about a second) before any user waits.
    run(MLPDemoConfig(points=40, train=TrainSettings(steps=2)))


def _start() -> None:
    """A no-op task: pebble starts its workers on the first task scheduled."""


def _run_in_worker(job_id: str, fn: Task, config: Any) -> Any:
    _progress.put((job_id, "started", None))
    checked = {"at": 0.0, "stop": False}

    def should_stop() -> bool:
        now = time.monotonic()
        if now - checked["at"] > STOP_CHECK_S:
            checked["at"], checked["stop"] = now, job_id in _stops
        return checked["stop"]

    def on_report(step: int, metrics: dict) -> None:
        _progress.put((job_id, "progress", metrics))

    return fn(config, on_report=on_report, should_stop=should_stop)


@dataclass
class _Record:
    job: Job
    owner: str
    key: tuple
    submitted: float = field(default_factory=time.monotonic)
    future: Any = None


class ProcessPoolRunner(JobRunner):
    def __init__(self, settings: RunnerSettings | None = None):
        self.settings = settings or RunnerSettings()
        # Workers fork from a clean server process that has imported torch once: never from
        # this threaded server, and a worker lost to a stop or a timeout comes back in
        # milliseconds instead of re-importing torch.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["jobs.process_pool", "engine.activation_demo"])
        self._manager = context.Manager()
        self._progress = self._manager.Queue()
        self._stops = self._manager.dict()
        self._pool = ProcessPool(max_workers=self.settings.workers, context=context,
                                 initializer=_init_worker,
                                 initargs=(self._progress, self._stops, self.settings.torch_threads))
        self.cache = ResultCache(self.settings.cache_entries)
        self._records: dict[str, _Record] = {}
        self._live_by_owner: dict[str, str] = {}
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._listen, name="job-progress", daemon=True).start()
        self._pool.schedule(_start)

    # --- the interface -------------------------------------------------------------

    def submit(self, owner: str, fn: Task, config: Any) -> str:
        key = task_key(fn, config)
        job_id = uuid.uuid4().hex
        cached = self.cache.get(key)
        if cached is not None:  # served at once; the owner's running job carries on
            job = Job(job_id, DONE, result=cached, cached=True, settled=True)
            with self._lock:
                self._records[job_id] = _Record(job, owner, key)
            return job_id
        previous = self._live_by_owner.get(owner)
        if previous is not None:
            self.cancel(previous)
        with self._lock:
            active = sum(r.job.state in (QUEUED, RUNNING) for r in self._records.values())
            if active >= self.settings.workers + self.settings.max_queued:
                raise ServerBusy(active - self.settings.workers)
            record = _Record(Job(job_id, QUEUED), owner, key)
            self._records[job_id] = record
            self._live_by_owner[owner] = job_id
            self._prune()
        record.future = self._pool.schedule(_run_in_worker, args=(job_id, fn, config),
                                            timeout=self.settings.job_timeout_s)
        record.future.add_done_callback(lambda future: self._finish(job_id, future))
        return job_id

    def job(self, job_id: str) -> Job:
        with self._lock:
            record = self._records.get(job_id)
            if record is None:
                return Job(job_id, FAILED, error="This run is no longer known to the server.", settled=True)
            job = record.job
            position = 0
            if job.state == QUEUED:
                position = 1 + sum(r.job.state == QUEUED and r.submitted < record.submitted
                                   for r in self._records.values())
            return replace(job, progress=list(job.progress), position=position)

    def cancel(self, job_id: str) -> None:
        with self._lock:
            record = self._records.get(job_id)
            if record is None or record.job.finished:
                return
            was_running = record.job.state == RUNNING
            record.job.state = CANCELLED
            if self._live_by_owner.get(record.owner) == job_id:
                del self._live_by_owner[record.owner]
        if not was_running:
            record.future.cancel()  # never started: pebble drops it from the queue
            return
        self._stops[job_id] = True  # ask the loop to stop and hand back what it has
        timer = threading.Timer(self.settings.stop_grace_s, self._kill_if_running, args=(record,))
        timer.daemon = True
        timer.start()

    def shutdown(self) -> None:
        self._closed = True
        self._pool.stop()
        self._pool.join(timeout=5)
        self._manager.shutdown()

    # --- inside the server ---------------------------------------------------------

    def _kill_if_running(self, record: _Record) -> None:
        if not record.future.done():
            record.future.cancel()  # pebble ends the worker and starts a fresh one

    def _listen(self) -> None:
        while not self._closed:
            try:
                job_id, kind, payload = self._progress.get(timeout=0.5)
            except Exception:  # queue.Empty, or the manager going away at shutdown
                continue
            with self._lock:
                record = self._records.get(job_id)
                if record is None or record.job.finished:
                    continue
                if kind == "started":
                    record.job.state = RUNNING
                else:
                    record.job.progress.append(payload)

    def _finish(self, job_id: str, future) -> None:
        result, error, state = None, "", DONE
        try:
            result = future.result()
        except CancelledError:
            state = CANCELLED
        except TimeoutError:
            state = TIMED_OUT
            error = (f"The run was stopped after {self.settings.job_timeout_s:g} s, the server's limit "
                     "for one run. Try fewer steps or a smaller network.")
        except Exception as exc:  # the task raised: the server logs it, the user gets a sentence
            log.exception("job %s failed", job_id, exc_info=exc)
            state, error = FAILED, f"The run failed: {exc}"
        with self._lock:
            record = self._records.get(job_id)
            if record is None:
                return
            job = record.job
            if job.state != CANCELLED:
                job.state = state
            job.result, job.error, job.settled = result, error, True
            if self._live_by_owner.get(record.owner) == job_id:
                del self._live_by_owner[record.owner]
            self._stops.pop(job_id, None)
        if state == DONE and job.state == DONE and getattr(result, "cacheable", True):
            self.cache.put(record.key, result)

    def _prune(self) -> None:
        finished = [k for k, r in self._records.items() if r.job.finished and r.job.settled]
        for job_id in finished[:max(0, len(finished) - KEEP_FINISHED)]:
            del self._records[job_id]

