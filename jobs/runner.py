"""The job runner interface, job records and the result cache, whatever the backend."""

import threading
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# A task: fn(config, on_report=..., should_stop=...) -> result. Module-level, so it pickles.
Task = Callable[..., Any]

QUEUED, RUNNING, DONE, FAILED, CANCELLED, TIMED_OUT = (
    "queued", "running", "done", "failed", "cancelled", "timed out")
FINAL = (DONE, FAILED, CANCELLED, TIMED_OUT)


class ServerBusy(Exception):
    """The wait queue is full; `waiting` jobs are ahead."""

    def __init__(self, waiting: int):
        super().__init__(f"The server is busy: {waiting} runs are waiting for a free worker. "
                         "Try again in a moment.")
        self.waiting = waiting


@dataclass
class Job:
    """What a page sees of a job: a snapshot, safe to read without locks."""

    id: str
    state: str
    progress: list[dict] = field(default_factory=list)  # one metrics dict per report
    result: Any = None  # set when done, and when a stopped job had something to show
    error: str = ""  # for failed and timed-out jobs, a sentence for the user
    position: int = 0  # place in the wait queue while queued, 1 = next
    cached: bool = False  # served from the cache without training
    settled: bool = False  # the worker side is over: nothing about this job changes any more

    @property
    def finished(self) -> bool:
        return self.state in FINAL


def task_key(fn: Task, config: Any) -> tuple:
    return (fn.__module__, fn.__qualname__, config)


class ResultCache:
    """Least-recently-used results by (task, config), shared by every session."""

    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Any:
        with self._lock:
            if key not in self._entries:
                return None
            self._entries.move_to_end(key)
            return self._entries[key]

    def put(self, key: tuple, result: Any) -> None:
        with self._lock:
            self._entries[key] = result
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


class JobRunner(ABC):
    """Runs tasks for many sessions: one live job per owner, bounded queue, cached results."""

    @abstractmethod
    def submit(self, owner: str, fn: Task, config: Any) -> str:
        """Serve from the cache, or start a job and stop the owner's previous one. Raises ServerBusy."""

    @abstractmethod
    def job(self, job_id: str) -> Job:
        """A snapshot of the job."""

    @abstractmethod
    def cancel(self, job_id: str) -> None:
        """Stop the job; it ends within half a second."""

    @abstractmethod
    def shutdown(self) -> None:
        """Stop every worker."""

    def wait(self, job_id: str, timeout: float = 60.0, poll: float = 0.02) -> Job:
        """Block until the job is settled or the timeout passes; return its snapshot."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.job(job_id)
            if job.settled or time.monotonic() > deadline:
                return job
            time.sleep(poll)
