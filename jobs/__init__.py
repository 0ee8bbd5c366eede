"""Training as jobs: bounded, cancellable, cached by config, fair across users."""

from jobs.runner import Job, JobRunner, ServerBusy
from jobs.settings import RunnerSettings

__all__ = ["Job", "JobRunner", "RunnerSettings", "ServerBusy", "make_runner"]


def make_runner(settings: RunnerSettings | None = None) -> JobRunner:
    """The runner for this server: the process pool unless another backend is named."""
    settings = settings or RunnerSettings.from_env()
    if settings.backend == "process":
        from jobs.process_pool import ProcessPoolRunner

        return ProcessPoolRunner(settings)
    raise ValueError(f"unknown job backend {settings.backend!r}")
