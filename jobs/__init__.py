"""Training as jobs: shared, bounded, cancellable, cached by config, fair across users."""

from collections.abc import Callable, Iterable
from typing import Any

from jobs.results import ResultRejected, check_result
from jobs.runner import Job, JobRunner, ServerBusy
from jobs.service import JobService
from jobs.settings import RunnerSettings

__all__ = ["Job", "JobRunner", "ResultRejected", "RunnerSettings", "ServerBusy", "check_result", "make_runner"]


def make_runner(settings: RunnerSettings | None = None, *, preload: Iterable[str] = (),
                warmup: Iterable[tuple[Callable, Any]] = ()) -> JobRunner:
    """The job service for this server, on the backend its settings name.

    `preload`: modules the worker processes' forkserver imports once (the first runner of a
    server process decides). `warmup`: (task, config) pairs each worker runs once before its
    first job, to pay first-call costs; a failure there is only logged.
    """
    settings = settings or RunnerSettings.from_env()
    executors = _executors()
    if settings.backend not in executors:
        raise ValueError(f"unknown job backend {settings.backend!r}; choose one of {', '.join(executors)}")
    executor = executors[settings.backend]
    return JobService(settings, lambda events: executor(settings, events, tuple(preload), tuple(warmup)))


def _executors() -> dict[str, type]:
    """Backend name -> Executor class."""
    from jobs.process_executor import ProcessExecutor
    from jobs.thread_executor import ThreadExecutor

    return {"process": ProcessExecutor, "thread": ThreadExecutor}
