"""A worker process: warm up, then run one task at a time for the server over its own pipe.

Server to worker: ("run", run_id, budget_s, give_way_s, pickled (fn, config)), ("stop", run_id), or None
to exit.
Worker to server: ("ready",), ("started", run_id), ("progress", run_id, rows), ("done", run_id, Reply).
Progress rows and the reply share the pipe, so the server has every row before the reply.
"""

import os
import pickle
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from multiprocessing.connection import Connection
from typing import Any

from jobs.results import check_row
from jobs.task import FAILED, Reply, attempt, failure_sentence, warm_up

SEND_EVERY_S = 0.05  # progress rows go out in batches at most this often (the first one at once)
STOP_CHECK_S = 0.05  # how often a running task reads the pipe for a stop request
GIVE_WAY_NICE = 19  # a long run's priority: it gets the CPU only when shorter runs leave some


class _Line:
    """One running task's side of the pipe: batched progress out, stop requests in."""

    def __init__(self, conn: Connection, run_id: str, give_way_s: float):
        self.conn, self.run_id = conn, run_id
        self.rows: list[dict] = []
        self.sent_at = self.checked_at = 0.0
        self.stopped = False
        self.give_way_at = time.monotonic() + give_way_s

    def on_report(self, step: int, metrics: dict) -> None:
        self.rows.append(check_row(dict(metrics)))
        if time.monotonic() - self.sent_at >= SEND_EVERY_S:
            self.send_rows()

    def send_rows(self) -> None:
        if self.rows:
            self.conn.send(("progress", self.run_id, self.rows))
            self.rows = []
        self.sent_at = time.monotonic()

    def should_stop(self) -> bool:
        now = time.monotonic()
        if not self.stopped and now - self.checked_at >= STOP_CHECK_S:
            self.checked_at = now
            self.stopped = self._stop_requested()
            if now >= self.give_way_at:
                self.give_way_at = float("inf")
                _give_way()
        return self.stopped

    def _stop_requested(self) -> bool:
        """True once the server asked to stop this run, said goodbye, or went away."""
        try:
            while self.conn.poll():
                message = self.conn.recv()
                if message is None or message == ("stop", self.run_id):
                    return True
        except (EOFError, OSError):
            return True
        return False


def main(conn: Connection, warmup: Iterable[tuple[Callable, Any]], torch_threads: int, budget_s: float,
         limit_bytes: int) -> None:
    """The worker's whole life: warm up, say ready, serve runs until told to exit or orphaned."""
    _limit_threads(torch_threads)
    for fn, config in warmup:
        warm_up(fn, config, budget_s)
    conn.send(("ready",))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        if message[0] == "run":
            _, run_id, budget_s, give_way_s, payload = message
            conn.send(("done", run_id, _on_own_thread(_serve, conn, run_id, budget_s, give_way_s, payload,
                                                      limit_bytes)))


def _on_own_thread(fn: Callable, *args) -> Any:
    """fn(*args) on a fresh thread: a priority lowered there ends with the run (Linux nice is per thread)."""
    out = []
    thread = threading.Thread(target=lambda: out.append(fn(*args)), name="task")
    thread.start()
    thread.join()
    return out[0]


def _serve(conn: Connection, run_id: str, budget_s: float, give_way_s: float, payload: bytes,
           limit_bytes: int) -> Reply:
    deadline = time.monotonic() + budget_s
    line = _Line(conn, run_id, give_way_s)
    conn.send(("started", run_id))
    try:
        fn, config = pickle.loads(payload)
    except Exception as exc:  # the task's module would not import here, say
        return Reply(FAILED, error=failure_sentence(exc), details=traceback.format_exc())
    reply = attempt(fn, config, line.on_report, line.should_stop, deadline, limit_bytes)
    line.send_rows()
    return reply


def _give_way() -> None:
    """Lower this thread's CPU priority, so that shorter runs on the same cores go first."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), GIVE_WAY_NICE)
    except (AttributeError, OSError):  # no per-thread priorities here: the run just keeps its share
        pass


def _limit_threads(torch_threads: int) -> None:
    """Torch threads per worker: set now if torch came with the forkserver, else whenever it is imported."""
    os.environ["OMP_NUM_THREADS"] = str(torch_threads)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(torch_threads)
