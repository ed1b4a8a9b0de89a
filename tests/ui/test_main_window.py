"""The main window: both tabs, Korean and English, every import path, state restore, the screenshot."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale, QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QLineEdit, QVBoxLayout, QWidget

from mixgrv_app import i18n
from mixgrv_app import settings as opts
from mixgrv_app.app import build_window
from mixgrv_app.signals import app_signals
from mixgrv_app.ui.main_window import GENERATION, TAB_CLASSES, TRAINING, MainWindow

REPO = Path(__file__).resolve().parents[2]
# Qt 6 has only the QPoint constructor for QDragEnterEvent; PySide marks it deprecated anyway.
pytestmark = pytest.mark.filterwarnings("ignore:Function.*QDragEnterEvent:DeprecationWarning")


class FakeTrainingTab(QWidget):
    """Stands in for the Training tab so these tests check the window shell, not the tab."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[list[str]] = []

    def import_audio_paths(self, paths: list[str]) -> None:
        self.calls.append(list(paths))


class FakeGenerationTab(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.lyrics = QLineEdit(self)  # a text field: file drops on it must still import
        QVBoxLayout(self).addWidget(self.lyrics)


@pytest.fixture
def fake_tabs(monkeypatch):
    module = types.ModuleType("mixgrv_fake_tabs")
    module.TrainingTab, module.GenerationTab = FakeTrainingTab, FakeGenerationTab
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setitem(TAB_CLASSES, TRAINING, (module.__name__, "TrainingTab"))
    monkeypatch.setitem(TAB_CLASSES, GENERATION, (module.__name__, "GenerationTab"))


@pytest.fixture
def make_window(qtbot, qapp, fake_tabs):
    """build_window() as the app does it, with a fresh settings store under $MIXGRV_HOME."""

    def make(language: str = "ko", **values) -> MainWindow:
        opts.reset_for_tests()
        store = opts.settings()
        store.set(opts.LANGUAGE, language)
        for name, value in values.items():
            store.set(getattr(opts, name), value)
        window = build_window(qapp, store)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        return window

    yield make
    i18n.install(qapp, "en")
    opts.reset_for_tests()


@pytest.fixture
def recorder(monkeypatch):
    """Replaces the Training tab's import_audio_paths on a window; returns the calls list."""

    def attach(window: MainWindow) -> list[list[str]]:
        calls: list[list[str]] = []
        monkeypatch.setattr(window.training_tab(), "import_audio_paths", lambda paths: calls.append(list(paths)))
        return calls

    return attach


def _korean_files(tmp_path: Path) -> list[Path]:
    album = tmp_path / "내 앨범"
    album.mkdir()
    song = tmp_path / "첫 번째 노래.wav"
    song.write_bytes(b"RIFF")
    other = tmp_path / "Beat (demo) #2.mp3"
    other.write_bytes(b"ID3")
    return [song, album, other]


def test_window_opens_with_both_tabs_in_korean(make_window, qtbot):
    window = make_window("ko")
    assert window.windowTitle() == "mixgrv"
    assert window.tabs.count() == 2
    assert window.tabs.tabText(TRAINING) == "트레이닝"
    assert window.tabs.tabText(GENERATION) == "생성"
    menus = [action.text() for action in window.menuBar().actions()]
    assert menus == ["파일", "보기", "설정", "도움말"]
    assert [a.text() for a in window.file_menu.actions() if a.text()] == ["오디오 가져오기…", "종료"]
    assert window.about_action.text() == "mixgrv 정보"
    assert [a.text() for a in window.language_menu.actions()] == ["시스템", "한국어", "English"]
    # both tab bodies are built once the event loop has turned (the second one lazily)
    qtbot.waitUntil(lambda: all(page.content is not None for page in window.pages.values()), timeout=5000)
    assert hasattr(window.training_tab(), "import_audio_paths")
    assert window.status_text("backend").startswith("백엔드: ")


def test_window_in_english(make_window):
    window = make_window("en")
    assert window.tabs.tabText(TRAINING) == "Training"
    assert window.tabs.tabText(GENERATION) == "Generation"
    assert [action.text() for action in window.menuBar().actions()] == ["File", "View", "Settings", "Help"]


def test_system_language_follows_the_locale():
    assert i18n.resolve_language("system", QLocale(QLocale.Language.Korean, QLocale.Country.SouthKorea)) == "ko"
    assert i18n.resolve_language("system", QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)) == "en"
    assert i18n.resolve_language("system", QLocale(QLocale.Language.French, QLocale.Country.France)) == "en"
    assert i18n.resolve_language("ko", QLocale(QLocale.Language.English)) == "ko"


