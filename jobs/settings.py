"""Server limits for training jobs, read from the environment."""

import os
from dataclasses import dataclass, fields


def usable_cores() -> int:
    """Cores this process may use (container limits included where the OS tells), at least 1."""
    if hasattr(os, "sched_getaffinity"):  # Linux
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@dataclass(frozen=True)
class RunnerSettings:
    backend: str = "process"  # DLLAB_BACKEND: "process" (worker processes) or "thread" (in-process, for tests)
    # DLLAB_WORKERS: worker processes. Twice the cores, so that long runs, which give way to short
    # ones (long_run_s), can never hold every core while others wait.
    workers: int = 2 * usable_cores()
    torch_threads: int = 1  # DLLAB_TORCH_THREADS: torch threads in each worker
    max_queued: int = 64  # DLLAB_MAX_QUEUED: runs waiting for a worker before "server busy" (a class of 40+)
    job_timeout_s: float = 60.0  # DLLAB_JOB_TIMEOUT_S: wall-clock limit of one running job
    stop_grace_s: float = 0.4  # DLLAB_STOP_GRACE_S: a stopped job not done by then loses its worker
    cache_entries: int = 128  # DLLAB_CACHE_ENTRIES: results kept for repeated configs
    cache_mb: float = 128.0  # DLLAB_CACHE_MB: memory for those, and as much again for the latest finished runs
    result_max_mb: float = 4.0  # DLLAB_RESULT_MAX_MB: largest result one run may hand back
    # DLLAB_LONG_RUN_S: a run that has trained this long gives way to shorter ones, and so do the next
    # runs of a learner who trained longer than this in the last minute (JobService).
    long_run_s: float = 5.0

    def __post_init__(self):
        for name, low in (("workers", 1), ("max_queued", 0), ("job_timeout_s", 1e-3), ("cache_entries", 1)):
            if getattr(self, name) < low:
                raise ValueError(f"DLLAB_{name.upper()}={getattr(self, name)!r}: it must be at least {low:g}")

    @property
    def cache_bytes(self) -> int:
        return int(self.cache_mb * 1_000_000)

    @property
    def result_max_bytes(self) -> int:
        return int(self.result_max_mb * 1_000_000)

    @classmethod
    def from_env(cls, environ=os.environ) -> "RunnerSettings":
        values = {}
        for f in fields(cls):
            raw = environ.get(f"DLLAB_{f.name.upper()}", "").strip()
            if raw:  # unset or empty: the default
                kind = type(getattr(cls, f.name))
                try:
                    values[f.name] = kind(raw)
                except ValueError:
                    raise ValueError(f"DLLAB_{f.name.upper()}={raw!r} is not a valid {kind.__name__}") from None
        return cls(**values)
