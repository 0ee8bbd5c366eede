"""Rerunning one page section from inside another fragment."""

from typing import NoReturn

from streamlit.commands.execution_control import _force_yield_point
from streamlit.runtime.scriptrunner_utils.script_requests import RerunData
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx


def in_fragment_rerun() -> bool:
    """True while only some fragments rerun (a widget in one of them, or a timer), not the whole page."""
    ctx = get_script_run_ctx()
    return bool(ctx and ctx.fragment_ids_this_run)


def rerun_section(key: str) -> NoReturn:
    """Rerun the fragment declared with `@st.fragment(key=key)`, and only it.

    `st.rerun(scope=key)` does this from widget callbacks only. A live view's timer needs it
    from a fragment body: when its job settles, the section around it redraws with the result,
    and the timer of the live view, no longer drawn, stops. Call it only during a fragment rerun.
    """
    ctx = get_script_run_ctx()
    ctx.script_requests.request_rerun(RerunData(
        query_string=ctx.query_string, page_script_hash=ctx.page_script_hash,
        fragment_id_queue=ctx.fragment_storage.resolve_target(key), is_fragment_scoped_rerun=True,
        cached_message_hashes=ctx.cached_message_hashes, context_info=ctx.context_info,
    ))
    _force_yield_point()  # the runner acts on the request here; nothing below runs
    raise AssertionError("unreachable: the rerun request ends this run")
