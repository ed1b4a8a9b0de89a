"""Per-track labels and the dataset-wide tag, edited in place and saved as you type.

The model learns what a song is from its caption, lyrics and metas (BPM, key, time signature,
language), so this is where a musician fixes them. Edits are debounced and written through
``core.dataset_labels.edit_track`` / ``set_metadata`` (atomic JSON saves); nothing needs a Save button.
A track without a caption or genre is marked as unlabelled in the table and here.
"""

from __future__ import annotations

from mixgrv_app import pyside_fix  # noqa: F401  - before any PySide6 call (refcount bug on 3.11)

from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QPushButton,
    QSlider, QSpinBox, QVBoxLayout, QWidget,
)

from mixgrv_app.core import dataset as ds_core
from mixgrv_app.core import dataset_labels, prompts
from mixgrv_app.core.errors import MixgrvError
from mixgrv_app.ui.messages import text_for_error
from mixgrv_app.ui.request_form import KEY_NAMES, LANGUAGES, TIME_SIGNATURES, structure_tag_row
from mixgrv_app.ui.widgets import Retranslating

AUTOSAVE_MS = 400


class TrackEditor(Retranslating, QWidget):
    """Caption, genre, lyrics, metas and prompt override of the selected track."""

    track_saved = Signal(object)     # ds_core.Track after an autosave
    dataset_saved = Signal(object)   # ds_core.Dataset after a dataset-wide change

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.dataset: ds_core.Dataset | None = None
        self.track: ds_core.Track | None = None
        self._loading = False
        self._dirty: dict[str, Any] = {}
        self._auto: set[str] = set()
        self._save_timer = QTimer(self, singleShot=True, interval=AUTOSAVE_MS)
        self._save_timer.timeout.connect(self.save_now)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(10)

        self.title = QLabel(objectName="sectionTitle")
        self.status = QLabel(objectName="secondaryText")
        self.status.setWordWrap(True)
        outer.addWidget(self.title)
        outer.addWidget(self.status)

        self.track_box = QWidget()
        form = QFormLayout(self.track_box)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.caption = QPlainTextEdit(objectName="trackCaptionEdit")
        self.caption.setFixedHeight(64)
        self.genre = QLineEdit(objectName="trackGenreEdit")
        self.lyrics = QPlainTextEdit(objectName="trackLyricsEdit")
        self.lyrics.setMinimumHeight(110)
        self.tag_row, self.tag_buttons = structure_tag_row(self.insert_tag)
        self.instrumental = QCheckBox(objectName="trackInstrumentalCheck")
        self.bpm = QSpinBox(objectName="trackBpmSpin")
        self.bpm.setRange(0, 400)  # 0 = not set ("N/A" in the prompt)
        self.key = QComboBox(objectName="trackKeyCombo")
        self.key.addItem("", "")
        for name in KEY_NAMES:
            self.key.addItem(name, name)
        self.timesig = QComboBox(objectName="trackTimeSignatureCombo")
        self.timesig.addItem("", "")
        for ts in TIME_SIGNATURES:
            self.timesig.addItem(f"{ts}/4", str(ts))
        self.language = QComboBox(objectName="trackLanguageCombo")
        for code, name in LANGUAGES:
            self.language.addItem(QCoreApplication.translate("Languages", name), code)
        self.prompt_override = QComboBox(objectName="trackPromptOverrideCombo")
        self.prompt_override.addItem("", None)
        self.prompt_override.addItem("", "caption")
        self.prompt_override.addItem("", "genre")
        self.track_tag = QLineEdit(objectName="trackCustomTagEdit")

        self.caption_label, self.genre_label, self.lyrics_label = QLabel(), QLabel(), QLabel()
        self.bpm_label, self.key_label, self.ts_label = QLabel(), QLabel(), QLabel()
        self.language_label, self.override_label, self.track_tag_label = QLabel(), QLabel(), QLabel()
        form.addRow(self.caption_label, self.caption)
        form.addRow(self.genre_label, self.genre)
        lyrics_box = QVBoxLayout()
        lyrics_box.addLayout(self.tag_row)
        lyrics_box.addWidget(self.lyrics)
        lyrics_box.addWidget(self.instrumental)
        form.addRow(self.lyrics_label, lyrics_box)
        metas = QHBoxLayout()
        metas.addWidget(self.bpm)
        metas.addWidget(self.key_label)
        metas.addWidget(self.key, 1)
        metas.addWidget(self.ts_label)
        metas.addWidget(self.timesig)
        form.addRow(self.bpm_label, metas)
        form.addRow(self.language_label, self.language)
        form.addRow(self.override_label, self.prompt_override)
        form.addRow(self.track_tag_label, self.track_tag)
        outer.addWidget(self.track_box)

        # dataset-wide settings
        self.dataset_box = QGroupBox(objectName="datasetSettingsBox")
        dform = QFormLayout(self.dataset_box)
        self.dataset_tag = QLineEdit(objectName="datasetCustomTagEdit")
        self.tag_position = QComboBox(objectName="datasetTagPositionCombo")
        for pos in ds_core.TAG_POSITIONS:
            self.tag_position.addItem("", pos)
        self.genre_ratio = QSlider(Qt.Orientation.Horizontal, objectName="genreRatioSlider")
        self.genre_ratio.setRange(0, 100)
        self.genre_ratio_value = QLabel(objectName="secondaryText")
        ratio_row = QHBoxLayout()
        ratio_row.addWidget(self.genre_ratio, 1)
        ratio_row.addWidget(self.genre_ratio_value)
        self.all_instrumental_button = QPushButton(objectName="allInstrumentalButton")
        self.dataset_tag_label, self.tag_position_label, self.genre_ratio_label = QLabel(), QLabel(), QLabel()
        tag_row = QHBoxLayout()
        tag_row.addWidget(self.dataset_tag, 1)
        tag_row.addWidget(self.tag_position)
        dform.addRow(self.dataset_tag_label, tag_row)
        dform.addRow(self.genre_ratio_label, ratio_row)
        dform.addRow("", self.all_instrumental_button)
        outer.addWidget(self.dataset_box)
        outer.addStretch(1)

        # edits -> debounced autosave
        self.caption.textChanged.connect(lambda: self._changed("caption", self.caption.toPlainText()))
        self.genre.textEdited.connect(lambda text: self._changed("genre", text))
        self.lyrics.textChanged.connect(lambda: self._changed("lyrics", self.lyrics.toPlainText()))
        self.instrumental.toggled.connect(self._on_instrumental)
        self.bpm.valueChanged.connect(lambda v: self._changed("bpm", v or None))
        self.key.currentIndexChanged.connect(lambda _i: self._changed("keyscale", self.key.currentData() or ""))
        self.timesig.currentIndexChanged.connect(lambda _i: self._changed("timesignature", self.timesig.currentData() or ""))
        self.language.currentIndexChanged.connect(lambda _i: self._changed("language", self.language.currentData()))
        self.prompt_override.currentIndexChanged.connect(
            lambda _i: self._changed("prompt_override", self.prompt_override.currentData()))
        self.track_tag.textEdited.connect(lambda text: self._changed("custom_tag", text))
        self.dataset_tag.editingFinished.connect(self._save_dataset_settings)
        self.tag_position.currentIndexChanged.connect(lambda _i: self._save_dataset_settings())
        self.genre_ratio.valueChanged.connect(self._on_ratio)
        self.genre_ratio.sliderReleased.connect(self._save_dataset_settings)
        self.all_instrumental_button.clicked.connect(self.mark_all_instrumental)

        self.retranslate_ui()
        self.set_track(None, None)

    # -- issue 15: fields auto-label filled are marked until the user edits them ---------------
    def _field_labels(self) -> dict[str, tuple[QLabel, str]]:
        return {"caption": (self.caption_label, self.tr("Caption")), "genre": (self.genre_label, self.tr("Genre")),
                "lyrics": (self.lyrics_label, self.tr("Lyrics")), "bpm": (self.bpm_label, self.tr("BPM")),
                "keyscale": (self.key_label, self.tr("Key")), "timesignature": (self.ts_label, self.tr("Time")),
                "language": (self.language_label, self.tr("Language"))}

    def auto_marked(self) -> list[str]:
        """The fields shown as auto-filled (label text ends with the auto mark)."""
        return sorted(self._auto)

    def _mark_auto(self) -> None:
        self._auto = set(self.track.auto_fields) if self.track is not None else set()
        for key, (label, text) in self._field_labels().items():
            auto = key in self._auto
            label.setText(self.tr("%1 (auto)").replace("%1", text) if auto else text)
            label.setToolTip(self.tr("Filled by auto-label. Check it; once you edit it, it is yours.") if auto else "")

    def reload_track(self, _track: Any = None) -> None:
        """Show the current song again after another process (auto-label) saved it; pending edits are saved first."""
        self.save_now()
        if self.dataset is not None and self.track is not None and any(t.id == self.track.id for t in self.dataset.tracks):
            self.set_track(self.dataset, self.dataset.track(self.track.id))

    # -- texts -------------------------------------------------------------------------------
    def retranslate_ui(self) -> None:
        self.caption_label.setText(self.tr("Caption"))
        self.caption.setPlaceholderText(self.tr("What the song sounds like, e.g. “warm lo-fi beat, soft piano, vinyl crackle”"))
        self.caption.setToolTip(self.tr("The model learns to link this description to the song. English tags work best."))
        self.genre_label.setText(self.tr("Genre"))
        self.genre.setPlaceholderText(self.tr("e.g. city pop"))
        self.lyrics_label.setText(self.tr("Lyrics"))
        self.lyrics.setPlaceholderText(self.tr("[verse]\nLyrics with structure tags…"))
        self.instrumental.setText(self.tr("Instrumental (no vocals)"))
        self.bpm_label.setText(self.tr("BPM"))
        self.bpm.setSpecialValueText(self.tr("not set"))
        self.key_label.setText(self.tr("Key"))
        self.key.setItemText(0, self.tr("not set"))
        self.ts_label.setText(self.tr("Time"))
        self.timesig.setItemText(0, self.tr("not set"))
        self.language_label.setText(self.tr("Language"))
        self.override_label.setText(self.tr("Train on"))
        self.prompt_override.setItemText(0, self.tr("Dataset setting"))
        self.prompt_override.setItemText(1, self.tr("Always the caption"))
        self.prompt_override.setItemText(2, self.tr("Always the genre"))
        self.prompt_override.setToolTip(self.tr("Which text this song is trained with, overriding the dataset's genre ratio."))
        self.track_tag_label.setText(self.tr("Track tag"))
        self.track_tag.setPlaceholderText(self.tr("Extra tag for this song only"))
        self.dataset_box.setTitle(self.tr("Whole dataset"))
        self.dataset_tag_label.setText(self.tr("Custom tag"))
        self.dataset_tag.setPlaceholderText(self.tr("A trigger word for your style, e.g. “mystyle”"))
        self.dataset_tag.setToolTip(self.tr("Added to every caption. Use the same word when you generate to call up your style."))
        for i, text in enumerate((self.tr("Before the caption"), self.tr("After the caption"), self.tr("Instead of the caption"))):
            self.tag_position.setItemText(i, text)
        self.genre_ratio_label.setText(self.tr("Genre instead of caption"))
        self.genre_ratio.setToolTip(self.tr("Share of songs trained with their genre instead of their caption."))
        self.all_instrumental_button.setText(self.tr("Mark every song instrumental"))
        self._mark_auto()
        self._on_ratio(self.genre_ratio.value())
        self._update_status()

    # -- loading -----------------------------------------------------------------------------
    def set_track(self, dataset: ds_core.Dataset | None, track: ds_core.Track | None) -> None:
        self.save_now()
        self.dataset, self.track = dataset, track
        self._loading = True
        try:
            self.track_box.setEnabled(track is not None)
            self.dataset_box.setEnabled(dataset is not None)
            t = track or ds_core.Track()
            self.title.setText(t.filename if track else self.tr("No song selected"))
            self.caption.setPlainText(t.caption)
            self.genre.setText(t.genre)
            self.lyrics.setPlainText("" if t.is_instrumental and t.lyrics == prompts.INSTRUMENTAL_LYRICS else t.lyrics)
            self.instrumental.setChecked(bool(t.is_instrumental))
            self.bpm.setValue(int(t.bpm or 0))
            self.key.setCurrentIndex(max(0, self.key.findData(t.keyscale or "")))
            self.timesig.setCurrentIndex(max(0, self.timesig.findData(str(t.timesignature or "").split("/")[0])))
            self.language.setCurrentIndex(max(0, self.language.findData(t.language or "unknown")))
            self.prompt_override.setCurrentIndex(max(0, self.prompt_override.findData(t.prompt_override)))
            self.track_tag.setText(t.custom_tag)
            if dataset is not None:
                self.dataset_tag.setText(dataset.meta.custom_tag)
                self.tag_position.setCurrentIndex(max(0, self.tag_position.findData(dataset.meta.tag_position)))
                self.genre_ratio.setValue(int(dataset.meta.genre_ratio))
        finally:
            self._loading = False
        self._update_status()
        self._mark_auto()

    # -- editing -----------------------------------------------------------------------------
    def insert_tag(self, tag: str) -> None:
        cursor = self.lyrics.textCursor()
        prefix = "" if cursor.atBlockStart() else "\n"
        cursor.insertText(f"{prefix}{tag}\n")
        self.lyrics.setFocus()

    def _changed(self, key: str, value: Any) -> None:
        if self._loading or self.track is None:
            return
        self._dirty[key] = value
        if key == "lyrics" and value.strip() and self.instrumental.isChecked():
            self._loading = True
            self.instrumental.setChecked(False)
            self._loading = False
            self._dirty["is_instrumental"] = False
        self._save_timer.start()

    @Slot(bool)
    def _on_instrumental(self, on: bool) -> None:
        self.lyrics.setEnabled(not on)
        if on and not self._loading:
            self._dirty["lyrics"] = prompts.INSTRUMENTAL_LYRICS
        self._changed("is_instrumental", on)

    def save_now(self) -> None:
        """Write pending edits (also called before switching tracks and on close)."""
        self._save_timer.stop()
        if not self._dirty or self.track is None or self.dataset is None:
            self._dirty.clear()
            return
        changes, self._dirty = self._dirty, {}
        try:
            track = dataset_labels.edit_track(self.dataset, self.track.id, **changes)
        except MixgrvError as exc:
            self.status.setText(text_for_error(exc))
            return
        self.track = track
        self._update_status()
        self._mark_auto()
        self.track_saved.emit(track)

    def _on_ratio(self, value: int) -> None:
        self.genre_ratio_value.setText(f"{value}%")

    def _save_dataset_settings(self) -> None:
        if self._loading or self.dataset is None:
            return
        try:
            self.dataset = ds_core.set_metadata(
                self.dataset.name, custom_tag=self.dataset_tag.text(),
                tag_position=self.tag_position.currentData(), genre_ratio=self.genre_ratio.value(),
            )
        except MixgrvError as exc:
            self.status.setText(text_for_error(exc))
            return
        self.dataset_saved.emit(self.dataset)

    def mark_all_instrumental(self) -> None:
        if self.dataset is None:
            return
        self.save_now()
        for t in list(self.dataset.tracks):
            dataset_labels.edit_track(self.dataset, t.id, save=False, is_instrumental=True, lyrics=prompts.INSTRUMENTAL_LYRICS)
        self.dataset.save()
        self.dataset_saved.emit(self.dataset)
        if self.track is not None:
            self.set_track(self.dataset, self.dataset.track(self.track.id))

    def _update_status(self) -> None:
        if self.track is None:
            self.status.setText(self.tr("Select a song in the list to edit its labels."))
        elif not self.track.labeled:
            self.status.setText(self.tr("⚠︎ This song has no caption yet. Describe it so the model learns your style."))
        else:
            self.status.setText(self.tr("✓ Labelled. Changes are saved automatically."))
