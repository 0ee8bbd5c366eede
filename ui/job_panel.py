"""The job panel every training demo uses: Train and Stop, the queue, live progress, the result.

A page draws a training section as `@st.fragment(key=slot)` and calls `panel(slot, ...)` in it,
so a Train click, a live tick or a finished run redraws that section alone.
"""

import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from jobs import Job, JobRunner, ServerBusy, make_runner
from jobs.runner import CANCELLED, DONE, QUEUED
from ui.fragments import rerun_section, running_on_its_own
from ui.topics import preload_modules, warmups

POLL_S = 0.3  # how often a live view refreshes
FIRST_FRAME_S = 0.05  # how long a click waits for the first progress, so the first frame usually has data
STOP_WAIT_S = 0.6  # how long Stop waits for the run to hand back its partial result
log = logging.getLogger(__name__)


class _Starter:
    """Starts the server's one runner in a background thread."""

    def __init__(self):
        self.runner: JobRunner | None = None
        self.failed = False
        threading.Thread(target=self._start, name="job-runner-start", daemon=True).start()

    def _start(self) -> None:
        try:
            self.runner = make_runner(preload=preload_modules(), warmup=warmups())
        except Exception:
            log.exception("the training workers could not start")
            self.failed = True


_starter: _Starter | None = None  # one per server process
_starter_lock = threading.Lock()


def start_workers() -> None:
    """Start the training workers in the background, if no page has yet.

    Pages call this last, once everything that needs no training is drawn: starting the
    workers takes the machine's cores for a few seconds, and a first visit should not wait.
    """
    global _starter
    with _starter_lock:
        if _starter is None:
            _starter = _Starter()


def runner() -> JobRunner | None:
    """The runner every session shares, or None while it starts."""
    return _starter.runner if _starter is not None else None


def _failed() -> bool:
    return _starter is not None and _starter.failed


def _owner() -> str:
    if "owner_id" not in st.session_state:
        st.session_state.owner_id = uuid.uuid4().hex
    return st.session_state.owner_id


def submit(slot: str, fn: Callable, config: Any) -> None:
    """Start `fn(config)` as this session's job for the slot; a busy server is reported, not raised.

    The slot's previous job stops: an answer from the cache does not replace it on the server,
    and once the slot shows the new job, the old one would have no Stop button.
    """
    st.session_state.pop(f"{slot}_busy", None)
    st.session_state.pop(f"{slot}_released", None)
    previous = current(slot)
    if previous is not None and not previous.settled:
        runner().cancel(previous.id)
    try:
        st.session_state[f"{slot}_job"] = runner().submit(_owner(), fn, config)
        st.session_state[f"{slot}_config"] = config
    except ServerBusy as busy:
        st.session_state[f"{slot}_busy"] = str(busy)
    except Exception:  # the server log keeps the details; the learner gets a sentence
        log.exception("could not submit a job")
        st.session_state[f"{slot}_busy"] = "The training server could not start this run. Try again in a moment."


def current(slot: str) -> Job | None:
    """The slot's latest job; once settled, the session keeps it."""
    job_id = st.session_state.get(f"{slot}_job")
    if not job_id:
        return None
    kept = st.session_state.get(f"{slot}_settled")
    if kept is not None and kept.id == job_id:
        return kept
    job = runner().job(job_id)
    if job.settled:
        st.session_state[f"{slot}_settled"] = job
    return job


def panel(slot: str, fn: Callable, config: Any, *, steps: int, live_chart: Callable[[pd.DataFrame], go.Figure],
          show_result: Callable[[Job], None], label: str = "Train", autostart: bool = False,
          preset: int = 0) -> None:
    """Train and Stop, messages, live progress and the settled job's result, for one training section.

    `steps` is how many progress steps the run takes, for the progress bar. With `autostart`, the
    section trains without a click the first time this session sees it, and again whenever a
    new preset link is opened (`preset`, from `PageState.presets`), so a lesson's Try-it link
    always shows its own run.
    """
    clicked = st.button(label, type="primary", key=f"{slot}_train", icon=":material/play_arrow:")
    if _failed():
        st.error("The training workers could not start, so nothing can train right now. "
                 "The server log says why.")
        return
    if runner() is None:
        st.info("Starting the training workers…", icon=":material/hourglass_top:")
        _wait_for_workers()
        return
    unseen = autostart and st.session_state.get(f"{slot}_preset", -1) < preset
    if clicked or unseen:
        st.session_state[f"{slot}_preset"] = preset
        submit(slot, fn, config)
    submitted = st.session_state.get(f"{slot}_config")
    if submitted not in (None, config):
        st.info(f"The settings changed since the last run: press **{label}** to see them in action.")
    if busy := st.session_state.get(f"{slot}_busy"):
        st.warning(busy)
    job = current(slot)
    if job is not None and not job.settled and clicked:
        job = _first_frame(slot, job)
    if job is None:
        if st.session_state.get(f"{slot}_released"):  # ui.idle
            st.info(f"This tab was idle, so its result was let go to free the server's memory. Press "
                    f"**{label}** to see it again.", icon=":material/bedtime:")
        return
    if not job.settled:
        _live(slot, job.id, steps, live_chart)
        return
    if job.state == CANCELLED:
        st.info(job.error or _stopped(job))
    elif job.state != DONE:
        st.error(job.error)
    if job.result is not None:
        show_result(job)


