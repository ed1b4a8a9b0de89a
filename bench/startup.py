"""Start-up time: process start -> main window shown, against a minimal PySide6 window.

Both run as fresh processes in this same run, alternating, on the same Qt platform (offscreen
unless a display is set), so the ratio says what mixgrv adds on top of Qt itself. Target: ≤ 1.5.
mixgrv reports its first shown frame through MIXGRV_STARTUP_PROBE (see mixgrv_app/app.py) and
which heavy frameworks were imported on the way (must be none).

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
TARGET = 1.5

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
    if not env.get("DISPLAY") and sys.platform != "darwin":
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
    minimal_times, mixgrv_times, ready_times, heavy = [], [], [], set()
    with tempfile.TemporaryDirectory(prefix="mixgrv-bench-") as home:
        for i in range(args.runs + 1):  # the first pair warms the disk cache and is dropped
            t_min, _ = _run([sys.executable, "-c", MINIMAL], env, "SHOWN ")
            run_env = dict(env, MIXGRV_HOME=str(Path(home) / f"run{i}"), MIXGRV_STARTUP_PROBE="1")
            t_mix, out = _run([sys.executable, "-m", "mixgrv_app"], run_env, "MIXGRV_SHOWN ")
            ready_line = next(l for l in out.splitlines() if l.startswith("MIXGRV_READY "))
            t_ready = t_mix + float(ready_line.split()[1]) - float(next(
                l for l in out.splitlines() if l.startswith("MIXGRV_SHOWN ")).split()[1])
            for line in out.splitlines():
                if line.startswith("MIXGRV_HEAVY "):
                    heavy |= set(json.loads(line.split(" ", 1)[1]))
            if i:
                minimal_times.append(t_min)
                mixgrv_times.append(t_mix)
                ready_times.append(t_ready)
    ref, ours = statistics.median(minimal_times), statistics.median(mixgrv_times)
    ratio = ours / ref
    print(f"platform: {env.get('QT_QPA_PLATFORM', 'native')}, runs: {args.runs} (median)")
    print(f"minimal PySide6 window shown: {ref * 1000:7.0f} ms")
    print(f"mixgrv main window shown:     {ours * 1000:7.0f} ms")
    print(f"mixgrv tabs filled in:        {statistics.median(ready_times) * 1000:7.0f} ms  (built right after the first frame)")
    print(f"ratio: {ratio:.2f}  (target <= {TARGET})")
    print(f"heavy modules imported on the start path: {sorted(heavy) or 'none'}")
    return 0 if ratio <= TARGET and not heavy else 1


if __name__ == "__main__":
    sys.exit(main())
