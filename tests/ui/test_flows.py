"""Flows between the tabs, driven in the real main window by objectName, the way a person clicks.

* "생성에서 사용" after a finished training run opens the Generation tab with that adapter
  loaded, on, at full strength, scrolled to, with a status message;
* quitting while a run trains asks with a sheet: 계속 학습 keeps everything running, 중지하고 저장
  stops the child gracefully (checkpoint saved, run "stopped", not failed), then the window closes;
  the guard covers any JobRunner kind (a model download here) and "저장하지 않고 종료" ends its
  child process at once;
* exporting a take: a suffix typed in the save dialog decides the format over the filter shown.

Real core throughout: the parity checkpoints, real preprocessing, real training child processes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtWidgets import QFileDialog, QListWidget, QMessageBox, QPushButton, QSlider, QCheckBox, QSpinBox

from mixgrv_app import i18n
from mixgrv_app import settings as opts
from mixgrv_app.app import build_window
from mixgrv_app.ui.main_window import GENERATION, TRAINING
from mixgrv_app.workers.base import JobRunner, job_registry
from tests.support.training_data import prepared_dataset


@pytest.fixture
def open_window(qtbot, qapp, parity_checkpoints):
    """build_window() as the app does it: Korean, the parity checkpoints as the models folder."""
    windows = []

    def make(tab: int = TRAINING):
        opts.reset_for_tests()
        store = opts.settings()
        store.set(opts.LANGUAGE, "ko")
        store.set(opts.MODELS_ROOT, str(parity_checkpoints))
        store.set(opts.LAST_TAB, tab)
        window = build_window(qapp, store)
        qtbot.addWidget(window)
        window.resize(1280, 860)
        window.show()
        qtbot.waitExposed(window)
        with qtbot.waitSignal(window.tabs_ready, timeout=30000):
            pass
        windows.append(window)
        return window

    yield make
    for window in windows:
        generation = window.pages[GENERATION].content
        if generation is not None and hasattr(generation, "shutdown"):
            # the model process the tab started on show may still be importing its framework:
            # end it now rather than waiting out its polite exit
            generation.worker.service.close(timeout_s=0.5)
            generation.shutdown()
    assert job_registry().count() == 0, [j.kind for j in job_registry().jobs()]
    i18n.install(qapp, "en")
    opts.reset_for_tests()


def _button(window, name: str) -> QPushButton:
    button = window.findChild(QPushButton, name)
    assert button is not None, name
    return button


def _click(qtbot, window, name: str) -> None:
    button = _button(window, name)
    assert button.isVisible() and button.isEnabled(), name
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _set_training(window, **values) -> None:
    for key, value in values.items():
        spin = window.findChild(QSpinBox, f"{key}Edit")
        assert spin is not None, key
        spin.setValue(value)


def _sheet(qtbot, window) -> QMessageBox:
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "runningJobsSheet") is not None
                    and window.findChild(QMessageBox, "runningJobsSheet").isVisible(), timeout=5000)
    return window.findChild(QMessageBox, "runningJobsSheet")


def _sheet_button(sheet: QMessageBox, name: str) -> QPushButton:
    button = sheet.findChild(QPushButton, name)
    assert button is not None and button.isVisible(), name
    return button


def _run_json(name: str) -> dict:
    from mixgrv_app.core.training import run_dir

    return json.loads((run_dir(name) / "run.json").read_text(encoding="utf-8"))


@pytest.mark.timeout(600)
def test_use_in_generation_after_a_finished_run(open_window, qtbot, tmp_path, parity_checkpoints):
    from mixgrv_app.core.training import run_dir

    prepared_dataset(tmp_path, parity_checkpoints)
    window = open_window()
    training = window.training_tab()
    training.steps.setCurrentIndex(2)
    _set_training(window, epochs=1, rank=4, alpha=8, save_every=1, warmup_steps=1)
    window.findChild(type(training.training_panel.run_name), "runNameEdit").setText("flow-run")
    _click(qtbot, window, "trainButton")
    qtbot.waitUntil(lambda: _button(window, "trainButton").isEnabled() and job_registry().count() == 0, timeout=300000)
    assert _run_json("flow-run")["status"] == "done"

    checkpoints = window.findChild(QListWidget, "checkpointList")
    titles = [checkpoints.item(i).text() for i in range(checkpoints.count())]
    assert titles[-1].endswith("final"), titles
    checkpoints.setCurrentRow(checkpoints.count() - 1)
    _click(qtbot, window, "useAdapterButton")

    final = str(run_dir("flow-run") / "final" / "adapter")
    assert window.tabs.currentIndex() == GENERATION
    generation = window.generation_tab()
    assert generation.isVisible()
    assert generation.lora_panel.active_adapters() == [
        {"name": "flow-run", "path": final, "scale": 1.0, "enabled": True}]
    loras = window.findChild(QListWidget, "loraList")
    item = loras.currentItem()
    assert item is not None and item.data(Qt.ItemDataRole.UserRole) == final
    assert loras.viewport().rect().intersects(loras.visualItemRect(item))  # scrolled to it
    row = loras.itemWidget(item)
    assert row.findChild(QCheckBox, "adapterEnabled").isChecked()
    assert row.findChild(QSlider, "adapterStrength").value() == 100
    assert "flow-run" in window.statusBar().currentMessage()

    # a checkpoint the library does not list gets its own row, loaded beside the first
    window.tabs.setCurrentIndex(TRAINING)
    checkpoints.setCurrentRow(0)
    epoch_dir = checkpoints.item(0).data(Qt.ItemDataRole.UserRole)
    _click(qtbot, window, "useAdapterButton")
    assert window.tabs.currentIndex() == GENERATION
    used = {a["path"]: a for a in generation.lora_panel.active_adapters()}
    assert set(used) == {final, epoch_dir}
    assert used[epoch_dir]["scale"] == 1.0 and used[epoch_dir]["enabled"]
    assert used[epoch_dir]["name"] == f"flow-run · {Path(epoch_dir).parent.name}"
    assert loras.currentItem().data(Qt.ItemDataRole.UserRole) == epoch_dir


@pytest.mark.timeout(600)
def test_quit_while_training_asks_then_stops_and_saves(open_window, qtbot, qapp, tmp_path, parity_checkpoints):
    from mixgrv_app.core.training import latest_checkpoint, run_dir

    prepared_dataset(tmp_path, parity_checkpoints)
    window = open_window()
    training = window.training_tab()
    training.steps.setCurrentIndex(2)
    _set_training(window, epochs=5000, rank=4, alpha=8, save_every=1000, warmup_steps=1)
    window.findChild(type(training.training_panel.run_name), "runNameEdit").setText("long-run")
    outcomes: list = []
    _click(qtbot, window, "trainButton")
    training._training.finished.connect(outcomes.append)
    qtbot.waitUntil(lambda: training.training_panel.chart.point_count() >= 1, timeout=300000)
    assert [j.kind for j in job_registry().jobs()] == ["training"]

    # the Dock's Quit / ⌘Q reach Qt as a Quit event: the window refuses and asks
    quit_event = QEvent(QEvent.Type.Quit)
    QCoreApplication.sendEvent(qapp, quit_event)
    sheet = _sheet(qtbot, window)
    assert sheet.text() == "학습이 진행 중입니다"
    labels = {b.objectName(): b.text() for b in sheet.findChildren(QPushButton) if b.objectName()}
    assert labels == {"stopSaveQuitButton": "중지하고 저장 후 종료", "keepWorkingButton": "계속 학습",
                      "quitWithoutSavingButton": "저장하지 않고 종료"}
    steps_before = training.training_panel.chart.point_count()
    qtbot.mouseClick(_sheet_button(sheet, "keepWorkingButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "runningJobsSheet") is None, timeout=5000)
    assert window.isVisible() and training._training.is_running()
    qtbot.waitUntil(lambda: training.training_panel.chart.point_count() > steps_before, timeout=120000)  # still learning
    assert _run_json("long-run")["status"] == "running"

    # File > Quit (⌘Q): the same sheet; stop and save
    window.quit_action.trigger()
    sheet = _sheet(qtbot, window)
    qtbot.mouseClick(_sheet_button(sheet, "stopSaveQuitButton"), Qt.MouseButton.LeftButton)
    assert window.isVisible()  # until the checkpoint is written
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=180000)
    assert outcomes and outcomes[0][0] == "stopped", outcomes
    info = _run_json("long-run")
    assert info["status"] == "stopped" and not info.get("error")
    checkpoint = latest_checkpoint(run_dir("long-run"))
    assert checkpoint is not None and (checkpoint / "adapter" / "adapter_model.safetensors").is_file()
    assert job_registry().count() == 0


def test_any_job_kind_is_guarded_and_quit_without_saving_ends_its_child(open_window, qtbot):
    """A job kind the window knows nothing about (a model download) is covered by the registry."""
    window = open_window()
    children: list[subprocess.Popen] = []

    def download(events, cancel):
        child = subprocess.Popen(["sleep", "120"])
        children.append(child)
        while child.poll() is None:
            if cancel.cancelled:
                return "partial file kept"  # what a download does on cancel
            time.sleep(0.02)
        return child.returncode

    runner = JobRunner(download, window, kind="download")
    runner.start()
    qtbot.waitUntil(lambda: bool(children), timeout=5000)
    window.close()
    sheet = _sheet(qtbot, window)
    assert sheet.text() == "모델을 다운로드하는 중입니다"
    assert _sheet_button(sheet, "keepWorkingButton").text() == "계속 작업"
    started = time.monotonic()
    qtbot.mouseClick(_sheet_button(sheet, "quitWithoutSavingButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5000)
    assert time.monotonic() - started < 4
    assert children[0].wait(5) is not None  # the child was ended, not left behind
    qtbot.waitUntil(lambda: not runner.is_running(), timeout=5000)


def _take_on_disk(tmp_path: Path):
    from mixgrv_app.core.audio import write_audio
    from mixgrv_app.core.history import History, Take, new_id, peaks_of

    rate, seconds = 48000, 1.0
    t = np.arange(int(rate * seconds)) / rate
    audio = np.stack([0.3 * np.sin(2 * np.pi * 330 * t), 0.3 * np.sin(2 * np.pi * 440 * t)]).astype(np.float32)
    history = History()
    take_id = new_id()
    folder = history.root / take_id
    folder.mkdir(parents=True)
    path = write_audio(folder / "take.flac", audio, rate, "24")
    take = Take(take_id, time.time(), str(path), {"caption": "export test"}, 7, variant="acestep-v15-turbo",
                duration_s=seconds, peaks=peaks_of(audio))
    history.add([take])
    return take


@pytest.mark.parametrize("typed, filter_id, expected_name, subtype", [
    ("내 노래.flac", "wav16", "내 노래.flac", "PCM_24"),   # the typed suffix wins over the WAV filter
    ("내 노래.MP3", "flac", "내 노래.MP3", "MPEG_LAYER_III"),
    ("내 노래", "flac", "내 노래.flac", "PCM_24"),          # no suffix: the filter adds its own
    ("내 노래.v2", "wav24", "내 노래.v2.wav", "PCM_24"),    # not a format suffix: kept, filter's added
    ("내 노래.wav", "wav32f", "내 노래.wav", "FLOAT"),      # same suffix: the filter's bit depth
])
def test_export_typed_suffix_decides_the_format(open_window, qtbot, tmp_path, monkeypatch, typed, filter_id,
                                                expected_name, subtype):
    take = _take_on_disk(tmp_path)
    window = open_window(GENERATION)
    results = window.generation_tab().results
    qtbot.waitUntil(lambda: results.selected_take() is not None, timeout=5000)
    assert results.selected_take().id == take.id
    filter_text = dict(results.format_filters())[filter_id]
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(out / typed), filter_text)))
    with qtbot.waitSignal(results.export_finished, timeout=30000) as done:
        _click(qtbot, window, "exportButton")
    assert done.args == [str(out / expected_name)]
    assert sorted(p.name for p in out.iterdir()) == [expected_name]
    info = soundfile.info(str(out / expected_name))
    assert info.subtype == subtype and info.channels == 2


QUIT_SCRIPT = r"""
import json, sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMessageBox, QPushButton
from mixgrv_app.app import MixgrvApplication, build_window
from mixgrv_app.workers.base import JobRunner

