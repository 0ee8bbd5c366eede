"""The default backend: a pebble process pool, one task per worker at a time.

Workers fork from a forkserver that has torch imported, and warm up before their first job.
Progress and stop requests cross processes through a multiprocessing manager, whose
connections survive a worker being killed mid-report.
"""

import logging
import multiprocessing
import queue
import sys
import threading
import time
import types
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
    # A worker that dies here would break the whole pool, so a failure is only logged:
    # the same problem (a bad DLLAB_DEVICE, say) then fails each job with a clear message.
    try:
        run(MLPDemoConfig(points=40, train=TrainSettings(steps=2)))
    except Exception:
        log.exception("worker warm-up failed")


def _start() -> None:
    """A no-op task: pebble starts its workers on the first task scheduled."""


def _run_in_worker(job_id: str, fn: Task, config: Any) -> Any:
    if job_id in _stops:  # stopped while it waited in the queue
        return None
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


class _WithoutMainProcess(multiprocessing.context.ForkServerProcess):
    """A forkserver process that does not re-import the parent's __main__.

    multiprocessing re-runs the main script in every child. Under Streamlit, __main__ is the
    app script itself, which must never run inside a worker; the children need nothing from it.
    """

    _swap = threading.Lock()

    def start(self) -> None:
        with self._swap:
            main = sys.modules["__main__"]
            sys.modules["__main__"] = types.ModuleType("__main__")  # no __file__: nothing to re-import
            try:
                super().start()
            finally:
                sys.modules["__main__"] = main


class _ForkServerWithoutMain(multiprocessing.context.ForkServerContext):
    Process = _WithoutMainProcess


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
        context = _ForkServerWithoutMain()
        context.set_forkserver_preload(["jobs.process_pool", "engine.activation_demo"])
        self._manager = context.Manager()
        self._progress = self._manager.Queue()
        self._stops = self._manager.dict()
        self._context = context
        self._pool = self._new_pool()
        self.cache = ResultCache(self.settings.cache_entries)
        self._records: dict[str, _Record] = {}
        self._live_by_owner: dict[str, str] = {}
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._listen, name="job-progress", daemon=True).start()
        self._pool.schedule(_start)

    def _new_pool(self) -> ProcessPool:
        return ProcessPool(max_workers=self.settings.workers, context=self._context, initializer=_init_worker,
                           initargs=(self._progress, self._stops, self.settings.torch_threads))

    # --- the interface -------------------------------------------------------------

    def submit(self, owner: str, fn: Task, config: Any) -> str:
        key = task_key(fn, config)
        job_id = uuid.uuid4().hex
        cached = self.cache.get(key)
        if cached is not None:  # served at once; the owner's running job carries on
            job = Job(job_id, DONE, result=cached, cached=True, settled=True)
            with self._lock:
                self._records[job_id] = _Record(job, owner, key)
                self._prune()
            return job_id
        previous = self._live_by_owner.get(owner)
        if previous is not None:
            self.cancel(previous, reason="Stopped: you started another run, and each session trains "
                                         "one thing at a time.")
        with self._lock:
            active = sum(r.job.state in (QUEUED, RUNNING) for r in self._records.values())
            if active >= self.settings.workers + self.settings.max_queued:
                raise ServerBusy(active - self.settings.workers)
            record = _Record(Job(job_id, QUEUED), owner, key)
            self._records[job_id] = record
            self._live_by_owner[owner] = job_id
            self._prune()
        try:
            record.future = self._schedule(job_id, fn, config)
        except Exception:
            with self._lock:
                del self._records[job_id]
                self._live_by_owner.pop(owner, None)
            raise
        record.future.add_done_callback(lambda future: self._finish(job_id, future))
        return job_id

    def _schedule(self, job_id: str, fn: Task, config: Any):
        """Hand the task to the pool; a pool broken by a dead worker is replaced once."""
        args = (job_id, fn, config)
        try:
            return self._pool.schedule(_run_in_worker, args=args, timeout=self.settings.job_timeout_s)
        except RuntimeError:
            log.warning("the worker pool broke; starting a new one")
            self._pool.stop()
            self._pool = self._new_pool()
            return self._pool.schedule(_run_in_worker, args=args, timeout=self.settings.job_timeout_s)

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

    def cancel(self, job_id: str, reason: str = "") -> None:
        with self._lock:
            record = self._records.get(job_id)
            if record is None or record.job.finished or record.future is None or record.future.done():
                return  # unknown, over, or its result is already on its way
            was_running = record.job.state == RUNNING
            record.job.state, record.job.error = CANCELLED, reason
            if self._live_by_owner.get(record.owner) == job_id:
                del self._live_by_owner[record.owner]
        self._stops[job_id] = True  # the loop stops and hands back what it has; a queued job never starts
        if not was_running:
            record.future.cancel()
            return
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
            except queue.Empty:
                continue
            except Exception:  # the manager is going away (shutdown): do not spin
                time.sleep(0.5)
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
                job.state, job.error = state, error
            job.result, job.settled = result, True
            if self._live_by_owner.get(record.owner) == job_id:
                del self._live_by_owner[record.owner]
        self._stops.pop(job_id, None)
        if state == DONE and job.state == DONE and getattr(result, "cacheable", True):
            self.cache.put(record.key, result)

    def _prune(self) -> None:
        finished = [k for k, r in self._records.items() if r.job.finished and r.job.settled]
        for job_id in finished[:max(0, len(finished) - KEEP_FINISHED)]:
            del self._records[job_id]

