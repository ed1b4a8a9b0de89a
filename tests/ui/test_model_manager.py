"""The model sheets (ui/model_manager.py) driven by objectName against a local Hugging Face Hub.

The downloads are real: the sheet's ModelJobs runs core.model_download in a child process with
the real huggingface_hub client, pointed by HF_ENDPOINT at tests/support/local_hub.py serving
the parity set's tiny checkpoints in the official repo layout. Expected states and sizes come
from core.models (the catalogue) and the server's files, never from numbers written here.
"""

from __future__ import annotations

import re
import shutil

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QProgressBar, QPushButton, QTableWidget

from mixgrv_app import i18n
from mixgrv_app.core import models
from mixgrv_app.ui import model_manager as mm
from mixgrv_app.ui.messages import text_for
from mixgrv_app.workers.models import CANCELLED, DONE, FAILED, ModelJobs
from tests.support.local_hub import LocalHub, official_repos

HANGUL = re.compile(r"[\uac00-\ud7a3]")


@pytest.fixture(scope="module")
def hub(parity):
    with LocalHub(official_repos(parity / "checkpoints")) as server:
        yield server


@pytest.fixture
def client(hub, monkeypatch, tmp_path):
    """What the download child inherits: the local Hub and an empty private HF cache."""
    hub.reset_counts()
    hub.require_token, hub.rate_bps = None, None
    hub.missing.clear()
    hub.drop_after.clear()
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    for name in ("HF_TOKEN", "HF_HUB_OFFLINE", "HF_HUB_ENABLE_HF_TRANSFER"):
        monkeypatch.delenv(name, raising=False)
    return hub


@pytest.fixture
def korean(qapp):
    i18n.install(qapp, "ko")
    yield
    i18n.install(qapp, "en")


@pytest.fixture
def sheet(qtbot, tmp_path):
    def make(root=None) -> mm.ModelManager:
        jobs = ModelJobs()
        manager = mm.ModelManager(str(root or tmp_path / "models"), jobs)
        qtbot.addWidget(manager)
        manager.resize(900, 600)
        manager.show()
        manager._test_jobs = jobs  # keep the bridge alive as long as the sheet
        return manager
    return make


def _row(manager: mm.ModelManager, name: str) -> dict[str, str]:
    table = manager.findChild(QTableWidget, "modelTable")
    row = manager.row_of(name)
    assert row >= 0, name
    return {"state": table.item(row, mm.STATE).data(Qt.ItemDataRole.UserRole),
            "size": table.item(row, mm.SIZE).text(), "memory": table.item(row, mm.MEMORY).text(),
            "note": table.item(row, mm.NOTE).text(),
            "checked": table.item(row, mm.NAME).checkState() == Qt.CheckState.Checked}


def _run(qtbot, manager: mm.ModelManager, button: str, timeout: int = 120_000) -> tuple[str, str, object]:
    """Click ``button`` and wait for the job it started; returns (kind, outcome, detail)."""
    with qtbot.waitSignal(manager.jobs.finished, timeout=timeout) as blocker:
        qtbot.mouseClick(manager.findChild(QPushButton, button), Qt.MouseButton.LeftButton)
    return tuple(blocker.args)


def _essential_files(hub) -> dict:
    out = {}
    for name in models.ESSENTIALS:
        comp = models.component(name)
        out.update({p: f for p, f in hub.repos[comp.repo].files.items() if comp.folder_path(p) is not None})
    return out


