"""The real app under `streamlit run` on a free local port, and a headless Chromium to drive it."""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                  "--disable-background-networking", "--disable-component-update"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(log_path: Path, root: Path = ROOT, env: dict | None = None, timeout_s: float = 60,
          port: int | None = None, args: tuple[str, ...] = ()):
    """Start the app, wait until it answers its health check, yield (url, process); stop it after.

    `port`: the one to listen on (default: a free one); `args`: more `streamlit run` options.
    """
    port = port or free_port()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", *args],
            cwd=root, env={"DLLAB_DATABASE_URL": f"sqlite:///{log_path.with_suffix('.sqlite')}"} | os.environ
            | {"DLLAB_WORKERS": "2"} | (env or {}), stdout=log, stderr=subprocess.STDOUT,
            text=True)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                try:
                    if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                        break
                except OSError:
                    pass
                if server.poll() is not None:
                    raise RuntimeError(f"the app exited:\n{log_path.read_text()[-3000:]}")
                if time.monotonic() > deadline:
                    raise RuntimeError("the app did not start")
                time.sleep(0.1)
            yield url, server
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()


def wait_for_app(page) -> None:
    """The navigation is drawn and no script run is in progress."""
    page.wait_for_selector("[data-testid=stSidebarNav]", timeout=30_000)
    page.wait_for_function("!document.querySelector('[data-testid=stStatusWidget]')", timeout=30_000)
