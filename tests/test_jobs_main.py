"""How workers start: warmed up, and never running the server's main script (under Streamlit, the app)."""

import os
import signal
import subprocess
import sys
import types

from jobs import RunnerSettings, make_runner
from jobs.runner import DONE
from tests.job_tasks import broken, leave_mark, wait_for, whose_pid

APP = "import pathlib\npathlib.Path({marker!r}).write_text('the app script ran in a worker')\n"


def app_script(tmp_path):
    """A stand-in for the app script: running it leaves a marker file."""
    marker = tmp_path / "ran"
    script = tmp_path / "app.py"
    script.write_text(APP.format(marker=str(marker)))
    return script, marker


def test_workers_never_run_the_app_script_even_when_it_is_main_as_they_start(tmp_path, monkeypatch):
    script, marker = app_script(tmp_path)
    app = types.ModuleType("__main__")  # what Streamlit puts in sys.modules on every script run
    app.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", app)
    runner = make_runner(RunnerSettings(workers=2))
    try:
        assert runner.wait(runner.submit("a", whose_pid, 1), timeout=30).state == DONE
        first = runner.executor.worker_pids()
        os.kill(first[0], signal.SIGKILL)  # its replacement starts with the app still as __main__
        wait_for(lambda: first[0] not in runner.executor.worker_pids() and len(runner.executor.worker_pids()) == 2)
        assert all(runner.wait(runner.submit(f"b{i}", whose_pid, i), timeout=30).state == DONE for i in range(4))
    finally:
        runner.shutdown()
    assert not marker.exists()


def test_a_plain_forkserver_child_would_run_it(tmp_path):
    script, marker = app_script(tmp_path)
    code = "\n".join([
        "import multiprocessing, os, sys, types",
        "app = types.ModuleType('__main__')",
        f"app.__file__ = {str(script)!r}",
        "sys.modules['__main__'] = app",
        "context = multiprocessing.get_context('forkserver')",
        "context.set_forkserver_preload([])",
        "child = context.Process(target=os.getpid)",
        "child.start()",
        "child.join()",
    ])
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    assert marker.exists()  # so the test above would catch a worker that ran the app


def test_every_worker_warms_up_once_and_a_failing_warm_up_is_only_logged(tmp_path):
    runner = make_runner(RunnerSettings(workers=2, job_timeout_s=20.0),
                         warmup=[(broken, "no such dataset"), (leave_mark, str(tmp_path))])
    try:
        wait_for(lambda: len(list(tmp_path.iterdir())) == 2, timeout=30)
        assert sorted(int(mark.name) for mark in tmp_path.iterdir()) == sorted(runner.executor.worker_pids())
        assert all(0 < float(mark.read_text()) <= 18.0 for mark in tmp_path.iterdir())  # the deadline it was given
        assert runner.wait(runner.submit("a", whose_pid, 1), timeout=30).state == DONE
    finally:
        runner.shutdown()
