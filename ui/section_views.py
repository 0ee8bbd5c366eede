"""Small pieces every topic's result views use: widget rows, figure keys, messages, tables, code."""

import pandas as pd
import streamlit as st

from jobs import Job
from ui.page_state import PageState


def widget_row(state: PageState, *names: str) -> None:
    """These parameters' widgets side by side."""
    for col, name in zip(st.columns(len(names)), names, strict=True):
        state.widget(name, col)


def result_key(job: Job, name: str) -> tuple:
    """A figure's cache key: everything a settled result's figure shows."""
    result = job.result
    return (name, result.config, result.status, result.steps_done)


def say(result) -> None:
    """The run's one-sentence message, as a warning when it diverged."""
    (st.warning if result.status == "diverged" else st.caption)(result.message)


def table(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """Only these columns, renamed for the learner, numbers rounded."""
    return frame[list(columns)].rename(columns=columns).round(4)


def show_code(code: str) -> None:
    with st.expander("Show the code"):
        st.code(code, language="python")
