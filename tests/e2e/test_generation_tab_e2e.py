"""The Generation tab end to end on the parity checkpoints, with the real pipeline.

A musician's path: open the window in Korean, write a caption and Korean lyrics, import and load
the parity LoRA, generate a batch of two 10 s takes, see both with waveforms, play one, export
FLAC and MP3, make an A/B comparison, close the window, open it again and find the history.
Meanwhile a QTimer in the GUI thread measures how long the event loop ever waited (the models
work in their own process; the tab must stay responsive).

Playback goes through PortAudio's ALSA null device. ALSA reads ``ALSA_CONFIG_PATH`` once, when
sounddevice loads, so the scenario runs in a child pytest process started with that variable:
the rest of the suite keeps "no audio device" (and its clear message) untouched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.stall import StallMeter

CHILD = "MIXGRV_E2E_GENERATION_CHILD"
REPORT = "MIXGRV_E2E_GENERATION_REPORT"
MAX_STALL_MS = 50.0
KOREAN_LYRICS = "[verse]\n별빛이 내리는 밤에\n너의 이름을 불러\n\n[chorus]\n우리 함께 노래해\n"


def test_generation_tab_end_to_end(tmp_path, parity_checkpoints):
    """Starts the scenario below in a clean process with the ALSA null device; checks its report."""
    asound = tmp_path / "asound.conf"
    asound.write_text("pcm.!default { type null }\n", encoding="utf-8")
    report = tmp_path / "report.json"
    load_before = os.getloadavg()[0]
    env = dict(os.environ, **{CHILD: "1", REPORT: str(report), "ALSA_CONFIG_PATH": str(asound), "QT_QPA_PLATFORM": "offscreen"})
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"{__file__}::test_scenario"],
        env=env, capture_output=True, text=True, timeout=600, cwd=Path(__file__).resolve().parents[2],
    )
    load_after = os.getloadavg()[0]
    assert done.returncode == 0, (done.stdout + done.stderr)[-6000:]
    data = json.loads(report.read_text(encoding="utf-8"))
    print(f"\nGUI event-loop max stall: generate {data['generate_stall_ms']:.1f} ms over {data['generate_s']:.1f} s "
          f"(first take, models loading included), A/B {data['ab_stall_ms']:.1f} ms over {data['ab_s']:.1f} s; "
          f"framework warm-up before the first take {data['warm_up_stall_ms']:.1f} ms")
    # The models work in their own process (core/generation_service.py), so the GUI process only
    # relays events and draws: the 50 ms bound holds even while the models load.
    print(f"load average {load_before:.1f} -> {load_after:.1f} on {os.cpu_count()} cores; limit {MAX_STALL_MS:.0f} ms")
    assert data["max_stall_ms"] < MAX_STALL_MS



@pytest.mark.child_scenario  # collected only inside the child process (tests/conftest.py)
def test_scenario(qtbot, qapp, parity, parity_checkpoints, artifacts_dir, tmp_path):
    import soundfile
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QCheckBox

    from mixgrv_app import settings as opts
    from mixgrv_app.app import build_window
    from mixgrv_app.core.history import History
    from mixgrv_app.ui.main_window import GENERATION
    from mixgrv_app.ui.player import STOPPED

    opts.reset_for_tests()
    store = opts.settings()
    store.set(opts.LANGUAGE, "ko")
    store.set(opts.MODELS_ROOT, str(parity_checkpoints))  # the models folder, as the menu sets it

    def open_window():
        window = build_window(qapp, opts.settings())
        qtbot.addWidget(window)
        window.resize(1280, 860)
        window.show()
        qtbot.waitExposed(window)
        window.tabs.setCurrentIndex(GENERATION)
        tab = window.generation_tab()
        qtbot.waitUntil(lambda: tab.isVisible(), timeout=5000)
        window.activateWindow()  # ⌘↩ is a window shortcut: the window must be the active one
        return window, tab

    window, tab = open_window()
    form, panel, results, player = tab.form, tab.lora_panel, tab.results, tab.player
    for name in ("captionEdit", "lyricsEdit", "durationSlider", "seedSpin", "generateButton", "loraList",
                 "resultsList", "playButton", "exportButton"):
        assert tab.findChild(object, name) is not None, name
    assert tab.generate_button.text() == "생성"
    qapp.processEvents()
    window.grab().save(str(artifacts_dir / "generation_empty_ko.png"))

    # -- the request ---------------------------------------------------------------------------
    form.caption_edit.setPlainText("잔잔한 로파이 피아노, 따뜻한 보컬")  # (QTest.keyClicks aborts on Hangul)
    form.lyrics_edit.setPlainText(KOREAN_LYRICS)
    form.language_combo.setCurrentIndex(form.language_combo.findData("ko"))
    form.variant_combo.setCurrentIndex(form.variant_combo.findData("acestep-v15-turbo"))
    form.duration_slider.setValue(10)
    form.seed_random.setChecked(False)
    form.seed_spin.setValue(42)
    form.batch_spin.setValue(2)
    # this scenario is about rendering, playback and A/B: the LM's planning has its own e2e test
    # (tests/e2e/test_lm_generation_e2e.py), so Think (on by default with an LM installed) is off
    think = tab.findChild(QCheckBox, "thinkSwitch")
    assert think is not None and think.isChecked()
    think.setChecked(False)
    assert not form.guidance_spin.isEnabled()  # turbo ignores guidance

    # -- the LoRA ----------------------------------------------------------------------------------
    row = panel.import_folder(str(parity / "lora" / "adapter"))
    assert row is not None
    row.set_loaded(True)
    row.strength.setValue(80)
    assert panel.active_adapters()[0]["scale"] == 0.8

    # -- generate: ⌘↩ / Ctrl+Return, with the event loop watched ------------------------------------
    outcomes: list = []
    tab.generation_finished.connect(outcomes.append)
    tab.generation_failed.connect(lambda text: outcomes.append(f"failed: {text}"))

    def wait_for_outcome():
        qtbot.waitUntil(lambda: bool(outcomes), timeout=300_000)
        result = outcomes.pop()
        assert not isinstance(result, str), result
        return result

    stages: list[str] = []
    tab.worker.progress.connect(lambda _event: stages.append(tab.stage_label.text()))
    # The tab imports the framework in the worker right after it is shown (while the user types);
    # that import holds the interpreter lock in long C calls, so it is measured apart.
    warm = StallMeter()
    warm.start()
    qtbot.waitUntil(lambda: tab.warm_up_done and not tab.worker.is_busy(), timeout=120_000)
    warm_up_stall = warm.stop()
    meter = StallMeter()
    meter.start()
    started = time.monotonic()
    form.caption_edit.setFocus()
    qtbot.keyClick(form.caption_edit, Qt.Key.Key_Return, modifier=Qt.KeyboardModifier.ControlModifier)
    assert tab.cancel_button.isVisible() and not tab.generate_button.isEnabled()
    outcome = wait_for_outcome()
    generate_s = time.monotonic() - started
    generate_stall = meter.stop()
    assert len(outcome.takes) == 2, outcome
    assert any(s == "모델 불러오는 중…" for s in stages), stages
    assert any(s.startswith("단계 ") for s in stages), stages
    assert any("디코딩" in s for s in stages), stages
    assert not outcome.adapter_problems
    assert results.list.count() == 2
    for take in outcome.takes:
        card = results.cards[take.id]
        assert card.waveform.has_waveform()
        assert abs(take.duration_s - 10.0) < 0.05
        assert take.adapters and take.adapters[0]["scale"] == 0.8
        assert Path(take.sidecar_path).is_file()
    assert [t.seed for t in outcome.takes] == [42, 43]
    assert outcome.backend["name"] == "torch"  # what it really ran on reaches the status bar
    assert window.status_text("backend") == "백엔드: PyTorch" and window.status_text("device") == "장치: CPU"

    # -- play one through the null device ---------------------------------------------------------------
    results.list.setCurrentRow(0)
    take = results.selected_take()
    results.play_button.click()
    assert player.source == take.audio_path
    frames = int(round(take.duration_s * 48000))
    qtbot.waitUntil(lambda: player.frames_played >= frames, timeout=20_000)
    qtbot.waitUntil(lambda: player.state == STOPPED, timeout=5_000)
    player.seek_fraction(0.5)
    qapp.processEvents()
    assert results.cards[take.id].waveform.playhead_visible()
    assert abs(results.cards[take.id].waveform.position() - 0.5) < 0.01
    window.grab().save(str(artifacts_dir / "generation_results_ko.png"))

    # -- export ---------------------------------------------------------------------------------------------
    for fmt, name, subtype in (("flac", "곡.flac", "PCM_24"), ("mp3", "곡.mp3", "MPEG_LAYER_III")):
        with qtbot.waitSignal(results.export_finished, timeout=30_000):
            results.export(take, str(tmp_path / name), fmt)
        info = soundfile.info(str(tmp_path / name))
        assert info.subtype == subtype and info.channels == 2 and abs(info.duration - 10.0) < 0.1

    # -- A/B: same seed, LoRA off and at two strengths ---------------------------------------------------------
    meter = StallMeter()
    meter.start()
    ab_started = time.monotonic()
    results.ab_button.click()
    ab = wait_for_outcome()
    ab_s = time.monotonic() - ab_started
    ab_stall = meter.stop()
    assert ab.ab and sorted(t.ab_label for t in ab.takes) == ["0.5", "1", "off"]
    assert all(t.seed == take.seed for t in ab.takes)
    assert tab.ab_view.isVisible() and len(tab.ab_view.lanes) == 3
    assert tab.worker.load_count == 1  # LoRA on/off/strength never reloaded the base model
    assert "torch" not in sys.modules and "mlx.core" not in sys.modules  # the models live in their own process
    assert tab.worker.service.pid is not None and tab.worker.service.starts == 1
    assert tab.ab_view.switch_to(0)
    player.seek(4.0)
    assert tab.ab_view.switch_to(2)
    assert player.source == tab.ab_view.lanes[2].take.audio_path and abs(player.position() - 4.0) < 0.01
    qapp.processEvents()
    window.grab().save(str(artifacts_dir / "generation_ab_ko.png"))

    with open(os.environ[REPORT], "w", encoding="utf-8") as fh:
        json.dump({"max_stall_ms": max(generate_stall, ab_stall), "generate_stall_ms": generate_stall,
                   "ab_stall_ms": ab_stall, "warm_up_stall_ms": warm_up_stall, "generate_s": generate_s,
                   "ab_s": ab_s}, fh)

    # -- close, open again: the history and the form are still there --------------------------------------------------
    ids = [t.id for t in History().takes()]
    assert len(ids) == 5
    tab.shutdown()
    window.close()
    opts.reset_for_tests()
    window, tab = open_window()
    assert [t.id for t in tab.history.takes()] == ids
    assert tab.results.list.count() == 5
    assert all(card.waveform.has_waveform() for card in tab.results.cards.values())
    assert tab.form.caption_edit.toPlainText() == "잔잔한 로파이 피아노, 따뜻한 보컬"
    assert tab.form.lyrics_edit.toPlainText().strip() == KOREAN_LYRICS.strip()
    tab.shutdown()
