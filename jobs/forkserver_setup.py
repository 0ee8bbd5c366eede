"""Imported only inside the forkserver, through its preload list: its children never run the server's main script.

multiprocessing re-runs the parent's `__main__` (a script path or module name in the data each
child is sent) in every child it starts. Under Streamlit that is the app script, which must
never run in a worker, and Streamlit swaps `sys.modules["__main__"]` on every script run, so
what the server sends depends on the moment a worker starts. Children of this forkserver
drop those two entries before preparing themselves, whatever the server sent.
"""

from multiprocessing import spawn

MAIN_ENTRIES = ("init_main_from_name", "init_main_from_path")  # what spawn.get_preparation_data names main by
_prepare = spawn.prepare


def prepare_without_main(data: dict) -> None:
    """spawn.prepare, less the re-import of the parent's main module."""
    _prepare({name: value for name, value in data.items() if name not in MAIN_ENTRIES})


spawn.prepare = prepare_without_main
