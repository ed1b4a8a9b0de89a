"""Start-up time against a minimal PySide6 window: the first frame, and the tabs usable.

Both run as fresh processes in this same run, alternating, on the same Qt platform (offscreen
unless a display is set), so the ratios say what mixgrv adds on top of Qt itself. mixgrv reports
through MIXGRV_STARTUP_PROBE (see mixgrv_app/app.py): its first frame (target ≤ 1.5× the bare
window's), the tab on screen built and usable (target ≤ 2.5×), both tab bodies built (shown,
no target), and which heavy frameworks were imported on the way (must be none).

    .venv/bin/python bench/startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_FIRST_FRAME = 1.5
TARGET_USABLE = 2.5

MINIMAL = r"""
import time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow
app = QApplication([])
window = QMainWindow()
window.setWindowTitle("minimal")
window.setCentralWidget(QLabel("hello"))
window.resize(1120, 760)
window.show()
QTimer.singleShot(0, lambda: (print(f"SHOWN {time.time():.6f}", flush=True), app.quit()))
app.exec()
"""


def _run(command: list[str], env: dict[str, str], marker: str) -> tuple[float, str]:
    start = time.time()
    done = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    line = next((l for l in done.stdout.splitlines() if l.startswith(marker)), None)
    if done.returncode != 0 or line is None:
        raise SystemExit(f"{command[:3]} failed (rc {done.returncode}):\n{done.stdout}\n{done.stderr[-3000:]}")
    return float(line.split()[1]) - start, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    env = dict(os.environ)
    # As installed (the .app bundle ships bytecode): cached .pyc, kept out of the tree. Without
    # this, PYTHONDONTWRITEBYTECODE makes every start compile ~60 modules (~0.25 s here).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if not env.get("DISPLAY") and sys.platform != "darwin":
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
    times: dict[str, list[float]] = {"minimal": [], "shown": [], "usable": [], "ready": []}
    heavy: set[str] = set()
    with tempfile.TemporaryDirectory(prefix="mixgrv-bench-") as home:
        env["PYTHONPYCACHEPREFIX"] = str(Path(home) / "pycache")
        for i in range(args.runs + 1):  # the first pair warms the disk cache and is dropped
            t_min, _ = _run([sys.executable, "-c", MINIMAL], env, "SHOWN ")
            run_env = dict(env, MIXGRV_HOME=str(Path(home) / f"run{i}"), MIXGRV_STARTUP_PROBE="1")
            t_mix, out = _run([sys.executable, "-m", "mixgrv_app"], run_env, "MIXGRV_SHOWN ")
            stamps = {line.split()[0]: line.split(" ", 1)[1] for line in out.splitlines() if line.startswith("MIXGRV_")}
            shown_at = float(stamps["MIXGRV_SHOWN"])
            heavy |= set(json.loads(stamps["MIXGRV_HEAVY"]))
            if i:
                times["minimal"].append(t_min)
                times["shown"].append(t_mix)
                times["usable"].append(t_mix + float(stamps["MIXGRV_USABLE"]) - shown_at)
                times["ready"].append(t_mix + float(stamps["MIXGRV_READY"]) - shown_at)
    median = {key: statistics.median(values) for key, values in times.items()}
    ref = median["minimal"]
    first_ratio, usable_ratio = median["shown"] / ref, median["usable"] / ref
    print(f"platform: {env.get('QT_QPA_PLATFORM', 'native')}, runs: {args.runs} (median)")
    print(f"minimal PySide6 window shown:   {ref * 1000:7.0f} ms")
    print(f"mixgrv first frame:             {median['shown'] * 1000:7.0f} ms  ratio {first_ratio:.2f}  (target <= {TARGET_FIRST_FRAME})")
    print(f"mixgrv tab on screen usable:    {median['usable'] * 1000:7.0f} ms  ratio {usable_ratio:.2f}  (target <= {TARGET_USABLE})")
    print(f"mixgrv both tabs built:         {median['ready'] * 1000:7.0f} ms  ratio {median['ready'] / ref:.2f}")
    print(f"heavy modules imported on the start path: {sorted(heavy) or 'none'}")
    ok = first_ratio <= TARGET_FIRST_FRAME and usable_ratio <= TARGET_USABLE and not heavy
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