app = MixgrvApplication(sys.argv[:1])
window = build_window(app)
window.show()

def download(events, cancel):
    while not cancel.cancelled:
        time.sleep(0.02)
    return "partial file kept"

runner = JobRunner(download, window, kind="download")
runner.start()
seen = []

def sheet():
    box = window.findChild(QMessageBox, "runningJobsSheet")
    return box if box is not None and box.isVisible() else None

def first_quit():
    app.quit()  # what ⌘Q and the Dock's Quit end in: a Quit event in the running loop
    QTimer.singleShot(300, keep)

def keep():
    seen.append({"sheet": sheet() is not None, "window": window.isVisible(), "running": runner.is_running()})
    sheet().findChild(QPushButton, "keepWorkingButton").click()
    QTimer.singleShot(300, second_quit)

def second_quit():
    seen.append({"sheet": sheet() is not None, "window": window.isVisible(), "running": runner.is_running()})
    app.quit()
    QTimer.singleShot(300, lambda: sheet().findChild(QPushButton, "stopSaveQuitButton").click())

QTimer.singleShot(300, first_quit)
QTimer.singleShot(20000, lambda: app.exit(3))
code = app.exec()
print("SEEN " + json.dumps({"steps": seen, "code": code, "running": runner.is_running(),
                            "result": runner.result}), flush=True)
