import subprocess
import sys
from pathlib import Path


def test_the_code_passes_ruff():
    out = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=Path(__file__).parent.parent,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