# ------------------------------------------------------------------------------------------ listing
def test_every_component_is_listed_with_state_size_memory_and_notes(sheet, parity_checkpoints, tmp_path, korean):
    root = tmp_path / "models"
    shutil.copytree(parity_checkpoints / models.VAE_FOLDER, root / models.VAE_FOLDER)  # a user's own copy
    turbo = root / models.TURBO
    turbo.mkdir()
    (turbo / "config.json").write_bytes((parity_checkpoints / models.TURBO / "config.json").read_bytes())
    models.write_manifest(root, models.TURBO, {"complete": False, "files": {"config.json": {"size": 1}}})
    manager = sheet(root)

    for name in ("modelManager",):
        assert manager.objectName() == name
    for name in ("modelTable", "downloadButton", "verifyButton", "cancelDownloadButton", "downloadProgress"):
        assert manager.findChild(object, name) is not None, name
    table = manager.findChild(QTableWidget, "modelTable")
    assert table.rowCount() == len(models.CATALOGUE)
    states = models.scan(root)
    suggested = models.suggest_lm()
    for comp in models.CATALOGUE:
        row = _row(manager, comp.name)
        assert row["state"] == states[comp.name].status
        assert row["size"] == mm.format_bytes(comp.size_bytes)
        assert row["memory"] == f"{comp.memory_gb:g} GB"
        assert ("필수" in row["note"]) == comp.essential
        assert ("이 Mac에 추천" in row["note"]) == (suggested is not None and comp.name == models.lm_component(suggested).name)
        assert (f"{comp.min_memory_gb:g} GB" in row["note"]) == bool(comp.min_memory_gb)
    assert _row(manager, models.VAE_FOLDER)["state"] == models.INSTALLED
    assert _row(manager, models.TURBO)["state"] == models.PARTIAL
    assert _row(manager, models.TEXT_ENCODER_FOLDER)["state"] == models.MISSING
    # the essentials not installed are checked; the download button names what they still need
    assert [n for n in models.ESSENTIALS if _row(manager, n)["checked"]] == [models.TURBO, models.TEXT_ENCODER_FOLDER]
    expected = sum(states[n].size_bytes - states[n].present_bytes for n in (models.TURBO, models.TEXT_ENCODER_FOLDER))
    button = manager.findChild(QPushButton, "downloadButton")
    assert button.isEnabled() and mm.format_bytes(expected) in button.text() and HANGUL.search(button.text())
    assert not manager.findChild(QPushButton, "cancelDownloadButton").isVisible()


# ------------------------------------------------------------------------------------------ jobs
def test_download_verify_and_delete_from_the_sheet(sheet, client, qtbot, tmp_path, korean, artifacts_dir):
    root = tmp_path / "models"
    manager = sheet(root)
    ready: list[str] = []
    manager.jobs.component_ready.connect(ready.append)
    progress: list[int] = []
    manager.jobs.progress.connect(lambda _e: progress.append(manager.findChild(QProgressBar, "downloadProgress").value()))

    kind, outcome, detail = _run(qtbot, manager, "downloadButton")
    assert (kind, outcome) == ("download", DONE), detail
    files = _essential_files(client)
    assert detail["fetched_bytes"] == sum(f.size for f in files.values()) == client.served
    assert sorted(ready) == sorted(models.ESSENTIALS)
    assert progress and progress == sorted(progress)  # the bar only moves forward
    assert manager.findChild(QProgressBar, "downloadProgress").value() == mm.PROGRESS_STEPS
    for name in models.ESSENTIALS:
        row = _row(manager, name)
        assert row["state"] == models.INSTALLED and "검증됨" in row["note"], row
    assert manager.transfer.stage_label.text() == "다운로드가 끝났습니다. 모델을 쓸 수 있습니다."
    assert not manager.findChild(QPushButton, "downloadButton").isEnabled()  # nothing checked is missing
    manager.grab().save(str(artifacts_dir / "model_manager_ko.png"))

    # a flipped byte (same size: only hashing can tell) is found by 검증 and fetched again
    target = root / models.VAE_FOLDER / "diffusion_pytorch_model.safetensors"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    client.reset_counts()
    kind, outcome, detail = _run(qtbot, manager, "verifyButton")
    assert (kind, outcome) == ("verify", DONE), detail
    assert detail["bad"] == {models.VAE_FOLDER: ["diffusion_pytorch_model.safetensors"]}
    assert client.served == len(data)
    assert target.read_bytes() == client.file(models.MAIN_REPO, "vae/diffusion_pytorch_model.safetensors").source.read_bytes()
    assert models.VAE_FOLDER in manager.transfer.stage_label.text() and "다시 받았" in manager.transfer.stage_label.text()

    # delete the checked row
    manager.set_checked([models.VAE_FOLDER])
    assert manager.findChild(QPushButton, "deleteModelButton").isEnabled()
    with qtbot.waitSignal(manager.jobs.finished, timeout=30_000):
        assert manager.remove_checked(confirm=False)
    assert _row(manager, models.VAE_FOLDER)["state"] == models.MISSING and not (root / models.VAE_FOLDER).exists()
    assert mm.format_bytes(models.component(models.VAE_FOLDER).size_bytes) in manager.download_button.text()


