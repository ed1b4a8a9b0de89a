"""The 자동 라벨 (auto-label) row of the Training tab's Labels step.

A button, "only unlabelled songs" (on by default) and "overwrite what I typed" (off), then a
progress bar with the song in flight, the ETA and a cancel button while the job runs. The job
(``workers/autolabel.py`` → ``core/autolabel.py``) runs in a child process; this widget only
starts it, shows its events and says which song was just saved (``track_labelled``) so the tab
can refresh the table row and the editor live.
"""

from __future__ import annotations

from mixgrv_app import pyside_fix  # noqa: F401  - before any PySide6 call (refcount bug on 3.11)

from typing import Any, Callable

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from mixgrv_app.core import models
from mixgrv_app.core.jobs import Artifact, Log, Progress
from mixgrv_app.ui.messages import text_for, text_for_error
from mixgrv_app.workers.autolabel import autolabel_job
from mixgrv_app.workers.base import QUIT_CANCEL, JobRunner


def _eta_text(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    return f"{m}:{s:02d}"


class AutoLabelBar(QWidget):
    track_labelled = Signal(str)   # a track id whose labels were just saved
    finished = Signal(object)      # core.autolabel.AutoLabelResult, or None when cancelled / failed

    def __init__(self, context: Callable[[], tuple[str | None, str]], parent: QWidget | None = None) -> None:
        """``context()`` → (dataset name or None, models root)."""
        super().__init__(parent)
        self._context = context
        self._runner: JobRunner | None = None
        self.max_tokens: int | None = None  # per-song LM token cap (None: the LM's whole context)
        self.failures: list[str] = []

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.button = QPushButton(objectName="autoLabelButton")
        self.only_unlabeled = QCheckBox(objectName="autoLabelOnlyUnlabeled")
        self.only_unlabeled.setChecked(True)
        self.overwrite = QCheckBox(objectName="autoLabelOverwrite")
        row.addWidget(self.button)
        row.addWidget(self.only_unlabeled)
        row.addWidget(self.overwrite)
        row.addStretch(1)
        layout.addLayout(row)
        progress_row = QHBoxLayout()
        self.progress = QProgressBar(objectName="autoLabelProgress")
        self.status = QLabel(objectName="secondaryText")
        self.status.setWordWrap(True)
        self.cancel_button = QPushButton(objectName="autoLabelCancelButton")
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)
        layout.addLayout(progress_row)
        layout.addWidget(self.status)

        self.button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self._set_running(False)
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        self.button.setText(self.tr("Auto-label"))
        self.button.setToolTip(self.tr("The 5 Hz LM listens to each song and writes its caption, genre, BPM, key, "
                                       "time signature, language and lyrics. Review them before training."))
        self.only_unlabeled.setText(self.tr("Only songs without labels"))
        self.overwrite.setText(self.tr("Overwrite"))
        self.overwrite.setToolTip(self.tr("Also replace labels you typed yourself."))
        self.cancel_button.setText(self.tr("Cancel"))
        self.refresh_availability()

    def lm_size(self) -> str | None:
        return models.preferred_lm(self._context()[1])

    def refresh_availability(self) -> None:
        name, _root = self._context()
        has_lm = self.lm_size() is not None
        self.button.setEnabled(bool(name) and has_lm and not self.is_running())
        if not has_lm and not self.is_running():
            self.status.setText(self.tr("Auto-label needs a 5 Hz LM. Download one under Settings > Models…"))

    def is_running(self) -> bool:
        return self._runner is not None and self._runner.is_running()

    def wait(self, timeout_ms: int = -1) -> bool:
        return self._runner.wait(timeout_ms) if self._runner is not None else True

    @Slot()
    def start(self) -> None:
        name, root = self._context()
        size = self.lm_size()
        if not name or size is None or self.is_running():
            return
        job = autolabel_job(name, root, only_unlabeled=self.only_unlabeled.isChecked(),
                            overwrite=self.overwrite.isChecked(), lm=size, max_tokens=self.max_tokens)
        runner = JobRunner(job, self, kind="autolabel", on_quit=QUIT_CANCEL)
        runner.progress.connect(self._on_progress)
        runner.artifact.connect(self._on_artifact)
        runner.log.connect(self._on_log)
        runner.succeeded.connect(self._on_done)
        runner.failed.connect(self._on_failed)
        runner.cancelled.connect(self._on_cancelled)
        runner.finished.connect(lambda: self._set_running(False))
        self._runner = runner
        self.failures = []
        self.progress.setRange(0, 0)
        self.status.setText(self.tr("Loading the models…"))
        self._set_running(True)
        runner.start()

    @Slot()
    def cancel(self) -> None:
        if self._runner is not None:
            self._runner.cancel()

    def _set_running(self, on: bool) -> None:
        self.progress.setVisible(on)
        self.cancel_button.setVisible(on)
        self.only_unlabeled.setEnabled(not on)
        self.overwrite.setEnabled(not on)
        self.refresh_availability()

    @Slot(object)
    def _on_progress(self, p: Progress) -> None:
        if p.total:
            self.progress.setRange(0, int(p.total))
            self.progress.setValue(int(p.done))
        if p.done >= p.total:
            return
        text = self.tr("Song %1 of %2: %3").replace("%1", str(int(p.done) + 1)).replace("%2", str(int(p.total))).replace("%3", p.message)
        if p.eta_s:
            text += " · " + self.tr("about %1 left").replace("%1", _eta_text(p.eta_s))
        self.status.setText(text)

    @Slot(object)
    def _on_artifact(self, a: Artifact) -> None:
        if a.kind == "label":
            self.track_labelled.emit(str(a.info.get("track", "")))

    @Slot(object)
    def _on_log(self, event: Log) -> None:
        if event.level in ("warning", "error") and event.code:
            self.failures.append(text_for(event.code, event.params, event.message))

    @Slot(object)
    def _on_done(self, result: Any) -> None:
        text = self.tr("%1 songs labelled, %2 failed. Check the labels before training.") \
            .replace("%1", str(len(result.labelled))).replace("%2", str(len(result.failed)))
        if self.failures:
            text += "\n" + "\n".join("• " + f for f in self.failures)
        self.status.setText(text)
        self.finished.emit(result)

    @Slot(object)
    def _on_failed(self, exc: BaseException) -> None:
        self.status.setText(text_for_error(exc))
        self.finished.emit(None)

    @Slot()
    def _on_cancelled(self) -> None:
        self.status.setText(self.tr("Auto-label stopped. The songs it finished are saved."))
        self.finished.emit(None)
