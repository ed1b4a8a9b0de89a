"""Shared test set-up: headless Qt, a private data root per test, the parity folder."""

from __future__ import annotations

import os
from pathlib import Path

# Must happen before any QApplication exists (platform-notes: else the process aborts).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTHONHASHSEED", "0")

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO_ROOT / "test-artifacts"


def parity_dir() -> Path:
    """The parity set to test against: $MIXGRV_PARITY_DIR or ../shared/parity/v1."""
    env = os.environ.get("MIXGRV_PARITY_DIR")
    return Path(env) if env else (REPO_ROOT.parent / "shared" / "parity" / "v1")


def case_names(prefix: str = "") -> list[str]:
    """The parity set's case names starting with ``prefix``, read at collection time so parity
    tests parametrize by case name; a set without one yields a name the test then fails on."""
    import json

    path = parity_dir() / "cases.json"
    names = [n for n in json.loads(path.read_text(encoding="utf-8"))["cases"] if n.startswith(prefix)] \
        if path.is_file() else []
    return names or [f"{prefix}* (no such case in the parity set)"]


@pytest.fixture(autouse=True, scope="session")
def _collect_in_the_main_thread():
    """As in the app (ui/gui_gc.py): no automatic cyclic collection, which could run in a worker
    thread and destroy Qt objects there; garbage is collected after each test, in this thread."""
    import gc

    gc.disable()
    gc.collect()
    gc.freeze()  # the imported frameworks: never scanned again (a full pass over them is ~170 ms)
    yield
    gc.enable()


@pytest.fixture(autouse=True)
def _collect_after_test():
    yield
    import gc

    gc.collect()
    gc.freeze()  # what survived this test (module caches, fixtures) is not scanned again


@pytest.fixture(autouse=True)
def _private_home(tmp_path_factory, monkeypatch):
    """Every test gets its own MIXGRV_HOME so nothing touches the user's data."""
    home = tmp_path_factory.mktemp("mixgrv-home")
    monkeypatch.setenv("MIXGRV_HOME", str(home))
    yield home


@pytest.fixture(scope="session")
def parity() -> Path:
    root = parity_dir()
    if not (root / "cases.json").is_file():
        pytest.fail(f"parity set not found at {root}: set MIXGRV_PARITY_DIR or put shared/ beside the repo")
    return root


@pytest.fixture(scope="session")
def parity_checkpoints(parity) -> Path:
    return parity / "checkpoints"


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


CHILD_SCENARIO_ENV = "MIXGRV_E2E_GENERATION_CHILD"


def pytest_configure(config):
    config.addinivalue_line("markers", "child_scenario: a scenario a test runs in a clean child process")


def pytest_collection_modifyitems(config, items):
    """Scenarios marked child_scenario run only inside the child process their parent test
    starts (with its own audio device setup); in the normal run they are deselected, not skipped."""
    if os.environ.get(CHILD_SCENARIO_ENV):
        return
    drop = [item for item in items if item.get_closest_marker("child_scenario")]
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = [item for item in items if item not in drop]