def test_stop_keeps_what_arrived_and_the_next_download_continues(sheet, client, qtbot, tmp_path, korean):
    root = tmp_path / "models"
    files = _essential_files(client)
    total = sum(f.size for f in files.values())
    client.rate_bps = total / 4  # about four seconds for everything
    manager = sheet(root)
    cancel = manager.findChild(QPushButton, "cancelDownloadButton")
    with qtbot.waitSignal(manager.jobs.finished, timeout=60_000) as blocker:
        qtbot.mouseClick(manager.findChild(QPushButton, "downloadButton"), Qt.MouseButton.LeftButton)
        assert cancel.isVisible() and not manager.download_button.isEnabled()
        qtbot.waitUntil(lambda: manager.findChild(QProgressBar, "downloadProgress").value() >= mm.PROGRESS_STEPS // 4,
                        timeout=30_000)
        qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    assert blocker.args[1] == CANCELLED
    assert not cancel.isVisible()
    assert "멈췄습니다" in manager.transfer.stage_label.text()
    assert not models.essentials_ready(root)
    assert any(_row(manager, n)["state"] == models.PARTIAL for n in models.ESSENTIALS)
    assert manager.download_button.isEnabled()
    # the next start offers to continue, with what is left
    welcome = mm.ModelWelcome(str(root))
    qtbot.addWidget(welcome)
    left = models.summary(root).missing_essentials_bytes
    assert welcome.findChild(QPushButton, "downloadEssentialsButton").text() == f"다운로드 이어 받기 (약 {left / 1e9:.1f} GB 남음)"

    client.rate_bps = None
    client.reset_counts()
    kind, outcome, detail = _run(qtbot, manager, "downloadButton")
    assert outcome == DONE, detail
    assert client.served < total  # what had arrived was not fetched again
    assert all(_row(manager, n)["state"] == models.INSTALLED for n in models.ESSENTIALS)


def test_a_missing_repository_is_one_korean_line(sheet, client, qtbot, tmp_path, korean):
    client.missing.add(models.MAIN_REPO)
    manager = sheet(tmp_path / "models")
    kind, outcome, error = _run(qtbot, manager, "downloadButton")
    assert outcome == FAILED and error.code.startswith("models.")
    shown = manager.findChild(QLabel, "errorText")
    assert shown.isVisible() and shown.text() == text_for(error.code, error.params)
    assert HANGUL.search(shown.text()) and "\n" not in shown.text()
    assert client.served == 0 and not (tmp_path / "models" / models.TURBO / "model.safetensors").exists()


# ------------------------------------------------------------------------------------------ welcome
def test_welcome_sheet_offers_the_essentials_a_folder_or_later(qtbot, tmp_path, korean, monkeypatch, parity, artifacts_dir):
    root = tmp_path / "models"
    welcome = mm.ModelWelcome(str(root))
    qtbot.addWidget(welcome)
    welcome.show()
    summary = models.summary(root)
    button = welcome.findChild(QPushButton, "downloadEssentialsButton")
    assert button.text() == f"필수 모델 받기 (약 {summary.missing_essentials_bytes / 1e9:.1f} GB)"
    assert welcome.findChild(QPushButton, "chooseModelsFolderButton").text() == "이미 받은 폴더 선택…"
    assert welcome.findChild(QPushButton, "laterButton").text() == "나중에"
    assert welcome.names() == list(models.ESSENTIALS)
    welcome.grab().save(str(artifacts_dir / "model_welcome_ko.png"))
    if welcome.lm is not None:  # the suggested song planner is offered beside them, unchecked
        welcome.lm_check.setChecked(True)
        assert welcome.names() == [*models.ESSENTIALS, welcome.lm.name]
        assert f"{(summary.missing_essentials_bytes + welcome.lm.size_bytes) / 1e9:.1f} GB" in button.text()
        welcome.lm_check.setChecked(False)

    with qtbot.waitSignal(welcome.download_requested) as asked:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert asked.args == [list(models.ESSENTIALS)] and not welcome.isVisible()

    # 이미 받은 폴더 선택…: an ACE-Step project folder is accepted through its checkpoints/
    monkeypatch.setattr(mm.QFileDialog, "getExistingDirectory", lambda *a, **k: str(parity))
    assert mm.choose_models_folder(welcome, str(tmp_path)) == str(parity / "checkpoints")
    warned: list[str] = []
    monkeypatch.setattr(mm.QMessageBox, "warning", lambda _p, _t, text: warned.append(text))
    monkeypatch.setattr(mm.QFileDialog, "getExistingDirectory", lambda *a, **k: str(tmp_path))
    assert mm.choose_models_folder(welcome, str(tmp_path)) is None
    assert warned and str(tmp_path) in warned[0] and HANGUL.search(warned[0])


