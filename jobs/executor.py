"""What the job service needs from a backend: start runs, stop them, and hear how they go.

The service decides what runs and when (cache, sharing, queue, one job per learner); an
executor only carries runs out on its workers. A new backend (Ray, say) implements Executor.
"""

import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Outcome:
    """How a run ended."""

    state: str  # DONE, FAILED, CANCELLED or TIMED_OUT (jobs.runner)
    result: Any = None  # a checked result: after a stop, the partial one, if the task returned
    error: str = ""  # for FAILED and TIMED_OUT, a sentence for the learner
    size: int = 0  # the result's pickled size in bytes


class Events(Protocol):
    """How an executor reports back; it never calls these while holding a lock of its own."""

    def started(self, run_id: str) -> None:
        """The run's task has begun on a worker."""

    def progress(self, run_id: str, rows: list[dict]) -> None:
        """New progress rows of the run, in order, each sent once."""

    def finished(self, run_id: str, outcome: Outcome) -> None:
        """The run is over and its worker free; called exactly once for every run given to start()."""


class Executor(ABC):
    """Runs tasks on workers; the service never gives it more runs at once than `slots`."""

    slots: int  # runs it can carry out at the same time

    @abstractmethod
    def start(self, run_id: str, fn: Callable, config: Any, give_way_s: float = math.inf) -> None:
        """Begin the run on a free worker; returns at once, and may be called under the service's lock.

        After `give_way_s` seconds of training (0: from the start) the run lowers its priority, so
        that other runs on the same cores go first, where the backend can.
        """

    @abstractmethod
    def stop(self, run_id: str) -> None:
        """Ask the run to wrap up; end it by force if it is still going after the grace time."""

    @abstractmethod
    def shutdown(self) -> None:
        """End every run and release the workers."""
