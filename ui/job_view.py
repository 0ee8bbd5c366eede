"""Submitting training jobs from a page and watching them live."""

import logging
import uuid
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from jobs import Job, JobRunner, ServerBusy, make_runner
from jobs.runner import CANCELLED, DONE, QUEUED

POLL_S = 0.3  # how often the live view refreshes
log = logging.getLogger(__name__)


@st.cache_resource(show_spinner="Starting the training workers…")
def runner() -> JobRunner:
    """One runner per server process, shared by every session."""
    return make_runner()


def _owner() -> str:
    if "owner_id" not in st.session_state:
        st.session_state.owner_id = uuid.uuid4().hex
    return st.session_state.owner_id


def submit(slot: str, fn: Callable, config: Any) -> None:
    """Start `fn(config)` as this session's job for a page slot; a busy server is reported, not raised."""
    st.session_state.pop(f"{slot}_busy", None)
    try:
        st.session_state[f"{slot}_job"] = runner().submit(_owner(), fn, config)
        st.session_state[f"{slot}_config"] = config
    except ServerBusy as busy:
        st.session_state[f"{slot}_busy"] = str(busy)
    except Exception:  # the server logs the details; the learner gets a sentence
        log.exception("could not submit a job")
        st.session_state[f"{slot}_busy"] = "The training server could not start this run. Try again in a moment."


def submitted_config(slot: str) -> Any:
    """The config of the slot's latest job, or None."""
    return st.session_state.get(f"{slot}_config")


def current(slot: str) -> Job | None:
    """The slot's latest job; once settled, the session keeps its own copy."""
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


def show(slot: str, steps_of: Callable[[Any], int], live_chart: Callable[[pd.DataFrame], Any]) -> Job | None:
    """A live view while the slot's job runs; the settled job once it is over (else None).

    `steps_of(config)` is the number of steps the submitted run will take, for the progress bar.
    """
    if busy := st.session_state.get(f"{slot}_busy"):
        st.warning(busy)
    job = current(slot)
    if job is None:
        return None
    if not job.settled:
        _live(slot, job.id, steps_of(submitted_config(slot)), live_chart)
        return None
    if job.state == CANCELLED:
        st.info(job.error or ("Stopped." if job.result is not None else "Stopped before there was anything to show."))
    elif job.state != DONE:
        st.error(job.error)
    return job


@st.fragment(run_every=POLL_S)
def _live(slot: str, job_id: str, total_steps: int, live_chart: Callable[[pd.DataFrame], Any]) -> None:
    job = runner().job(job_id)
    if job.settled:
        st.rerun()  # the whole page redraws with the results
    if st.button("Stop", key=f"{slot}_stop", icon=":material/stop_circle:"):
        runner().cancel(job_id)
        runner().wait(job_id, timeout=0.6)
        st.rerun()
    if job.state == QUEUED:
        st.info(f"Waiting for a free worker: you are number {job.position} in the queue.")
        return
    step = job.progress[-1]["step"] if job.progress else 0
    st.progress(min(step / max(total_steps, 1), 1.0), text=f"Training: step {step} of {total_steps}")
    live_chart(pd.DataFrame(job.progress))


@st.cache_resource
def device_label() -> str:
    """The device jobs train on, or what is wrong with the forced one."""
    from engine.device import describe, pick_device

    try:
        return describe(pick_device())
    except (ValueError, RuntimeError) as exc:
        return f"unavailable: {exc}"
