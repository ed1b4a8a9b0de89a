"""Keep Python's None/True/False alive under PySide6 6.12 on Python 3.11.

shiboken6 6.12 hands back ``None``, ``True`` and ``False`` without a new reference in common
places — every ``Signal.emit()`` (its bool result), every void method such as ``setText`` or
``deleteLater``, keyword properties in constructors. On Python ≥ 3.12 those three objects are
immortal and nothing happens; on 3.11 (our CI venv) each call takes one reference away, and
after a few hundred signal emissions CPython aborts with "Fatal Python error: bool_dealloc:
deallocating True or False" (measured: ~590 emits from a fresh interpreter). A training run
emits far more than that.

The remedy gives the three singletons the kind of reference count 3.12 gives them: one no
program can use up. Import this module before the first PySide6 call; it is idempotent and does
nothing on Python ≥ 3.12 or outside CPython.
"""

from __future__ import annotations

import ctypes
import sys

_HEADROOM = 1 << 40  # far beyond any number of calls a process can make
_applied = False


def apply() -> bool:
    """Pad the singletons' reference counts once. True when the padding was needed and applied."""
    global _applied
    if _applied or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    for singleton in (None, True, False):
        ctypes.c_ssize_t.from_address(id(singleton)).value += _HEADROOM
    _applied = True
    return True


apply()
