"""First run end to end: an empty data folder, the real main window, the welcome sheet, the
essentials downloaded from a (local) Hugging Face Hub, then a take made with them.

Nothing is mocked: the window is ``app.build_window`` with the real tabs, the download runs
``core.model_download`` in a child process with the real huggingface_hub client pointed by
HF_ENDPOINT at tests/support/local_hub.py (the parity set's tiny checkpoints in the official
repo layout), and the take is rendered by the Generation tab's model process. Sheets and buttons
are found by objectName, as a user finds them by sight.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QProgressBar, QPushButton

from mixgrv_app import settings as opts
from mixgrv_app.core import models
from mixgrv_app.ui.main_window import GENERATION, TRAINING
from tests.support.local_hub import LocalHub, official_repos

HANGUL = re.compile(r"[\uac00-\ud7a3]")


@pytest.fixture
def client(parity, monkeypatch, tmp_path):
    with LocalHub(official_repos(parity / "checkpoints")) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
        monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))
        monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
        for name in ("HF_TOKEN", "HF_HUB_OFFLINE", "HF_HUB_ENABLE_HF_TRANSFER"):
            monkeypatch.delenv(name, raising=False)
        yield hub


def _visible_dialog(window, name: str) -> QDialog | None:
    dialog = window.findChild(QDialog, name)
    return dialog if dialog is not None and dialog.isVisible() else None


def test_first_start_downloads_the_essentials_and_makes_a_take(qtbot, qapp, client, _private_home, artifacts_dir):
    from mixgrv_app.app import build_window

    opts.reset_for_tests()
    store = opts.settings()
    store.set(opts.LANGUAGE, "ko")
    assert not store.get(opts.MODELS_ROOT)  # nothing chosen: the app's own folder under MIXGRV_HOME
    window = build_window(qapp, store)
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    qtbot.waitExposed(window)

    # -- the welcome sheet comes by itself, over a window that says the models are missing ----------
    qtbot.waitUntil(lambda: _visible_dialog(window, "modelWelcome") is not None, timeout=15_000)
    welcome = _visible_dialog(window, "modelWelcome")
    root = Path(window.models_root())
    assert root.is_relative_to(_private_home) and not models.essentials_ready(root)
    assert window.status_text("model") == "모델: 다운로드 필요"
    tab = window.generation_tab()
    tab.form.caption_edit.setPlainText("잔잔한 로파이 피아노")
    assert tab.form.problem() == "ACE-Step 모델을 아직 받지 않았습니다. 설정 > 모델…에서 받으세요."
    assert not tab.generate()  # refused with that sentence, before any model work
    assert not tab.form_problem.isHidden() and tab.form_problem.text() == tab.form.problem()

    download = welcome.findChild(QPushButton, "downloadEssentialsButton")
    expected_gb = models.summary(root).missing_essentials_bytes / 1e9
    assert download.text() == f"필수 모델 받기 (약 {expected_gb:.1f} GB)"
    assert welcome.findChild(QPushButton, "chooseModelsFolderButton").text() == "이미 받은 폴더 선택…"
    assert welcome.findChild(QPushButton, "laterButton").text() == "나중에"
    welcome.grab().save(str(artifacts_dir / "first_run_welcome_ko.png"))

    # -- 필수 모델 받기: the manager sheet shows the download; the status bar follows it ---------------
    jobs = window.model_jobs()
    pills: list[str] = []
    jobs.progress.connect(lambda _event: pills.append(window.status_text("model")))
    with qtbot.waitSignal(jobs.finished, timeout=180_000) as finished:
        qtbot.mouseClick(download, Qt.MouseButton.LeftButton)
        assert not welcome.isVisible()
        manager = _visible_dialog(window, "modelManager")
        assert manager is not None and jobs.is_running()
        assert manager.findChild(QPushButton, "cancelDownloadButton").isVisible()
    kind, outcome, result = finished.args
    assert (kind, outcome) == ("download", "done"), result
    assert sorted(result["components"]) == sorted(models.ESSENTIALS)
    assert result["fetched_bytes"] == client.served > 0
    assert any(p.startswith("모델: 받는 중 ") for p in pills), pills
    assert manager.findChild(QProgressBar, "downloadProgress").value() == manager.findChild(QProgressBar, "downloadProgress").maximum()
    assert models.essentials_ready(root)
    assert window.status_text("model") == "모델: 있음"
    qapp.processEvents()
    manager.grab().save(str(artifacts_dir / "first_run_manager_ko.png"))
    manager.accept()

    # -- both tabs are usable at once: no restart, no folder to choose --------------------------------
    assert tab.form.problem() == ""
    assert tab.form.variant_combo.findData(models.TURBO) >= 0
    assert tab.form_problem.isHidden()
    training = window.training_tab()
    assert models.TURBO in training.preprocess_panel.models_status.text()
    window.tabs.setCurrentIndex(TRAINING)
    window.tabs.setCurrentIndex(GENERATION)

    # -- one take with the models just downloaded ------------------------------------------------------
    form = tab.form
    form.variant_combo.setCurrentIndex(form.variant_combo.findData(models.TURBO))
    form.duration_slider.setValue(form.duration_slider.minimum())
    form.seed_random.setChecked(False)
    form.seed_spin.setValue(7)
    outcomes: list = []
    tab.generation_finished.connect(outcomes.append)
    tab.generation_failed.connect(lambda text: outcomes.append(f"failed: {text}"))
    assert tab.generate()
    qtbot.waitUntil(lambda: bool(outcomes), timeout=300_000)
    outcome = outcomes[0]
    assert not isinstance(outcome, str), outcome
    take = outcome.takes[0]
    assert Path(take.audio_path).is_file() and Path(take.audio_path).stat().st_size > 0
    assert take.variant == models.TURBO and take.duration_s == form.duration_slider.minimum()
    window.grab().save(str(artifacts_dir / "first_run_take_ko.png"))
    window.close()
