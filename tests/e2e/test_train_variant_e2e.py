"""The Training tab's "학습할 모델" (train on) choice, on the parity checkpoints (real core, no mocks).

The chooser lists the installed DiTs (core.models), turbo first chosen, each with a one-line
explanation; the choice makes the tensors (the manifest records it), marks songs prepared for
another model as "to prepare", stops a training start until they are prepared again, and is
stored with the run (run.json's config.variant). Screenshot in test-artifacts/.
"""

from __future__ import annotations

import json

import numpy as np
import soundfile as sf
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from mixgrv_app.ui.training_tab import PREPROCESS, TRAIN, TRAIN_VARIANT, TrainingTab


def _songs(tmp_path):
    folder = tmp_path / "songs"
    folder.mkdir()
    t = np.arange(int(1.2 * 48000)) / 48000
    for i, name in enumerate(("one.wav", "two.wav")):
        tone = (0.3 * np.sin(2 * np.pi * (220 + 70 * i) * t)).astype(np.float32)
        sf.write(folder / name, np.stack([tone, tone], 1), 48000)
    return folder


def test_train_on_choice_prepares_and_trains_for_that_model(qtbot, tmp_path, parity_checkpoints, artifacts_dir):
    from mixgrv_app import settings as opts
    from mixgrv_app.core import models
    from mixgrv_app.core.training import run_dir
    from mixgrv_app.workers import preprocess as preprocess_worker

    opts.reset_for_tests()
    tab = TrainingTab(models_root=str(parity_checkpoints))
    qtbot.addWidget(tab)
    tab.resize(1280, 820)
    tab.show()
    combo = tab.findChild(type(tab.variant_combo), "trainVariantCombo")
    installed = models.installed_dits(str(parity_checkpoints))
    assert [combo.itemData(i) for i in range(combo.count())] == installed and len(installed) >= 2
    assert tab.train_variant() == models.preferred_dit(str(parity_checkpoints)) == models.TURBO
    assert tab.variant_hint.text()  # one line saying what training on turbo means
    turbo_hint = tab.variant_hint.text()

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(_songs(tmp_path)))])
    tab.dataset_panel.drop_zone.dropEvent(QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                                                     Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))
    qtbot.waitUntil(lambda: tab.dataset_panel.last_result is not None, timeout=60_000)
    dataset = tab.dataset_panel.dataset
    for row in range(2):
        tab.dataset_panel.table.selectRow(row)
        tab.track_editor.caption.setPlainText("soft sine tone")
        tab.track_editor.save_now()

    def prepare() -> None:
        tab.steps.setCurrentIndex(PREPROCESS)
        tab.start_preprocess()
        qtbot.waitUntil(lambda: not tab._preprocess_runner.is_running(), timeout=180_000)

    prepare()
    assert preprocess_worker.prepared_variant(dataset.name) == models.TURBO
    assert set(preprocess_worker.track_states(dataset.name, tab.models_root(), variant=models.TURBO).values()) == {"done"}

    # switch to the base model: the songs prepared for turbo must be prepared again
    base = next(v for v in installed if v != models.TURBO and "base" in v)
    combo.setCurrentIndex(combo.findData(base))
    assert opts.settings().get(TRAIN_VARIANT) == base
    assert tab.variant_hint.text() and tab.variant_hint.text() != turbo_hint
    states = preprocess_worker.track_states(dataset.name, tab.models_root(), variant=base)
    assert set(states.values()) == {"pending"}
    assert all(tab._state_text("pending") in tab.preprocess_panel.track_list.item(i).text() for i in range(2))
    tab.grab().save(str(artifacts_dir / "training_train_on_base.png"))

    panel = tab.training_panel
    panel.set_settings({"epochs": 1, "rank": 4, "alpha": 8, "save_every": 1, "warmup_steps": 1})
    panel.run_name.setText("on-base")
    tab.steps.setCurrentIndex(TRAIN)
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    assert tab._training is None and tab.steps.currentIndex() == PREPROCESS  # refused: tensors are turbo's

    prepare()
    assert preprocess_worker.prepared_variant(dataset.name) == base
    tab.steps.setCurrentIndex(TRAIN)
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    assert tab._training is not None
    qtbot.waitUntil(lambda: not tab._training.is_running(), timeout=180_000)
    info = json.loads((run_dir("on-base") / "run.json").read_text(encoding="utf-8"))
    assert info["config"]["variant"] == base  # stored with the run (a resume trains the same model)
