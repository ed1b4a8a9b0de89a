"""The request form's task and source panel without models (fast): fields per task as core's
``task_fields`` says, region limits from ``region_limits``, dragging a region on the waveform,
the extend control, the base-only rule with its switch, values and their restore, and a source
that cannot be decoded (read in the background by the real core)."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from mixgrv_app.core import prompts, requests

SECONDS = 4.0


@pytest.fixture
def form(qtbot, parity_checkpoints):
    from mixgrv_app import settings as opts
    from mixgrv_app.ui.request_form import RequestForm

    opts.reset_for_tests()
    widget = RequestForm(str(parity_checkpoints))
    qtbot.addWidget(widget)
    widget.resize(440, 900)
    widget.show()
    return widget


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "source.wav"
    t = np.arange(int(SECONDS * 48000)) / 48000
    tone = (0.3 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 0.5 * t)) / 2).astype(np.float32)
    sf.write(path, np.stack([tone, tone], 1), 48000)
    return str(path)


def _load(qtbot, panel, path):
    panel.set_source(path)
    qtbot.waitUntil(lambda: panel.source_seconds > 0 or bool(panel.source_error), timeout=10_000)


def test_each_task_shows_its_fields_and_gives_its_values(qtbot, form, source):
    panel = form.source
    _load(qtbot, panel, source)
    assert panel.source_seconds == pytest.approx(SECONDS) and panel.waveform.has_waveform()
    for task in requests.TASKS:
        panel.set_task(task)
        shown = set(requests.task_fields(task))
        assert panel.start_spin.isVisible() == ("repaint_start" in shown)
        assert panel.cover_strength.isVisible() == ("cover_strength" in shown)
        assert panel.track_combo.isVisible() == ("track" in shown)
        assert panel.tracks_box.isVisible() == ("tracks" in shown)
        assert panel.codes_edit.isVisible() == ("audio_codes" in shown)
        assert form.duration_slider.isVisible() == ("duration" in shown)
        values = form.values(draw_seed=False)
        assert values["task"] == task
        assert (values["source_audio"] == source) == ("source_audio" in shown)
        if "repaint_start" in shown:
            limits = requests.region_limits(task, SECONDS)
            assert (panel.start_spin.minimum(), panel.end_spin.maximum()) == pytest.approx((limits.min_start, limits.max_end))
            requests.check_region(task, values["repaint_start"], values["repaint_end"], SECONDS)  # a valid default
        else:
            assert values["repaint_start"] is None and values["repaint_end"] is None
        requests.GenerationRequest(**{k: v for k, v in values.items() if v is not None or k == "guidance"})  # fields core knows


def test_dragging_selects_the_region_and_extend_makes_one(qtbot, form, source, artifacts_dir):
    from support.mouse import drag

    panel, waveform = form.source, form.source.waveform
    _load(qtbot, panel, source)
    panel.set_task("repaint")
    pixel = (waveform.view[1] - waveform.view[0]) / max(1, waveform.width() - 8)
    drag(waveform, waveform.x_of(1.0), waveform.x_of(2.5))
    assert panel.region() == pytest.approx((1.0, 2.5), abs=2 * pixel + 0.01)
    drag(waveform, waveform.x_of(3.5), waveform.x_of(0.5))   # right to left selects the same way
    assert panel.region() == pytest.approx((0.5, 3.5), abs=2 * pixel + 0.01)
    drag(waveform, waveform.x_of(3.0), waveform.width() + 50)  # past the end: clamped to the source
    assert panel.region()[1] == pytest.approx(SECONDS)
    panel.start_spin.setValue(1.25)
    assert waveform.region == pytest.approx((1.25, SECONDS))

    panel.set_task("extend")
    panel.extend_by(10.0, "after")
    assert panel.region() == pytest.approx(requests.extend_region(SECONDS, 10.0, "after"), abs=0.01)
    assert waveform.view[1] >= panel.region()[1]
    form.caption_edit.setPlainText("more of it")
    assert form.problem() == ""
    panel.extend_by(6.0, "before")
    assert panel.region() == pytest.approx(requests.extend_region(SECONDS, 6.0, "before"), abs=0.01)
    assert waveform.view[0] <= panel.region()[0] < 0
    form.grab().save(str(artifacts_dir / "source_panel_extend_before.png"))
    # a region dragged inside the source is not an extension: core says so
    drag(waveform, waveform.x_of(1.0), waveform.x_of(2.0))
    assert form.problem() and form.problem() == form.source.problem()


def test_base_only_task_on_turbo_is_explained_and_switches(qtbot, form, source):
    from mixgrv_app.ui.messages import text_for_error

    panel = form.source
    _load(qtbot, panel, source)
    form.switch_variant("acestep-v15-turbo")
    for task in requests.BASE_ONLY_TASKS:
        panel.set_task(task)
        expected = text_for_error(requests.task_unavailable_error(task, "acestep-v15-turbo"))
        assert panel.base_box.isVisible() and expected in panel.base_note.text()
        assert not panel.fields.isEnabled() and form.problem() == expected
    panel.switch_base.click()
    assert form.variant() == requests.BASE_VARIANT
    assert not panel.base_box.isVisible() and panel.fields.isEnabled()
    assert form.problem() == panel.tr("Tick at least one track to add.")
    panel.set_tracks(["drums", "bass"])
    form.caption_edit.setPlainText("add a groove")
    assert form.problem() == ""
    assert form.values(draw_seed=False)["tracks"] == [n for n in prompts.TRACK_NAMES if n in ("drums", "bass")]


def test_values_come_back_from_a_take_request(qtbot, form, source):
    panel = form.source
    _load(qtbot, panel, source)
    panel.set_task("lego")
    form.switch_variant(requests.BASE_VARIANT)
    panel.track_combo.setCurrentIndex(panel.track_combo.findData("guitar"))
    panel.set_region(1.0, 3.0)
    saved = form.values(draw_seed=False)
    panel.set_task("text2music")
    panel.clear_source()
    form.reuse(saved, 5)
    qtbot.waitUntil(lambda: panel.source_seconds > 0, timeout=10_000)
    again = form.values(draw_seed=False)
    for key in ("task", "source_audio", "track", "repaint_start", "repaint_end", "variant"):
        assert again[key] == pytest.approx(saved[key]) if isinstance(saved[key], float) else again[key] == saved[key], key


def test_a_source_that_cannot_be_decoded_is_refused_with_cores_message(qtbot, form, tmp_path):
    bad = tmp_path / "broken.wav"
    bad.write_text("not audio at all")
    panel = form.source
    panel.set_task("cover")
    _load(qtbot, panel, str(bad))
    assert panel.source_error and "broken.wav" in panel.source_error
    form.caption_edit.setPlainText("anything")
    assert form.problem() == panel.source_error


def test_a_song_dropped_from_finder_becomes_the_source(qtbot, form, source, tmp_path):
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    panel = form.source
    panel.set_task("repaint")
    drop = form.findChild(type(panel.source_drop), "sourceDrop")
    text = tmp_path / "notes.txt"
    text.write_text("not a song")
    for path, taken in ((str(text), False), (source, True)):
        mime = QMimeData()  # kept in a variable: a temporary segfaults (platform-notes)
        mime.setUrls([QUrl.fromLocalFile(path)])
        event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                           Qt.KeyboardModifier.NoModifier)
        drop.dropEvent(event)
        assert (panel.source_path == path) == taken
    qtbot.waitUntil(lambda: panel.source_seconds > 0, timeout=10_000)
    assert panel.source_seconds == pytest.approx(SECONDS) and panel.region() == pytest.approx((0.0, SECONDS))
    assert "source.wav" in panel.source_drop.label.text()


@pytest.mark.parametrize("seconds", [1.55, SECONDS, 95.0, requests.MAX_SOURCE_SECONDS - 5.0])
@pytest.mark.parametrize("direction", requests.EXTEND_DIRECTIONS)
def test_extend_regions_are_ones_core_accepts(seconds, direction):
    start, end = requests.extend_region(seconds, requests.EXTEND_DEFAULT_SECONDS, direction)
    assert requests.check_region("extend", start, end, seconds) == (start, end)
    assert (start < 0) == (direction == "before") and (end > seconds) == (direction == "after")


def test_pasted_codes_make_a_cover_without_a_source(qtbot, form):
    panel = form.source
    panel.set_task("cover")
    assert form.problem() == panel.tr("Choose the source audio first: drop a song, choose a file, or send a take here.")
    codes = "<|audio_code_12|><|audio_code_7|><|audio_code_300|>"
    panel.codes_edit.setPlainText(codes)
    assert form.problem() == ""
    values = form.values(draw_seed=False)
    assert values["task"] == "cover" and values["audio_codes"] == codes and values["source_audio"] is None
    request = requests.GenerationRequest(**{k: v for k, v in values.items() if k != "guidance"})
    request.validate()
    assert request.has_codes() and not request.uses_source()