"""


def test_application_quit_in_the_running_loop_goes_through_the_guard(tmp_path):
    """QApplication.quit() inside app.exec() (⌘Q, the Dock's Quit): the sheet, 계속 keeps the app
    running, 중지하고 저장 lets the job end its own way and then the app exits normally."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", MIXGRV_HOME=str(tmp_path / "home"))
    done = subprocess.run([sys.executable, "-c", QUIT_SCRIPT], env=env, cwd=Path(__file__).resolve().parents[2],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    line = next(l for l in done.stdout.splitlines() if l.startswith("SEEN "))
    report = json.loads(line[5:])
    assert report["steps"] == [{"sheet": True, "window": True, "running": True},
                               {"sheet": False, "window": True, "running": True}]
    assert report["code"] == 0 and not report["running"] and report["result"] == "partial file kept"


def test_stop_and_save_lets_an_export_finish_and_cancels_the_rest(open_window, qtbot):
    """"finish" jobs (an export) are waited for, "cancel" jobs (preprocessing) are stopped; the
    window closes when the last one has ended."""
    import threading

    window = open_window()
    release_export = threading.Event()
    ended: list[str] = []

    def export(events, cancel):
        release_export.wait(10)
        ended.append("export finished" + (" (cancel ignored)" if cancel.cancelled else ""))

    def preprocess(events, cancel):
        while not cancel.cancelled:
            time.sleep(0.01)
        ended.append("preprocess cancelled")

    runners = [JobRunner(export, window, kind="export", on_quit="finish"),
               JobRunner(preprocess, window, kind="preprocess")]
    for runner in runners:
        runner.start()
    assert job_registry().kinds() == ["preprocess", "export"]
    window.close()
    sheet = _sheet(qtbot, window)
    assert sheet.text() == "학습할 노래를 준비하는 중입니다"
    qtbot.mouseClick(_sheet_button(sheet, "stopSaveQuitButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ended == ["preprocess cancelled"], timeout=5000)
    qtbot.wait(200)
    assert window.isVisible() and job_registry().kinds() == ["export"]  # waiting for the export
    release_export.set()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5000)
    assert ended == ["preprocess cancelled", "export finished"]
