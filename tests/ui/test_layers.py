"""The layer rules, checked on every module: core/ imports no Qt; ui/ imports no torch/mlx/peft.

A static scan (ast) of every import statement, at any depth (inside functions too), so a lazy
import cannot slip a heavy framework into the widgets or Qt into the core. A second check
starts the window in a child process and looks at what was actually imported.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "mixgrv_app"
QT = {"PySide6", "shiboken6", "PyQt5", "PyQt6", "qasync", "pytestqt"}
HEAVY = {"torch", "mlx", "peft", "transformers", "accelerate", "torchaudio", "diffusers"}
RULES = {
    "core": QT,
    "ui": HEAVY,
}


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in ("import_module", "__import__"):
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                found.append((node.lineno, node.args[0].value))
    return found


def _modules(layer: str) -> list[Path]:
    return sorted(p for p in (PACKAGE / layer).rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize("layer", sorted(RULES))
def test_layer_imports(layer):
    modules = _modules(layer)
    assert modules, f"no modules found under mixgrv_app/{layer}"
    forbidden = RULES[layer]
    violations = [
        f"{path.relative_to(PACKAGE.parent)}:{line} imports {name}"
        for path in modules
        for line, name in _imports(path)
        if name.split(".")[0] in forbidden
    ]
    assert not violations, "layer rule broken:\n  " + "\n  ".join(violations)


def test_the_scan_sees_lazy_imports(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    import torch.nn as nn\n    from mlx import core\n    importlib.import_module('peft')\n")
    assert [name for _, name in _imports(sample)] == ["torch.nn", "mlx", "peft"]


STARTUP_PROBE = r"""
import json, sys
from mixgrv_app.app import MixgrvApplication, build_window
app = MixgrvApplication(sys.argv[:1])
window = build_window(app)
window.show()
app.processEvents()
window._build_remaining_tabs()
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[1].split(",")))
print("HEAVY " + json.dumps(heavy))
"""


def test_opening_the_window_imports_no_heavy_framework(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", MIXGRV_HOME=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-c", STARTUP_PROBE, ",".join(sorted(HEAVY))],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(l for l in done.stdout.splitlines() if l.startswith("HEAVY "))
    assert json.loads(line[6:]) == [], f"imported on the start path (both tabs built): {line[6:]}"