# ------------------------------------------------------------------------------------------ the window
@pytest.fixture
def window(qtbot, qapp, korean):
    from mixgrv_app import settings as opts
    from mixgrv_app.app import build_window

    opts.reset_for_tests()
    opts.settings().set(opts.LANGUAGE, "ko")
    made = build_window(qapp, opts.settings())
    qtbot.addWidget(made)
    made.show()
    qtbot.waitExposed(made)
    yield made
    made.close()


def _welcome(qtbot, window):
    qtbot.waitUntil(lambda: window.model_welcome is not None and window.model_welcome.isVisible(), timeout=15_000)
    return window.model_welcome


def test_settings_models_opens_the_manager_and_a_chosen_folder_reaches_the_tabs(window, qtbot, monkeypatch, parity):
    from mixgrv_app import settings as opts

    welcome = _welcome(qtbot, window)
    qtbot.mouseClick(welcome.findChild(QPushButton, "laterButton"), Qt.MouseButton.LeftButton)
    assert not welcome.isVisible() and window.status_text("model") == "모델: 다운로드 필요"

    assert window.models_action.text() == "모델…"
    window.models_action.trigger()
    manager = window.findChild(mm.ModelManager, "modelManager")
    assert manager is not None and manager.isVisible() and manager.root == window.models_root()
    assert all(_row(manager, n)["state"] == models.MISSING for n in models.ESSENTIALS)

    monkeypatch.setattr(mm.QFileDialog, "getExistingDirectory", lambda *a, **k: str(parity))
    qtbot.mouseClick(manager.findChild(QPushButton, "chooseModelsFolderButton"), Qt.MouseButton.LeftButton)
    chosen = str(parity / "checkpoints")
    assert opts.settings().get(opts.MODELS_ROOT) == chosen == window.models_root() == manager.root
    assert all(_row(manager, n)["state"] == models.INSTALLED for n in models.ESSENTIALS)
    assert window.status_text("model") == "모델: 있음"
    form = window.generation_tab().form
    assert [form.variant_combo.itemData(i) for i in range(form.variant_combo.count())] == models.installed_dits(chosen)
    form.caption_edit.setPlainText("ambient")
    assert form.problem() == ""
    assert models.TURBO in window.training_tab().preprocess_panel.models_status.text()


def test_quitting_during_a_download_stops_its_process_and_keeps_what_arrived(window, client, qtbot):
    client.rate_bps = sum(f.size for f in _essential_files(client).values()) / 6
    welcome = _welcome(qtbot, window)
    jobs = window.model_jobs()
    qtbot.mouseClick(welcome.findChild(QPushButton, "downloadEssentialsButton"), Qt.MouseButton.LeftButton)
    bar = window.findChild(QProgressBar, "statusDownloadProgress")
    qtbot.waitUntil(lambda: bar.isVisible() and bar.value() >= 10, timeout=60_000)
    assert window.status_text("model").startswith("모델: 받는 중 ")
    manager = window.findChild(mm.ModelManager, "modelManager")
    manager.accept()  # the sheet closes, the download goes on; the status bar brings it back
    assert jobs.is_running()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton)
    assert manager.isVisible() and manager.findChild(QPushButton, "cancelDownloadButton").isVisible()
    pid = jobs.child_pid
    assert pid is not None and jobs.is_running()

    window.close()  # the app's quit asks first (the one guard for every running job)
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "runningJobsSheet") is not None, timeout=5000)
    sheet = window.findChild(QMessageBox, "runningJobsSheet")
    assert sheet.text() == "모델을 다운로드하는 중입니다"
    assert jobs.is_running()  # asking stops nothing
    qtbot.mouseClick(sheet.findChild(QPushButton, "stopSaveQuitButton"), Qt.MouseButton.LeftButton)
    # stop and save: the download stops now, not when the file is done, and the window closes
    qtbot.waitUntil(lambda: not jobs.is_running() and not window.isVisible(), timeout=20_000)
    import os

    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    root = window.models_root()
    assert not models.essentials_ready(root)
    assert any(models.component_state(root, n).status == models.PARTIAL for n in models.ESSENTIALS)


