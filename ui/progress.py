"""The app's progress store, shared by every session, and who the current learner is."""

import logging

import streamlit as st

log = logging.getLogger(__name__)


@st.cache_resource(show_spinner=False)
def _store():
    from progress import Store  # SQLAlchemy and Alembic load on first use, not with the navigation

    try:
        return Store()
    except Exception:  # the server log keeps the details; pages work on without saving
        log.exception("could not open the progress database")
        return None


def store():
    """The progress store, or None when its database cannot be opened (answers are then graded but not saved)."""
    return _store()


def learner() -> int | None:
    """The learner at the keyboard (see ui.auth): the one local learner, or the signed-in one in a classroom."""
    from ui.auth import signed_in

    if store() is None or not signed_in():
        return None
    return st.session_state.learner_id


def unsaved_note() -> None:
    if store() is None:
        st.caption(":material/warning: Progress cannot be saved right now: answers are graded but not kept.")
