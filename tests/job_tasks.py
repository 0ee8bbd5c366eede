"""Small tasks for the job-runner tests, in a module so that worker processes can import them; and a wait helper."""

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor


def stubborn_sleep(seconds, on_report=None, should_stop=None, deadline=None):
    """Sleeps, ignoring stop requests and the deadline: only killing the worker ends it early."""
    on_report(0, {"step": 0})
    time.sleep(seconds)
    return "woke up"


def polite_count(steps, on_report=None, should_stop=None, deadline=None):
    """Counts slowly, reporting each step, and stops when asked, returning how far it got."""
    for step in range(1, steps + 1):
        if should_stop():
            return {"stopped_at": step - 1}
        on_report(step, {"step": step})
        time.sleep(0.01)
    return {"stopped_at": None}


def until_deadline(tag, on_report=None, should_stop=None, deadline=None):
    """Works until its deadline, then hands back how much time it had left before the hard limit."""
    started = time.monotonic()
    while time.monotonic() < deadline and not should_stop():
        time.sleep(0.01)
    return {"budget_s": deadline - started, "pid": os.getpid()}


def whose_pid(tag, on_report=None, should_stop=None, deadline=None):
    """The process it ran in, after a short wait that honours stop requests."""
    for _ in range(20):
        if should_stop():
            break
        time.sleep(0.005)
    return os.getpid()


def own_priority(seconds, on_report=None, should_stop=None, deadline=None):
    """Works for a while, asking whether to stop as a training loop does; then its thread's nice value."""
    until = time.monotonic() + seconds
    while time.monotonic() < until and not should_stop():
        time.sleep(0.01)
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def leave_mark(folder, on_report=None, should_stop=None, deadline=None):
    """Writes a file named after its process, and the seconds it had until its deadline."""
    with open(os.path.join(folder, str(os.getpid())), "w") as mark:
        mark.write(str(deadline - time.monotonic()))


def broken(message, on_report=None, should_stop=None, deadline=None):
    raise ValueError(message)


def crashing(kind, on_report=None, should_stop=None, deadline=None):
    """Raises what a real failure raises: a CUDA out-of-memory error, or any other bug."""
    if kind == "oom":
        raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 7.79 GiB total capacity)")
    raise KeyError("internal detail")


def sized(size, on_report=None, should_stop=None, deadline=None):
    """Returns `size` bytes of result."""
    return b"x" * size


def hands_back(kind, on_report=None, should_stop=None, deadline=None):
    """Returns a result that breaks the contract: too large, or not plain data."""
    if kind == "huge":
        return b"x" * 50_000_000
    import torch

    return {"weights": torch.zeros(3)}


def wait_for(predicate, timeout=10.0):
    """Poll until the predicate holds; fail the test if it never does."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


def tagged_count(config, on_report=None, should_stop=None, deadline=None):
    """polite_count of (tag, steps): the tag makes otherwise equal runs different runs."""
    return polite_count(config[1], on_report, should_stop, deadline)


def together(calls):
    """Each call on its own thread, all released at the same moment; each one's result, or what it raised."""
    barrier = threading.Barrier(len(calls))

    def released(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(released, call) for call in calls]
    return [future.exception() or future.result() for future in futures]
