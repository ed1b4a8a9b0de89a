"""The Generation tab's pieces without model work: form, history, LoRA library, player, results.

The end-to-end run with the real pipeline on the parity checkpoints is in
tests/e2e/test_generation_tab_e2e.py; here every test takes well under a second.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from mixgrv_app import paths
from mixgrv_app import settings as opts
from mixgrv_app.core import requests
from mixgrv_app.core.history import History, Take, new_id, peaks_of
from mixgrv_app.ui import request_form as rf
from mixgrv_app.core.lora import AdapterError, read_adapter_folder
from mixgrv_app.ui.lora_panel import LoraPanel
from mixgrv_app.ui.player import STOPPED, Player
from mixgrv_app.ui.results_view import ResultsView
from mixgrv_app.ui.waveform import WaveformView

pytestmark = pytest.mark.filterwarnings("ignore:Function.*QDropEvent:DeprecationWarning")


@pytest.fixture
def store():
    opts.reset_for_tests()
    yield opts.settings()
    opts.reset_for_tests()


def make_take(history: History, seconds: float = 1.0, caption: str = "lo-fi", seed: int = 7, **extra) -> Take:
    take_id = new_id()
    folder = history.take_folder(take_id)
    t = np.linspace(0, seconds, int(48000 * seconds), endpoint=False, dtype=np.float32)
    audio = np.stack([np.sin(2 * np.pi * 220 * t) * 0.5, np.sin(2 * np.pi * 330 * t) * 0.4]).astype(np.float32)
    path = folder / "take-1.flac"
    soundfile.write(path, audio.T, 48000, subtype="PCM_24")
    return Take(id=take_id, created_at=time.time(), audio_path=str(path), request={"caption": caption, "seed": seed},
                seed=seed, variant="acestep-v15-turbo", duration_s=seconds, peaks=peaks_of(audio), **extra)


# -- request form ----------------------------------------------------------------------------------

def test_key_language_and_time_lists_match_upstream():
    assert len(rf.KEY_NAMES) == 70 and len(set(rf.KEY_NAMES)) == 70
    assert "C major" in rf.KEY_NAMES and "F♯ minor" in rf.KEY_NAMES and "Bb major" in rf.KEY_NAMES
    codes = [code for code, _ in rf.LANGUAGES]
    assert len(codes) == 51 and len(set(codes)) == 51 and codes[0] == "ko" and "unknown" in codes
    assert rf.TIME_SIGNATURES == (2, 3, 4, 6)


def test_form_values_guidance_and_persistence(qtbot, store, parity_checkpoints):
    form = rf.RequestForm(parity_checkpoints, store)
    qtbot.addWidget(form)
    variants = [form.variant_combo.itemData(i) for i in range(form.variant_combo.count())]
    assert variants == ["acestep-v15-base", "acestep-v15-turbo"]
    assert form.variant() == "acestep-v15-turbo"
    assert not form.guidance_spin.isEnabled() and form.steps_spin.value() == 8
    form.variant_combo.setCurrentIndex(variants.index("acestep-v15-base"))
    base = requests.variant_defaults("acestep-v15-base")  # the form shows core's defaults
    assert form.guidance_spin.isEnabled() and form.steps_spin.value() == base["steps"]
    assert form.shift_spin.value() == base["shift"] and form.guidance_spin.value() == base["guidance"]

    form.caption_edit.setPlainText("잔잔한 피아노 발라드")
    form.insert_tag("[verse]")
    form.lyrics_edit.insertPlainText("별이 빛나는 밤에")
    form.insert_tag("[chorus]")
    assert form.lyrics_edit.toPlainText() == "[verse]\n별이 빛나는 밤에\n[chorus]\n"
    form.bpm_auto.setChecked(False)
    form.bpm_spin.setValue(92)
    form.key_combo.setCurrentIndex(form.key_combo.findData("A minor"))
    form.time_combo.setCurrentIndex(form.time_combo.findData(3))
    form.duration_slider.setValue(95)
    form.seed_random.setChecked(False)
    form.seed_spin.setValue(1234)
    form.batch_spin.setValue(3)
    values = form.values()
    assert values["caption"] == "잔잔한 피아노 발라드" and values["language"] == "ko"
    assert (values["bpm"], values["keyscale"], values["timesignature"], values["duration"]) == (92, "A minor", 3, 95.0)
    assert (values["variant"], values["guidance"], values["seed"], values["batch_size"]) == ("acestep-v15-base", 7.0, 1234, 3)
    assert form.duration_value.text()  # "1 min 35 s" in the current language

    form.instrumental.setChecked(True)
    assert form.values()["lyrics"] == "" and not form.lyrics_edit.isEnabled()
    form.instrumental.setChecked(False)
    form.save()
    store.sync()

    opts.reset_for_tests()
    again = rf.RequestForm(parity_checkpoints, opts.settings())
    qtbot.addWidget(again)
    restored = again.values(draw_seed=False)
    assert restored == {**values, "seed": 1234}


def test_random_seed_and_reuse_last(qtbot, store):
    form = rf.RequestForm(None, store)
    qtbot.addWidget(form)
    form.caption_edit.setPlainText("x")
    form.seed_random.setChecked(True)
    seeds = {form.values()["seed"] for _ in range(5)}
    assert len(seeds) > 1 and form.values(draw_seed=False)["seed"] is None
    assert not form.reuse_seed.isEnabled()
    form.set_last_seed(987)
    assert form.reuse_seed.isEnabled()
    form.reuse_seed.click()
    assert not form.seed_random.isChecked() and form.values()["seed"] == 987


def test_damaged_saved_form_falls_back_to_defaults(qtbot, store):
    store.set(rf.FORM_STATE, "{not json")
    form = rf.RequestForm(None, store)
    qtbot.addWidget(form)
    assert form.values(draw_seed=False)["caption"] == "" and form.duration_slider.value() == 60


def test_problem_needs_caption(qtbot, store):
    form = rf.RequestForm(None, store)
    qtbot.addWidget(form)
    assert form.problem()
    form.caption_edit.setPlainText("ambient")
    assert form.problem() == ""


def test_reference_audio_drop(qtbot, store, tmp_path):
    form = rf.RequestForm(None, store)
    qtbot.addWidget(form)
    song = tmp_path / "참고 곡.wav"
    soundfile.write(song, np.zeros((4800, 2), np.float32), 48000)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "notes.txt")), QUrl.fromLocalFile(str(song))])
    drop = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    form.reference.dropEvent(drop)
    assert form.values()["reference_audio"] == str(song)
    song.unlink()
    assert form.problem()  # the file went away: say so before any model work


# -- history -----------------------------------------------------------------------------------------

def test_history_survives_restart_and_delete_undo(tmp_path):
    history = History(tmp_path / "results")
    a = make_take(history, caption="first", seed=1)
    b = make_take(history, caption="second", seed=2)
    history.add([a])
    history.add([b])
    assert [t.id for t in History(tmp_path / "results").takes()] == [b.id, a.id]

    assert history.delete(a.id)
    assert not Path(a.audio_path).exists() and [t.id for t in History(tmp_path / "results").takes()] == [b.id]
    restored = history.undo_delete(a.id)
    assert restored is not None and Path(a.audio_path).is_file()
    assert [t.id for t in History(tmp_path / "results").takes()] == [b.id, a.id]

    history.delete(b.id)
    assert history.purge_trash(older_than_s=3600) == 0  # just deleted: kept for undo
    assert history.purge_trash(older_than_s=0) == 1


def test_history_damaged_index_is_set_aside(tmp_path):
    root = tmp_path / "results"
    root.mkdir()
    (root / "history.json").write_text("{broken", encoding="utf-8")
    history = History(root)
    assert history.takes() == [] and history.notes
    assert any(p.name.startswith("history.json.damaged-") for p in root.iterdir())


def test_peaks_shape_and_scale():
    audio = np.zeros((2, 48000), np.float32)
    audio[0, 24000:24010] = 0.5
    peaks = peaks_of(audio, columns=100)
    assert len(peaks) == 100 and max(peaks) == 1.0 and peaks[0] == 0.0 and peaks[50] == 1.0


# -- LoRA library -----------------------------------------------------------------------------------------

def test_lora_library_finds_runs_and_validates_imports(qtbot, parity, tmp_path):
    adapter = parity / "lora" / "adapter"
    info = read_adapter_folder(adapter)
    assert info["tensors"] > 0 and info["r"]
    run = paths.runs_dir() / "내 첫 LoRA" / "final" / "adapter"
    run.mkdir(parents=True)
    for name in ("adapter_config.json", "adapter_model.safetensors"):
        (run / name).write_bytes((adapter / name).read_bytes())
    panel = LoraPanel()
    qtbot.addWidget(panel)
    assert [r.entry.name for r in panel.rows.values()] == ["내 첫 LoRA"]
    assert panel.list.objectName() == "loraList"

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "adapter_config.json").write_text('{"peft_type": "LORA"}')
    (broken / "adapter_model.safetensors").write_bytes(b"\x00" * 4)
    with pytest.raises(AdapterError):
        read_adapter_folder(broken)
    messages = []
    panel.message.connect(messages.append)
    assert panel.import_folder(str(broken)) is None and messages and len(panel.rows) == 1

    row = panel.import_folder(str(adapter))
    assert row is not None and len(panel.rows) == 2
    assert (adapter / "adapter_config.json").read_bytes() == (Path(row.entry.path) / "adapter_config.json").read_bytes()
    assert panel.active_adapters() == []
    row.set_loaded(True)
    row.strength.setValue(40)
    assert panel.active_adapters() == [{"name": row.entry.name, "path": row.entry.path, "scale": 0.4, "enabled": True}]
    first = panel.rows[str(run)]
    first.set_loaded(True)
    first.enabled_switch.setChecked(False)
    assert len(panel.active_adapters()) == 2 and not first.strength.isEnabled()
    panel.set_failed(row.entry.path, "does not fit")
    assert len(panel.active_adapters()) == 1 and row.problem.isVisibleTo(row)


# -- waveform, player, results ---------------------------------------------------------------------------

def test_waveform_seek_and_playhead(qtbot):
    view = WaveformView([0.1, 0.5, 1.0, 0.2])
    qtbot.addWidget(view)
    view.resize(400, 52)
    with qtbot.waitSignal(view.seek_requested) as blocker:
        qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=view.rect().center())
    assert abs(blocker.args[0] - 0.5) < 0.01
    view.set_position(0.25)
    assert view.playhead_visible() and view.position() == 0.25 and view.has_waveform()
    assert not view.grab().isNull()


def _no_audio_device() -> bool:
    probe = "import sounddevice as sd, sys; sys.exit(0 if sd.default.device[1] < 0 else 1)"
    return subprocess.run([sys.executable, "-c", probe], capture_output=True).returncode == 0


@pytest.mark.skipif(not _no_audio_device(), reason="this machine has an audio output; the no-device message is checked where there is none")
def test_player_without_device_says_so(qtbot, tmp_path):
    history = History(tmp_path / "results")
    take = make_take(history)
    player = Player()
    errors = []
    player.error.connect(errors.append)
    assert player.load(take.audio_path) and abs(player.duration() - 1.0) < 1e-6
    assert player.play() is False
    assert player.state == STOPPED and errors and ("오디오" in errors[0] or "audio" in errors[0].lower())
    assert not player.load(str(tmp_path / "missing.flac")) and len(errors) == 2


def test_results_view_lists_selects_deletes_and_undoes(qtbot, tmp_path):
    history = History(tmp_path / "results")
    takes = [make_take(history, caption=f"take {i}", seed=i) for i in range(3)]
    history.add(takes)
    player = Player()
    view = ResultsView(history, player)
    qtbot.addWidget(view)
    assert view.list.objectName() == "resultsList" and view.list.count() == 3
    assert all(card.waveform.has_waveform() for card in view.cards.values())
    assert view.selected_take().id == takes[0].id
    view.list.setCurrentRow(1)
    view.delete_selected()
    assert view.list.count() == 2 and len(History(tmp_path / "results")) == 2 and view.undo_bar.isVisibleTo(view)
    view.undo_delete()
    assert view.list.count() == 3 and [t.id for t in History(tmp_path / "results").takes()] == [t.id for t in takes]
    reused = []
    view.reuse_requested.connect(reused.append)
    view.reuse_button.click()
    assert reused and reused[0].id == view.selected_take().id


def test_results_export_flac_mp3_and_wav(qtbot, tmp_path):
    history = History(tmp_path / "results")
    take = make_take(history, seconds=0.5)
    history.add([take])
    view = ResultsView(history, Player())
    qtbot.addWidget(view)
    out = tmp_path / "out"
    for fmt, name, subtype in (("flac", "a.flac", "PCM_24"), ("mp3", "a.mp3", "MPEG_LAYER_III"), ("wav32f", "a.wav", "FLOAT")):
        with qtbot.waitSignal(view.export_finished, timeout=10000):
            view.export(take, str(out / name), fmt)
        info = soundfile.info(out / name)
        assert info.subtype == subtype and info.samplerate == 48000 and info.channels == 2


def test_status_bar_shows_what_the_take_ran_on_and_a_fallback_reason(qtbot, store, tmp_path):
    from mixgrv_app.signals import app_signals
    from mixgrv_app.ui.generation_tab import GenerationTab

    tab = GenerationTab(models_root=str(tmp_path), history=History(tmp_path / "results"))
    qtbot.addWidget(tab)
    facts: list[dict] = []
    app_signals().status_changed.connect(facts.append)
    try:
        tab.show_backend({"name": "mlx", "device": "metal", "dtype": "bfloat16", "notes": []})
        assert facts[-1] == {"backend": ("MLX", "ok"), "device": ("Apple GPU (Metal)", "ok")}
        tab.show_backend({"name": "torch", "device": "cpu", "dtype": "float32",
                          "notes": ["MLX failed to start (no Metal device); using torch"]})
        assert facts[-1]["backend"] == ("PyTorch", "warning")
        assert "no Metal device" in tab.last_message and "PyTorch" in tab.last_message
    finally:
        app_signals().status_changed.disconnect(facts.append)
        tab.shutdown()
