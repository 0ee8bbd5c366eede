"""Calling a task: its deadline, its checked result, and a sentence for whatever went wrong.

A task is a module-level function `fn(config, on_report=..., should_stop=..., deadline=...)`:
`on_report(step, metrics)` sends one progress row, `should_stop()` turns True once nobody wants
the run any more, and `deadline` is the `time.monotonic()` by which it should hand back what
it has. Every executor calls tasks through `attempt`, in whatever process runs them.
"""

import logging
import pickle
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jobs.executor import Outcome
from jobs.results import ResultRejected, pack_result
from jobs.runner import CANCELLED, DONE, FAILED

log = logging.getLogger(__name__)
OUT_OF_MEMORY = "The run ran out of memory. Try a smaller network, fewer points or a smaller batch."
OOM_WORDS = ("out of memory", "can't allocate memory", "cannot allocate memory")  # CUDA, MPS, CPU allocators
SERVER_ERROR = "The run failed because of an error on the server; the details are in the server log."


@dataclass(frozen=True)
class Reply:
    """How one call of a task ended, as it crosses back to the server."""

    state: str  # DONE, FAILED or CANCELLED
    payload: bytes | None = None  # the pickled result
    error: str = ""  # a sentence for the learner
    details: str = ""  # the traceback, for the server log


def time_budget(limit_s: float) -> float:
    """Seconds a task may train before wrapping up: the limit less max(1 s, 10%), never under half."""
    return max(limit_s - max(1.0, 0.1 * limit_s), limit_s / 2)


def attempt(fn: Callable, config: Any, on_report: Callable, should_stop: Callable[[], bool],
            deadline: float, limit_bytes: int) -> Reply:
    """Call the task unless it was stopped already; a result that breaks the contract fails it."""
    if should_stop():
        return Reply(CANCELLED)
    try:
        result = fn(config, on_report=on_report, should_stop=should_stop, deadline=deadline)
        return Reply(DONE, pack_result(result, limit_bytes))
    except Exception as exc:
        return Reply(FAILED, error=failure_sentence(exc), details=traceback.format_exc())


def failure_sentence(exc: BaseException) -> str:
    """What a learner reads: our own validation messages as they are, anything else in general terms."""
    if isinstance(exc, ResultRejected):
        return str(exc)
    if isinstance(exc, ValueError):
        return f"The run failed: {exc}"
    if _out_of_memory(exc):
        return OUT_OF_MEMORY
    return SERVER_ERROR


def timeout_sentence(limit_s: float) -> str:
    return (f"The run was stopped after {limit_s:g} s, the server's limit for one run. "
            "Try fewer steps or a smaller network.")


def warm_up(fn: Callable, config: Any, budget_s: float) -> None:
    """Run a task once to pay first-call costs; a failure is only logged."""
    try:
        fn(config, on_report=lambda step, metrics: None, should_stop=lambda: False,
           deadline=time.monotonic() + budget_s)
    except Exception:
        log.exception("warm-up of %s failed", getattr(fn, "__qualname__", fn))


def _out_of_memory(exc: BaseException) -> bool:
    """Host or GPU out of memory, matched by name and message so that torch need not be imported here."""
    message = str(exc).lower()
    return (isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError"
            or (isinstance(exc, RuntimeError) and any(words in message for words in OOM_WORDS)))


def outcome_of(reply: Reply, run_id: str) -> Outcome:
    """The reply as the service hears it; a failure's traceback goes to the server log here."""
    if reply.details:
        log.error("run %s failed:\n%s", run_id, reply.details)
    result = pickle.loads(reply.payload) if reply.payload is not None else None
    return Outcome(reply.state, result, reply.error, len(reply.payload or b""))