def training_section(state, slot: str, task, controls: Callable[[Any], str | None], show_result: Callable[[Job], None],
                     live_chart: Callable[[pd.DataFrame], go.Figure], *, label: str = "Train",
                     autostart: bool | str = False, steps: Callable[[Any], int] | None = None) -> None:
    """A whole training section as its own fragment: `controls(state)` draws its widgets, then the panel.

    `task` is one of the topic's DemoTasks; `steps(config)` gives the progress bar's length
    (default: `config.steps`). When `controls` returns a sentence, the settings cannot run: the
    section shows it instead of the Train button. `autostart="linked"` trains the section when a
    preset link (a lesson's Try-it) or `state.set()` gives one of its own widgets a value;
    `autostart=True` also trains it the first time this session sees it.
    """

    @st.fragment(key=slot)
    def draw() -> None:
        problem = controls(state)
        first_view = f"{slot}_preset" not in st.session_state  # after that, a section waits for its own link
        starts = True if autostart is True and first_view else bool(autostart) and state.linked(state.drawn())
        state.sync()
        if problem:
            st.warning(problem)
            return
        config = task.from_values(state.values())
        panel(slot, task.fn, config, steps=steps(config) if steps else config.steps, live_chart=live_chart,
              show_result=show_result, label=label, autostart=starts, preset=state.presets)

    draw()


def _stopped(job: Job) -> str:
    if job.result is not None:
        return "Stopped."
    if job.progress:  # a run others still watch goes on for them; this learner keeps what they saw
        return f"Stopped watching at step {job.progress[-1]['step']}; the run goes on for the others who started it."
    return "Stopped before there was anything to show."


def _first_frame(slot: str, job: Job) -> Job:
    """Wait briefly for the first progress report, or the result of a short run."""
    deadline = time.monotonic() + FIRST_FRAME_S
    while not (job.settled or job.progress) and time.monotonic() < deadline:
        time.sleep(0.01)
        job = runner().job(job.id)
    return current(slot) if job.settled else job


@st.fragment(run_every=POLL_S)
def _wait_for_workers() -> None:
    """Once the workers are up, the whole page redraws: every section that waited does at once.

    (Sections rerunning one by one, each from its own timer in the same tick, lost some of the reruns.)
    """
    if (runner() is not None or _failed()) and running_on_its_own():
        st.rerun()


@st.fragment(run_every=POLL_S)
def _live(slot: str, job_id: str, steps: int, live_chart: Callable[[pd.DataFrame], go.Figure]) -> None:
    """The running job, redrawn every POLL_S; when it settles, the section redraws with the result."""
    job = runner().job(job_id)
    if job.settled and running_on_its_own():
        rerun_section(slot)
    if st.button("Stop", key=f"{slot}_stop", icon=":material/stop_circle:"):
        runner().cancel(job_id)
        job = runner().wait(job_id, timeout=STOP_WAIT_S)
        if running_on_its_own():  # else the next tick redraws the section
            rerun_section(slot)
    if job.state == QUEUED:
        st.info(f"Waiting for a free worker: you are number {job.position} in the queue.")
        return
    step = job.progress[-1]["step"] if job.progress else 0
    st.progress(min(step / max(steps, 1), 1.0), text=f"Training: step {step} of {steps}")
    st.plotly_chart(live_chart(pd.DataFrame(job.progress)), key=f"{slot}_live")


@st.cache_resource
def device_label() -> str:
    """The device jobs train on, or what is wrong with the forced one."""
    from engine.device import describe, pick_device

    try:
        return describe(pick_device())
    except (ValueError, RuntimeError) as exc:
        return f"unavailable: {exc}"
