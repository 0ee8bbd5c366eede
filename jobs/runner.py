"""The job runner interface and what a page sees of a job, whatever the backend."""

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# A task: fn(config, on_report=..., should_stop=..., deadline=...) -> result (see jobs.task).
# Module-level, so that it pickles.
Task = Callable[..., Any]

QUEUED, RUNNING, DONE, FAILED, CANCELLED, TIMED_OUT = (
    "queued", "running", "done", "failed", "cancelled", "timed out")
FINAL = (DONE, FAILED, CANCELLED, TIMED_OUT)


class ServerBusy(Exception):
    """The wait queue is full; `waiting` runs are ahead."""

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
    error: str = ""  # for failed, timed-out and replaced jobs, a sentence for the user
    position: int = 0  # place in the wait queue while queued, 1 = next
    cached: bool = False  # served from the cache without training
    settled: bool = False  # the worker side is over: nothing about this job changes any more
    watchers: int = 0  # learners sharing this job's run, this one included, while it is queued or running

    @property
    def finished(self) -> bool:
        return self.state in FINAL


def task_key(fn: Task, config: Any) -> tuple:
    """What makes two runs the same run: the task and its (frozen, hashable) config."""
    return (fn.__module__, fn.__qualname__, config)


class JobRunner(ABC):
    """Runs tasks for many sessions: one live job per owner, shared identical runs, cached results."""

    @abstractmethod
    def submit(self, owner: str, fn: Task, config: Any) -> str:
        """A new job id: answered from the cache, attached to an identical run, or queued; raises ServerBusy."""

    @abstractmethod
    def job(self, job_id: str) -> Job:
        """A snapshot of the job."""

    @abstractmethod
    def cancel(self, job_id: str) -> None:
        """Stop watching the job; its run stops too once nobody else watches it."""

    @abstractmethod
    def shutdown(self) -> None:
        """Stop every worker."""

    @abstractmethod
    def status(self) -> dict[str, int]:
        """Live load: workers, busy, queued, runs_last_minute, runs_started, cache_hits, cached_results."""

    def wait(self, job_id: str, timeout: float = 60.0, poll: float = 0.02) -> Job:
        """Block until the job is settled or the timeout passes; return its snapshot."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.job(job_id)
            if job.settled or time.monotonic() > deadline:
                return job
            time.sleep(poll)
