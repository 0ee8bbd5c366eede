"""Handing over from a fragment's timer to the page section around it.

This builds on Streamlit's own rerun request (what `st.rerun` does inside), which is not
public API: it is written against the pinned streamlit==1.67.0, and the browser tests
exercise it (a live view that settles, two sections live at once).
"""

from typing import NoReturn

from streamlit.commands.execution_control import _force_yield_point
from streamlit.runtime.scriptrunner_utils.script_requests import RerunData
from streamlit.runtime.scriptrunner_utils.script_run_context import ThreadState, get_script_run_ctx


def _queue_after_this_fragment() -> list[str] | None:
    """The fragments this run still has to run after the current one; None if it is not running on its own."""
    ctx = get_script_run_ctx()
    queue = list(ctx.fragment_ids_this_run or []) if ctx else []
    current = ThreadState.get().fragment_id
    return queue[queue.index(current) + 1:] if current in queue else None


def running_on_its_own() -> bool:
    """True when this fragment reruns by itself (its timer or one of its widgets), not inside a larger run."""
    return _queue_after_this_fragment() is not None


def rerun_section(key: str) -> NoReturn:
    """Rerun the fragment declared with `@st.fragment(key=key)` in place of this one.

    `st.rerun(scope=key)` does this from widget callbacks only. A live view's timer needs it
    from a fragment body: when its job settles, the section around it redraws with the result,
    and the live view's timer stops, since the live view is no longer drawn. Like
    `st.rerun(scope="fragment")`, the request keeps the fragments this run still had queued.
    Call it only when `running_on_its_own()`.
    """
    ctx = get_script_run_ctx()
    ctx.script_requests.request_rerun(RerunData(
        query_string=ctx.query_string, page_script_hash=ctx.page_script_hash,
        fragment_id_queue=ctx.fragment_storage.resolve_target(key) + _queue_after_this_fragment(),
        is_fragment_scoped_rerun=True, cached_message_hashes=ctx.cached_message_hashes,
        context_info=ctx.context_info,
    ))
    _force_yield_point()  # the runner acts on the request here; nothing below runs
    raise AssertionError("unreachable: the rerun request ends this run")
