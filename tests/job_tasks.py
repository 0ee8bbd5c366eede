"""Small tasks for the job-runner tests; they live in a module so worker processes can import them."""

import time


def stubborn_sleep(seconds, on_report=None, should_stop=None):
    """Sleeps, ignoring stop requests: only killing the worker ends it early."""
    on_report(0, {"step": 0})
    time.sleep(seconds)
    return "woke up"


def polite_count(steps, on_report=None, should_stop=None):
    """Counts slowly, reporting each step, and stops when asked, returning how far it got."""
    for step in range(1, steps + 1):
        if should_stop():
            return {"stopped_at": step - 1}
        on_report(step, {"step": step})
        time.sleep(0.01)
    return {"stopped_at": None}


def broken(message, on_report=None, should_stop=None):
    raise ValueError(message)
