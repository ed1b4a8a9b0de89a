"""mixgrv: train LoRA adapters for ACE-Step 1.5 on a Mac and make music with them.

Package map (see README.md and the design notes in module docstrings):
  core/      models, pipeline, datasets, training — no Qt
  workers/   thin bridges: a Python thread runs or awaits a core job, one queued signal brings
             its events to the GUI thread as Qt signals (workers/base.py EventRelay)
  ui/        widgets only — no torch, mlx or peft
  commands/  the CLI verbs (cli.py dispatches)
"""

__version__ = "0.1.0"

# PySide6 6.12 on Python 3.11 leaks references to None/True/False on every signal emit and
# void call until CPython aborts; pad them once for every process (see pyside_fix.py).
from mixgrv_app import pyside_fix as _pyside_fix  # noqa: E402,F401
