"""Idle sessions let go of their training results, so that tabs left open hold no server memory.

A session that nobody has touched for DLLAB_IDLE_RELEASE_S (moved a widget, pressed a button
that changed anything, opened a page) drops the finished jobs its sections keep. The server's
cache still holds recent results, so pressing Train again brings one back at once. Closed tabs
are Streamlit's own business: their sessions end after `server.disconnectedSessionTTL`.
"""

import logging
import os
import time
from collections.abc import Hashable, MutableMapping

import streamlit as st

from jobs import Job
from ui.fragments import running_on_its_own

DEFAULT_IDLE_RELEASE_S = 900.0
log = logging.getLogger(__name__)
_SEEN = "_idle_seen"  # (fingerprint of the session state, time.monotonic() it last changed)
_RELEASED = "_idle_released"  # how many results the last release dropped, while the learner is still away
_RESYNC = "_idle_resync"  # set by a release until the page has redrawn without the results
NOTE = ("This tab was idle, so the server let go of its {what} to free memory. Press Train to see one "
        "again: a run someone trained lately comes back at once.")


def idle_release_s(environ=os.environ) -> float:
    """Seconds of no activity before a session lets go of its results; 0 or less: never."""
    raw = environ.get("DLLAB_IDLE_RELEASE_S", "").strip()
    try:
        return float(raw) if raw else DEFAULT_IDLE_RELEASE_S
    except ValueError:
        raise ValueError(f"DLLAB_IDLE_RELEASE_S={raw!r} is not a number of seconds") from None


def _token(value) -> Hashable:
    """What a state value contributes to the fingerprint: plain data by content, anything else by identity."""
    if value is None or isinstance(value, (str, int, float, bool, bytes)):
        return value
    if isinstance(value, (list, tuple)):
        return tuple(_token(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), _token(v)) for k, v in value.items()))
    return type(value).__name__, id(value)


def fingerprint(state: MutableMapping) -> int:
    """Changes whenever a learner does something: a widget's value, a page opened, a job submitted."""
    return hash(tuple(sorted((str(k), _token(v)) for k, v in state.items() if not str(k).startswith("_idle_"))))


def release(state: MutableMapping) -> int:
    """Drop every finished job the session keeps, and its section's record of it; the number dropped.

    Each section keeps `<slot>_released`, so that it can say where its result went (ui.job_panel).
    """
    slots = [key[:-len("_settled")] for key, value in list(state.items())
             if isinstance(key, str) and key.endswith("_settled") and isinstance(value, Job)]
    for slot in slots:
        for suffix in ("_settled", "_job", "_config"):
            state.pop(f"{slot}{suffix}", None)
        state[f"{slot}_released"] = True
    return len(slots)


def watch() -> None:
    """Draw once per page, in the main area: a timer that releases an idle session's results."""
    try:
        idle_s = idle_release_s()
    except ValueError as problem:  # the deployer's mistake: the server log says so, learners see nothing
        log.error("%s; using %g s", problem, DEFAULT_IDLE_RELEASE_S)
        idle_s = DEFAULT_IDLE_RELEASE_S
    if idle_s > 0:
        _watcher(idle_s)()


def after_page() -> None:
    """Call once the page has drawn: after a release, the redrawn page's state is the idle one."""
    if st.session_state.pop(_RESYNC, False):
        st.session_state[_SEEN] = (fingerprint(st.session_state), time.monotonic())


def _watcher(idle_s: float):
    @st.fragment(run_every=min(300.0, max(1.0, idle_s / 4)))  # released within idle_s and a quarter
    def idle_watch() -> None:
        state, now = st.session_state, time.monotonic()
        seen = fingerprint(state)
        if not state.get(_RESYNC) and (_SEEN not in state or state[_SEEN][0] != seen):
            state[_SEEN] = (seen, now)
            state.pop(_RELEASED, None)  # the learner is here
        if running_on_its_own() and now - state[_SEEN][1] >= idle_s and (count := release(state)):
            state[_RELEASED], state[_RESYNC] = count, True
            st.rerun()  # the whole page, so that every section redraws without its result
        if count := state.get(_RELEASED):
            what = "training result" if count == 1 else f"{count} training results"
            st.info(NOTE.format(what=what), icon=":material/bedtime:")

    return idle_watch
