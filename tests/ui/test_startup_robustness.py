"""Start-up never crashes: corrupt settings, unwritable folders, a second instance, an uncaught error."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import types
from pathlib import Path

import pytest
from PySide6.QtCore import QDir
from PySide6.QtWidgets import QMessageBox

from mixgrv_app import logging_setup, paths
from mixgrv_app import settings as opts
from mixgrv_app.app import build_window, startup_notes
from mixgrv_app.single_instance import SingleInstance, server_name

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _fresh_state(monkeypatch):
    # The window shell only: light stand-in tabs (the real ones have their own tests).
    from PySide6.QtWidgets import QWidget

    from mixgrv_app.ui.main_window import GENERATION, TAB_CLASSES, TRAINING

    class StandInTab(QWidget):
        def import_audio_paths(self, paths):  # noqa: ANN001
            pass

    module = types.ModuleType("mixgrv_standin_tabs")
    module.Tab = StandInTab
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setitem(TAB_CLASSES, TRAINING, (module.__name__, "Tab"))
    monkeypatch.setitem(TAB_CLASSES, GENERATION, (module.__name__, "Tab"))
    opts.reset_for_tests()
    monkeypatch.setattr(paths, "_fallback_notes", [])
    yield
    opts.reset_for_tests()


def _run_app(home: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", MIXGRV_HOME=str(home), MIXGRV_STARTUP_PROBE="1")
    return subprocess.run(
        [sys.executable, "-m", "mixgrv_app.app", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout
    )


# -- settings ---------------------------------------------------------------------------------
def test_corrupt_settings_store_falls_back_to_defaults(_private_home):
    store = _private_home / "settings.ini"
    store.write_text("[General\nwindow/last_tab=1\n", encoding="utf-8")  # an unterminated section: FormatError
    settings = opts.settings()
    assert settings.get(opts.LAST_TAB) == 0
    assert settings.get(opts.LANGUAGE) == "system"
    notes = [note.text() for note in settings.take_notes()]
    assert len(notes) == 1 and "default settings" in notes[0]
    backups = list(_private_home.glob("settings.ini.corrupt-*"))
    assert len(backups) == 1 and backups[0].read_text(encoding="utf-8").startswith("[General")
    settings.set(opts.LAST_TAB, 1)  # the fresh store works
    assert settings.sync()
    opts.reset_for_tests()
    assert opts.settings().get(opts.LAST_TAB) == 1


def test_values_of_the_wrong_type_read_as_defaults(_private_home):
    (_private_home / "settings.ini").write_text(
        "[window]\nlast_tab=banana\n[ui]\nlanguage=klingon\n", encoding="utf-8"
    )
    settings = opts.settings()
    assert settings.get(opts.LAST_TAB) == 0
    assert settings.get(opts.LANGUAGE) == "system"
    assert settings.get(opts.LAST_TAB) == 0
    keys = sorted(note.params["key"] for note in settings.take_notes())
    assert keys == ["ui/language", "window/last_tab"]  # one note per key, not one per read


def test_typed_options_round_trip_through_the_ini_store(_private_home):
    settings = opts.settings()
    settings.set(opts.WINDOW_GEOMETRY, b"\x01\x02\xff")
    settings.set(opts.LAST_TAB, 1)
    settings.set(opts.MODELS_ROOT, "/Users/민지/checkpoints")
    assert settings.sync()
    opts.reset_for_tests()
    again = opts.settings()
    assert again.get(opts.WINDOW_GEOMETRY) == b"\x01\x02\xff"
    assert again.get(opts.LAST_TAB) == 1
    assert again.get(opts.MODELS_ROOT) == "/Users/민지/checkpoints"
    with pytest.raises((TypeError, ValueError)):
        again.set(opts.LAST_TAB, "two")
    with pytest.raises(ValueError):
        opts.IntOption("window/last_tab", 3)  # a key is declared once


def test_corrupt_settings_end_to_end_shows_a_note(_private_home, qtbot, qapp):
    (_private_home / "settings.ini").write_text("[General\n", encoding="utf-8")
    window = build_window(qapp, opts.settings())
    qtbot.addWidget(window)
    notes = startup_notes(window.settings)
    box = window.show_startup_notes(notes)
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert "default settings" in box.informativeText()
    box.close()


# -- folders ----------------------------------------------------------------------------------
def test_unwritable_data_folder_starts_with_a_fallback(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    # Tests run as root here, so permissions cannot make a folder unwritable; a file in the way can.
    done = _run_app(blocker / "mixgrv")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "MIXGRV_SHOWN" in done.stdout
    assert "Traceback" not in done.stderr


def test_unwritable_data_folder_is_explained(tmp_path, monkeypatch, qtbot, qapp):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("MIXGRV_HOME", str(blocker / "mixgrv"))
    root = paths.data_root()
    assert root != blocker / "mixgrv" and os.access(root, os.W_OK)
    window = build_window(qapp, opts.Settings())
    qtbot.addWidget(window)
    notes = startup_notes(window.settings)
    assert len(notes) == 1 and str(blocker / "mixgrv") in notes[0]
    box = window.show_startup_notes(notes)
    assert box.isVisible()
    box.close()


def test_log_file_lands_in_the_logs_folder(_private_home):
    path = logging_setup.setup_logging()
    try:
        assert path == paths.logs_dir() / "mixgrv.log"
        logging.getLogger("mixgrv.test").warning("로그 한 줄")
        for handler in logging.getLogger().handlers:
            handler.flush()
        assert "로그 한 줄" in path.read_text(encoding="utf-8")
    finally:
        root = logging.getLogger()
        root.removeHandler(logging_setup._handler)
        logging_setup._handler.close()
        logging_setup._handler = None


# -- uncaught exceptions -------------------------------------------------------------------------
def test_uncaught_exception_shows_a_dialog_with_the_log_location(_private_home, qtbot, monkeypatch):
    monkeypatch.setattr(logging_setup, "_log_file", _private_home / "logs" / "mixgrv.log")
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    reporter = logging_setup.ErrorReporter()
    logging_setup.install_excepthook(reporter)

    def crash_in_a_thread():
        raise RuntimeError("boom in a worker")

    worker = threading.Thread(target=crash_in_a_thread)
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: reporter.dialog is not None and reporter.dialog.isVisible(), timeout=3000)
    assert str(_private_home / "logs" / "mixgrv.log") in reporter.dialog.informativeText()
    assert "boom in a worker" in reporter.dialog.detailedText()
    try:
        raise ValueError("second one")
    except ValueError:
        sys.excepthook(*sys.exc_info())
    qtbot.waitUntil(lambda: reporter.suppressed == 1, timeout=3000)  # one dialog at a time
    reporter.dialog.close()


# -- a second instance ---------------------------------------------------------------------------
def test_second_instance_hands_its_files_to_the_first(_private_home, qtbot, qapp, tmp_path, monkeypatch):
    window = build_window(qapp, opts.settings())
    qtbot.addWidget(window)
    received: list[list[str]] = []
    monkeypatch.setattr(window.training_tab(), "import_audio_paths", lambda p: received.append(list(p)), raising=False)
    first = SingleInstance()
    assert first.claim([]) is True  # nobody else: this one listens
    first.paths_received.connect(window.receive_from_other_instance)
    song = tmp_path / "두 번째 실행.flac"
    song.write_bytes(b"fLaC")
    try:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", MIXGRV_HOME=str(_private_home))
        second = subprocess.Popen(
            [sys.executable, "-m", "mixgrv_app.app", str(song)], cwd=REPO, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        qtbot.waitUntil(lambda: second.poll() is not None, timeout=30000)
        out, err = second.communicate()
        assert second.returncode == 0, err[-3000:]
        assert "already running" in out
        qtbot.waitUntil(lambda: bool(received), timeout=3000)
        assert received == [[str(song)]]
    finally:
        first.close()


@pytest.mark.skipif(sys.platform == "win32", reason="Unix socket files only")
def test_a_stale_socket_from_a_crash_is_replaced(_private_home):
    name = server_name()
    stale = Path(QDir.tempPath()) / name  # where QLocalServer puts a relative name on Unix
    stale.write_text("left behind by a crashed mixgrv")
    instance = SingleInstance(name)
    try:
        assert instance.claim([]) is True
        assert instance.server is not None and instance.server.isListening()
    finally:
        instance.close()


def test_instances_for_different_data_roots_do_not_meet(tmp_path, monkeypatch):
    monkeypatch.setenv("MIXGRV_HOME", str(tmp_path / "a"))
    a = server_name()
    monkeypatch.setenv("MIXGRV_HOME", str(tmp_path / "b"))
    assert server_name() != a


def test_log_file_rotates(tmp_path):
    handler = logging_setup.RotatingFile(tmp_path / "mixgrv.log", max_bytes=200, backups=2)
    logger = logging.getLogger("mixgrv.rotation-test")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        for i in range(40):
            logger.warning("line %02d %s", i, "x" * 40)
    finally:
        logger.removeHandler(handler)
        handler.close()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["mixgrv.log", "mixgrv.log.1", "mixgrv.log.2"]
    assert "line 39" in (tmp_path / "mixgrv.log").read_text(encoding="utf-8")
    assert all(p.stat().st_size < 400 for p in tmp_path.iterdir())