def test_qt_own_dialog_strings_are_korean(make_window):
    make_window("ko")
    # qtbase_ko: the buttons of Qt's own dialogs (QMessageBox, QFileDialog)
    assert QApplication.translate("QPlatformTheme", "Cancel") == "취소"


def test_language_menu_switches_live(make_window):
    window = make_window("ko")
    window.language_actions["en"].trigger()
    assert window.tabs.tabText(TRAINING) == "Training"
    assert opts.settings().get(opts.LANGUAGE) == "en"
    window.language_actions["ko"].trigger()
    assert window.tabs.tabText(TRAINING) == "트레이닝"
    assert window.file_menu.title() == "파일"


def test_drop_of_korean_files_reaches_the_import_entry_point(make_window, recorder, tmp_path, qtbot):
    window = make_window("ko")
    window.tabs.setCurrentIndex(GENERATION)
    calls = recorder(window)
    files = _korean_files(tmp_path)
    mime = QMimeData()  # kept in a variable: a temporary is freed under the event and crashes
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in files])

    enter = QDragEnterEvent(QPoint(200, 200), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    assert window.overlay.isVisible()

    drop = QDropEvent(QPointF(200, 200), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.audio_imported, timeout=2000) as blocker:
        QApplication.sendEvent(window, drop)
    assert calls == [[str(p) for p in files]]
    assert blocker.args[0] == [str(p) for p in files]
    assert window.tabs.currentIndex() == TRAINING  # the import shows where the songs went
    assert not window.overlay.isVisible()
    assert "3" in window.statusBar().currentMessage()


def test_drop_on_a_text_field_is_an_import_not_a_pasted_path(make_window, recorder, tmp_path, qtbot):
    window = make_window("ko", LAST_TAB=GENERATION)
    calls = recorder(window)
    qtbot.waitUntil(lambda: window.pages[GENERATION].content is not None, timeout=3000)
    field = window.generation_tab().lyrics  # watched when the tab was built
    song = _korean_files(tmp_path)[0]
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(song))])
    # Qt delivers a Drop only to the widget that accepted the DragEnter, so enter first.
    enter = QDragEnterEvent(QPoint(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(field, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(field, drop)
    assert calls == [[str(song)]]
    assert field.text() == ""


def test_a_tab_that_fails_to_build_becomes_an_error_page(make_window, monkeypatch, qtbot):
    def broken() -> QWidget:
        raise ImportError("cannot import name 'preprocess'")

    sys.modules["mixgrv_fake_tabs"].GenerationTab = broken
    window = make_window("ko")
    qtbot.waitUntil(lambda: window.pages[GENERATION].content is not None, timeout=3000)
    assert isinstance(window.pages[GENERATION].error, ImportError)
    assert window.tabs.count() == 2 and window.isVisible()
    assert window.training_tab().import_audio_paths  # the other tab is untouched


def test_the_real_tabs_open_in_the_window(qtbot, qapp):
    """Integration with the tab owners' code: both real tabs build and the import target exists."""
    opts.reset_for_tests()
    window = build_window(qapp, opts.settings())
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.tabs_ready, timeout=20000):
        pass
    errors = {i: page.error for i, page in window.pages.items() if page.error is not None}
    assert not errors, f"a tab failed to build: {errors!r}"
    assert callable(getattr(window.training_tab(), "import_audio_paths", None))
    window.close()


def test_language_switch_reaches_the_panels_inside_the_real_tabs(qtbot, qapp):
    """Every panel retranslates itself on LanguageChange (ui/widgets.Retranslating), however
    deep it sits in the real tabs: the training settings, the dataset list, the LoRA library."""
    opts.reset_for_tests()
    store = opts.settings()
    store.set(opts.LANGUAGE, "en")
    window = build_window(qapp, store)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.tabs_ready, timeout=20000):
        pass
    training, generation = window.training_tab(), window.generation_tab()
    panels = (training.training_panel.preset_label, training.dataset_panel.dataset_label, generation.lora_panel.title)
    english = [w.text() for w in panels]
    assert english == ["Preset", "Dataset", "LoRA adapters"]
    window.language_actions["ko"].trigger()
    qtbot.waitUntil(lambda: all(w.text() != e for w, e in zip(panels, english, strict=True)), timeout=5000)
    assert [w.text() for w in panels] == [QApplication.translate(context, text) for context, text in (
        ("TrainingPanel", "Preset"), ("DatasetPanel", "Dataset"), ("LoraPanel", "LoRA adapters"))]
    assert training.steps.tabText(0) == QApplication.translate("TrainingTab", "1  Labels") != "1  Labels"
    window.close()
    i18n.install(qapp, "en")
    opts.reset_for_tests()


DOCK_SCRIPT = r"""
import json, sys
from PySide6.QtCore import QTimer, QUrl
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import QApplication
from mixgrv_app.app import MixgrvApplication, build_window

paths = sys.argv[1:]
app = MixgrvApplication(sys.argv[:1])
# the first event arrives before the window exists (a Dock drop that launched the app)
QApplication.sendEvent(app, QFileOpenEvent(paths[0]))
window = build_window(app)
calls = []
window.training_tab().import_audio_paths = lambda p: calls.append(list(p))
for path in paths[1:]:
    QApplication.sendEvent(app, QFileOpenEvent(QUrl.fromLocalFile(path)))
def done():
    print("CALLS " + json.dumps(calls, ensure_ascii=False), flush=True)
    app.quit()
QTimer.singleShot(1000, done)
app.exec()
"""


def test_dock_file_open_events_reach_the_import_entry_point(tmp_path):
    # The real MixgrvApplication (the test process already has a plain QApplication): a child process.
    files = [str(p) for p in _korean_files(tmp_path)]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", MIXGRV_HOME=str(tmp_path / "home"))
    done = subprocess.run([sys.executable, "-c", DOCK_SCRIPT, *files], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(l for l in done.stdout.splitlines() if l.startswith("CALLS "))
    assert json.loads(line[6:]) == [files]  # one burst of Finder events = one import, in order


def test_menu_import_uses_the_same_entry_point(make_window, recorder, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    window = make_window("ko")
    calls = recorder(window)
    song = _korean_files(tmp_path)[0]
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(lambda *a, **k: ([str(song)], "")))
    window.import_action.trigger()
    assert calls == [[str(song)]]
    assert opts.settings().get(opts.LAST_IMPORT_DIR) == str(tmp_path)


def test_import_ignores_missing_paths_and_duplicates(make_window, recorder, tmp_path):
    window = make_window("en")
    calls = recorder(window)
    song = _korean_files(tmp_path)[0]
    assert window.import_audio([str(tmp_path / "gone.wav")]) == []
    assert calls == []
    assert "not found" in window.statusBar().currentMessage()
    assert window.import_audio([QUrl.fromLocalFile(str(song)).toString(), str(song)]) == [str(song)]


def test_geometry_and_last_tab_are_restored(make_window, qtbot):
    window = make_window("ko")
    window.setGeometry(40, 50, 780, 640)  # the offscreen screen is 800x800: restore clamps larger sizes
    window.tabs.setCurrentIndex(GENERATION)
    window.close()
    again = make_window("ko")
    assert again.tabs.currentIndex() == GENERATION
    assert (again.width(), again.height()) == (780, 640)


def test_status_bar_shows_backend_device_model(make_window):
    window = make_window("ko")
    app_signals().status_changed.emit({"backend": "MLX", "device": ("Metal", "busy"), "model": ("turbo", "ok")})
    assert window.status_text("backend") == "백엔드: MLX"
    assert window.status_text("device") == "장치: Metal"
    assert window.status_pills["device"].state == "busy"
    assert window.status_text("model") == "모델: turbo"


def test_backend_menu_stores_the_choice(make_window):
    window = make_window("ko")
    assert window.backend_menu.title() == "생성 백엔드"
    assert [a.data() for a in window.backend_menu.actions()] == ["auto", "mlx", "torch"]
    assert window.backend_actions["auto"].isChecked()
    seen: list[str] = []
    app_signals().settings_changed.connect(seen.append)
    window.backend_actions["torch"].trigger()
    assert window.settings.get(opts.GENERATION_BACKEND) == "torch" and opts.GENERATION_BACKEND.key in seen
    assert window.backend_actions["torch"].isChecked() and not window.backend_actions["auto"].isChecked()


SCREENSHOT_SCRIPT = r"""
import json, sys
from pathlib import Path
from PySide6.QtCore import QTimer
from PySide6.QtGui import QTextLayout, QFontDatabase
from mixgrv_app import settings as opts
from mixgrv_app.app import MixgrvApplication, build_window

out = Path(sys.argv[1])
app = MixgrvApplication(sys.argv[:1])
store = opts.settings()
store.set(opts.LANGUAGE, "ko")
window = build_window(app, store)
window.show()

def glyph_report(text, font):
    layout = QTextLayout(text, font)
    layout.beginLayout(); layout.createLine(); layout.endLayout()
    missing, families = 0, set()
    for run in layout.glyphRuns():
        raw = run.rawFont()
        families.add(raw.familyName())
        missing += sum(1 for g in run.glyphIndexes() if g == 0)
    return {"missing": missing, "families": sorted(families),
            "supports": all(layout.glyphRuns()[0].rawFont().supportsCharacter(ord(c)) for c in text if not c.isspace())}

def snap():
    window.grab().save(str(out / "main_window_ko.png"))
    window.tabs.setCurrentIndex(1)
    app.processEvents()
    window.grab().save(str(out / "main_window_ko_generation.png"))
    tab_font = window.tabs.tabBar().font()
    report = {
        "platform": app.platformName(),
        "tab": glyph_report(window.tabs.tabText(0) + window.tabs.tabText(1), tab_font),
        "menu": glyph_report("".join(a.text() for a in window.menuBar().actions()), window.menuBar().font()),
        "texts": [window.tabs.tabText(0), window.tabs.tabText(1)],
    }
    print("REPORT " + json.dumps(report, ensure_ascii=False), flush=True)
    app.quit()

QTimer.singleShot(400, snap)
app.exec()
"""


def test_screenshot_under_a_real_display_renders_korean(artifacts_dir, tmp_path):
    env = dict(os.environ, MIXGRV_HOME=str(tmp_path / "home"))
    command = [sys.executable, "-c", SCREENSHOT_SCRIPT, str(artifacts_dir)]
    if sys.platform == "darwin":
        env.pop("QT_QPA_PLATFORM", None)
    else:
        if not shutil.which("xvfb-run"):
            pytest.fail("xvfb-run is missing: install the apt package xvfb (.ci/run does)")
        env["QT_QPA_PLATFORM"] = "xcb"
        command = ["xvfb-run", "-a", "-s", "-screen 0 1440x900x24", *command]
    done = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    line = next((l for l in done.stdout.splitlines() if l.startswith("REPORT ")), None)
    assert line, done.stdout + done.stderr[-3000:]
    report = json.loads(line[len("REPORT "):])
    if sys.platform != "darwin":
        assert report["platform"] == "xcb"
    assert report["texts"] == ["트레이닝", "생성"]
    for part in ("tab", "menu"):
        assert report[part]["missing"] == 0, f"Hangul drawn as boxes in the {part}: {report[part]}"
        assert report[part]["supports"], report[part]

    from PySide6.QtGui import QImage

    image = QImage(str(artifacts_dir / "main_window_ko.png"))
    assert not image.isNull() and image.width() >= 760 and image.height() >= 540
    # a real picture, not one flat colour: count distinct colours on a coarse grid
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    assert len(colours) > 20