def test_models_in_the_hugging_face_cache_are_offered_and_used_without_a_download(sheet, client, qtbot, tmp_path, korean):
    from huggingface_hub import snapshot_download

    patterns = [p for name in models.ESSENTIALS for p in models.component(name).allow_patterns()]
    snapshot_download(models.MAIN_REPO, allow_patterns=patterns, cache_dir=str(tmp_path / "hf-cache"),
                      endpoint=client.url)  # what an earlier ACE-Step or diffusers run leaves behind
    client.reset_counts()
    root = tmp_path / "models"
    welcome = mm.ModelWelcome(str(root))
    qtbot.addWidget(welcome)
    welcome.show()
    assert sorted(welcome.cached) == sorted(models.ESSENTIALS)
    assert welcome.cache_note.isVisible() and all(n in welcome.cache_note.text() for n in models.ESSENTIALS)
    assert welcome.findChild(QPushButton, "downloadEssentialsButton").text() == "이 Mac에서 찾은 모델 사용"

    manager = sheet(root)
    with qtbot.waitSignal(manager.jobs.finished, timeout=60_000) as finished:
        assert manager.start_download(welcome.names())
    kind, outcome, result = finished.args
    assert outcome == DONE, result
    assert sorted(result["reused"]) == sorted(models.ESSENTIALS) and result["fetched_bytes"] == 0 == client.served
    for name in models.ESSENTIALS:
        assert (root / name).is_symlink()
        row = _row(manager, name)
        assert row["state"] == models.INSTALLED and "Hugging Face 캐시에서 사용" in row["note"]


def test_welcome_folder_choice_cancelled_comes_back_and_an_incomplete_folder_opens_the_manager(window, qtbot, monkeypatch, tmp_path, parity_checkpoints):
    welcome = _welcome(qtbot, window)
    monkeypatch.setattr(mm.QFileDialog, "getExistingDirectory", lambda *a, **k: "")
    qtbot.mouseClick(welcome.findChild(QPushButton, "chooseModelsFolderButton"), Qt.MouseButton.LeftButton)
    again = _welcome(qtbot, window)  # nothing chosen: the choice is offered again
    assert again is not welcome

    own = tmp_path / "checkpoints"
    shutil.copytree(parity_checkpoints / models.VAE_FOLDER, own / models.VAE_FOLDER)  # only part of a set
    monkeypatch.setattr(mm.QFileDialog, "getExistingDirectory", lambda *a, **k: str(tmp_path))
    qtbot.mouseClick(again.findChild(QPushButton, "chooseModelsFolderButton"), Qt.MouseButton.LeftButton)
    assert window.models_root() == str(own)
    manager = window.findChild(mm.ModelManager, "modelManager")
    assert manager is not None and manager.isVisible() and manager.root == str(own)
    assert _row(manager, models.VAE_FOLDER)["state"] == models.INSTALLED
    assert manager.to_download() == [models.TURBO, models.TEXT_ENCODER_FOLDER]


def test_the_form_is_ready_with_any_dit_and_says_what_is_missing_otherwise(qtbot, tmp_path, parity_checkpoints, korean):
    from mixgrv_app import settings as opts
    from mixgrv_app.ui.request_form import RequestForm

    root = tmp_path / "checkpoints"
    for name in ("acestep-v15-base", models.VAE_FOLDER):  # a user's own set without turbo, text encoder missing
        shutil.copytree(parity_checkpoints / name, root / name)
    form = RequestForm(str(root), opts.settings())
    qtbot.addWidget(form)
    form.caption_edit.setPlainText("ambient")
    assert form.problem() == "ACE-Step 모델을 아직 받지 않았습니다. 설정 > 모델…에서 받으세요."
    shutil.copytree(parity_checkpoints / models.TEXT_ENCODER_FOLDER, root / models.TEXT_ENCODER_FOLDER)
    form.set_models_root(str(root))
    assert not models.essentials_ready(root) and models.generation_ready(root)
    assert form.problem() == ""
    assert [form.variant_combo.itemData(i) for i in range(form.variant_combo.count())] == ["acestep-v15-base"]
