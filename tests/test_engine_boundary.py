import ast
import subprocess
import sys
from pathlib import Path

ENGINE = Path(__file__).parent.parent / "engine"


def test_engine_sources_never_import_streamlit_or_plotly():
    for path in ENGINE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                assert not any(n.split(".")[0] in ("streamlit", "plotly") for n in names), path.name


def test_importing_the_whole_engine_loads_neither_streamlit_nor_plotly():
    modules = [f"engine.{p.stem}" for p in ENGINE.glob("*.py") if p.stem != "__init__"]
    code = (f"import sys; import {', '.join(modules)}; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('streamlit', 'plotly')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ENGINE.parent)
    assert out.stdout.strip() == "[]"
