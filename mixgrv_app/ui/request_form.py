"""The song request form: what to make (caption, lyrics) and how (tempo, key, length, model, seed).

The form speaks in plain values (:meth:`RequestForm.values` returns a dict with the field names
of the pipeline's ``GenerationRequest``: caption, lyrics, instrumental, language, bpm, keyscale,
timesignature, duration, variant, steps, guidance, shift, seed, batch_size, reference_audio)
so the worker turns it into a request without the form knowing the core. ``None`` means "auto".

Remembered between launches as one JSON value in QSettings (``generation/form``); a value that
no longer fits (a model variant that was removed, a key spelled differently) falls back to the
default for that field only.

Every limit, starting value and list comes from ``core/requests.py`` (``REQUEST_FIELDS``,
``KEY_NAMES``, ``TIME_SIGNATURES``, the variant defaults) and ``core/prompts.py`` (the 51 lyric
language codes); the form only shows them, with Korean/English names for the languages.
"""

from __future__ import annotations

from mixgrv_app import pyside_fix  # noqa: F401  - before any PySide6 call (refcount bug on 3.11)

import json
import logging
import random
from pathlib import Path
from typing import Callable, Any

from PySide6.QtCore import QCoreApplication, Qt, QT_TRANSLATE_NOOP, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mixgrv_app import settings as opts
from mixgrv_app.core import models as model_catalogue
from mixgrv_app.core import prompts, requests
from mixgrv_app.ui.widgets import ACCEPTS_FILE_DROPS, AudioDrop, Retranslating
from mixgrv_app.core.models import display_name
# ---- issue 16 (task & source) ----
from mixgrv_app.ui.source_panel import SourcePanel
# ---- end issue 16 ----

log = logging.getLogger(__name__)

FORM_STATE = opts.TextOption("generation/form", "")

KEY_NAMES = requests.KEY_NAMES            # upstream's 70 key names (the track editor shows them too)
TIME_SIGNATURES = tuple(int(beats) for beats in requests.TIME_SIGNATURES)
FIELDS = requests.REQUEST_FIELDS
DEFAULT_VARIANT = requests.GenerationRequest.variant
STRUCTURE_TAGS = ("[intro]", "[verse]", "[chorus]", "[bridge]", "[outro]")

# Names of the lyric-language codes of core/prompts.py (context "Languages" in the .ts file),
# in the order the menu lists them.
LANGUAGE_NAMES: tuple[tuple[str, str], ...] = (
    ("ko", QT_TRANSLATE_NOOP("Languages", "Korean")),
    ("en", QT_TRANSLATE_NOOP("Languages", "English")),
    ("ja", QT_TRANSLATE_NOOP("Languages", "Japanese")),
    ("zh", QT_TRANSLATE_NOOP("Languages", "Chinese (Mandarin)")),
    ("yue", QT_TRANSLATE_NOOP("Languages", "Cantonese")),
    ("ar", QT_TRANSLATE_NOOP("Languages", "Arabic")),
    ("az", QT_TRANSLATE_NOOP("Languages", "Azerbaijani")),
    ("bg", QT_TRANSLATE_NOOP("Languages", "Bulgarian")),
    ("bn", QT_TRANSLATE_NOOP("Languages", "Bengali")),
    ("ca", QT_TRANSLATE_NOOP("Languages", "Catalan")),
    ("cs", QT_TRANSLATE_NOOP("Languages", "Czech")),
    ("da", QT_TRANSLATE_NOOP("Languages", "Danish")),
    ("de", QT_TRANSLATE_NOOP("Languages", "German")),
    ("el", QT_TRANSLATE_NOOP("Languages", "Greek")),
    ("es", QT_TRANSLATE_NOOP("Languages", "Spanish")),
    ("fa", QT_TRANSLATE_NOOP("Languages", "Persian")),
    ("fi", QT_TRANSLATE_NOOP("Languages", "Finnish")),
    ("fr", QT_TRANSLATE_NOOP("Languages", "French")),
    ("he", QT_TRANSLATE_NOOP("Languages", "Hebrew")),
    ("hi", QT_TRANSLATE_NOOP("Languages", "Hindi")),
    ("hr", QT_TRANSLATE_NOOP("Languages", "Croatian")),
    ("ht", QT_TRANSLATE_NOOP("Languages", "Haitian Creole")),
    ("hu", QT_TRANSLATE_NOOP("Languages", "Hungarian")),
    ("id", QT_TRANSLATE_NOOP("Languages", "Indonesian")),
    ("is", QT_TRANSLATE_NOOP("Languages", "Icelandic")),
    ("it", QT_TRANSLATE_NOOP("Languages", "Italian")),
    ("la", QT_TRANSLATE_NOOP("Languages", "Latin")),
    ("lt", QT_TRANSLATE_NOOP("Languages", "Lithuanian")),
    ("ms", QT_TRANSLATE_NOOP("Languages", "Malay")),
    ("ne", QT_TRANSLATE_NOOP("Languages", "Nepali")),
    ("nl", QT_TRANSLATE_NOOP("Languages", "Dutch")),
    ("no", QT_TRANSLATE_NOOP("Languages", "Norwegian")),
    ("pa", QT_TRANSLATE_NOOP("Languages", "Punjabi")),
    ("pl", QT_TRANSLATE_NOOP("Languages", "Polish")),
    ("pt", QT_TRANSLATE_NOOP("Languages", "Portuguese")),
    ("ro", QT_TRANSLATE_NOOP("Languages", "Romanian")),
    ("ru", QT_TRANSLATE_NOOP("Languages", "Russian")),
    ("sa", QT_TRANSLATE_NOOP("Languages", "Sanskrit")),
    ("sk", QT_TRANSLATE_NOOP("Languages", "Slovak")),
    ("sr", QT_TRANSLATE_NOOP("Languages", "Serbian")),
    ("sv", QT_TRANSLATE_NOOP("Languages", "Swedish")),
    ("sw", QT_TRANSLATE_NOOP("Languages", "Swahili")),
    ("ta", QT_TRANSLATE_NOOP("Languages", "Tamil")),
    ("te", QT_TRANSLATE_NOOP("Languages", "Telugu")),
    ("th", QT_TRANSLATE_NOOP("Languages", "Thai")),
    ("tl", QT_TRANSLATE_NOOP("Languages", "Tagalog")),
    ("tr", QT_TRANSLATE_NOOP("Languages", "Turkish")),
    ("uk", QT_TRANSLATE_NOOP("Languages", "Ukrainian")),
    ("ur", QT_TRANSLATE_NOOP("Languages", "Urdu")),
    ("vi", QT_TRANSLATE_NOOP("Languages", "Vietnamese")),
    ("unknown", QT_TRANSLATE_NOOP("Languages", "Other / unknown")),
)
# (code, name) for every code core accepts, in the menu's order; a code without a name shows itself
LANGUAGES: tuple[tuple[str, str], ...] = tuple(
    [(code, name) for code, name in LANGUAGE_NAMES if code in prompts.LANGUAGES]
    + [(code, code) for code in prompts.LANGUAGES if code not in dict(LANGUAGE_NAMES)])

# (chip label, caption it fills in). Captions stay English: the model was trained on English tags.
EXAMPLE_CAPTIONS: tuple[tuple[str, str], ...] = (
    (QT_TRANSLATE_NOOP("RequestForm", "Lo-fi"), "dreamy lo-fi hip hop beat, soft piano, vinyl crackle, mellow"),
    (QT_TRANSLATE_NOOP("RequestForm", "K-pop"), "upbeat K-pop, bright synths, punchy drums, catchy female vocal"),
    (QT_TRANSLATE_NOOP("RequestForm", "Ballad"), "emotional Korean ballad, warm piano and strings, gentle male vocal"),
    (QT_TRANSLATE_NOOP("RequestForm", "City pop"), "80s city pop, slap bass groove, electric piano, smooth vocal"),
    (QT_TRANSLATE_NOOP("RequestForm", "Cinematic"), "cinematic orchestral build, strings and brass, epic drums"),
)


def find_variants(models_root: str | Path | None) -> list[str]:
    """The DiT variants ready to generate with under the models folder (core.models decides)."""
    return model_catalogue.installed_dits(models_root)


class WholeNumberSpin(QDoubleSpinBox):
    """A spin box for whole numbers beyond QSpinBox's 32-bit range (seeds go up to 2**32 - 1)."""

    def __init__(self, parent: QWidget | None = None, objectName: str = "") -> None:  # noqa: N803 - Qt's name
        super().__init__(parent)
        self.setObjectName(objectName)
        self.setDecimals(0)

    def value(self) -> int:  # type: ignore[override]
        return int(round(super().value()))


def _limit(widget, limits: requests.FieldLimits) -> None:  # noqa: ANN001 - a spin box or slider
    """Range, step and starting value of a form field, as core says."""
    if isinstance(widget, QDoubleSpinBox) and not isinstance(widget, WholeNumberSpin):
        widget.setRange(float(limits.minimum), float(limits.maximum))
        widget.setSingleStep(float(limits.step))
    else:
        widget.setRange(int(limits.minimum), int(limits.maximum))
        widget.setSingleStep(int(limits.step))
    if limits.default is not None:
        widget.setValue(float(limits.default) if isinstance(widget, QDoubleSpinBox) else int(limits.default))


class Chip(QPushButton):
    """A small rounded button that inserts text (example captions, structure tags)."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setObjectName("chip")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)


def structure_tag_row(insert: Callable[[str], None]) -> tuple[QHBoxLayout, list[Chip]]:
    """A row of [intro] [verse] [chorus] … chips that call ``insert(tag)`` (lyrics editors)."""
    row = QHBoxLayout()
    row.setSpacing(6)
    chips: list[Chip] = []
    for tag in STRUCTURE_TAGS:
        chip = Chip(tag)
        chip.setObjectName("tagChip")
        chip.clicked.connect(lambda _=False, t=tag: insert(t))
        chips.append(chip)
        row.addWidget(chip)
    row.addStretch(1)
    return row, chips


class ReferenceDrop(AudioDrop, QFrame):
    """A one-line drop target for the optional reference (timbre) audio."""

    changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("referenceDrop")
        self.setAcceptDrops(True)
        self.setProperty(ACCEPTS_FILE_DROPS, True)
        self.setProperty("hovering", False)
        self.path = ""
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 6, 6)
        self.label = QLabel(objectName="referenceLabel")
        self.label.setWordWrap(False)
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.choose = QToolButton(objectName="referenceChoose")
        self.clear = QToolButton(objectName="referenceClear", text="✕")
        self.clear.setAutoRaise(True)
        self.choose.clicked.connect(self._choose)
        self.clear.clicked.connect(lambda: self.set_path(""))
        row.addWidget(self.label, 1)
        row.addWidget(self.choose)
        row.addWidget(self.clear)
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        self.choose.setText(self.tr("Choose…"))
        self.clear.setToolTip(self.tr("Remove the reference audio"))
        self._render()

    def _render(self) -> None:
        if self.path:
            self.label.setText("♫  " + Path(self.path).name)
            self.label.setToolTip(self.path)
        else:
            self.label.setText(self.tr("Drop a song here to borrow its timbre (optional)"))
            self.label.setToolTip("")
        self.clear.setVisible(bool(self.path))

    def set_path(self, path: str) -> None:
        self.path = path
        self._render()
        self.changed.emit(path)

    def _choose(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, self.tr("Reference audio"), str(Path.home() / "Music"),
            self.tr("Audio files (*.wav *.flac *.mp3 *.aif *.aiff *.m4a *.ogg *.opus)"),
        )
        if name:
            self.set_path(name)

    def audio_dropped(self, path: str) -> None:
        self.set_path(path)

class RequestForm(Retranslating, QWidget):
    """All request fields; ``values()`` / ``set_values()``; persisted with ``save()``."""

    generate_requested = Signal()
    changed = Signal()

    def __init__(self, models_root: str | Path | None = None, settings: opts.Settings | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("requestForm")
        self.settings = settings or opts.settings()
        self.models_root = str(models_root or "")
        self.last_seed: int | None = None
        self._build()
        self.set_models_root(self.models_root)
        self.restore()
        self.retranslate_ui()
        self._update_enabled()

    # -- building ------------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)

        self.caption_label = QLabel(objectName="fieldTitle")
        self.caption_edit = QPlainTextEdit(objectName="captionEdit")
        self.caption_edit.setTabChangesFocus(True)
        self.caption_edit.setFixedHeight(64)
        self.example_row = QHBoxLayout()
        self.example_row.setSpacing(6)
        self.example_chips: list[Chip] = []
        for index in range(len(EXAMPLE_CAPTIONS)):
            chip = Chip()
            chip.clicked.connect(lambda _=False, i=index: self._use_example(i))
            self.example_chips.append(chip)
        chips_box = QHBoxLayout()
        chips_box.setSpacing(6)
        self.examples_label = QLabel(objectName="hintText")
        chips_box.addWidget(self.examples_label)
        for chip in self.example_chips:
            chips_box.addWidget(chip)
        chips_box.addStretch(1)

        lyrics_head = QHBoxLayout()
        self.lyrics_label = QLabel(objectName="fieldTitle")
        self.instrumental = QCheckBox(objectName="instrumentalSwitch")
        lyrics_head.addWidget(self.lyrics_label)
        lyrics_head.addStretch(1)
        lyrics_head.addWidget(self.instrumental)
        self.tag_row, self.tag_buttons = structure_tag_row(self.insert_tag)
        self.lyrics_edit = QPlainTextEdit(objectName="lyricsEdit")
        self.lyrics_edit.setMinimumHeight(110)
        self.lyrics_hint = QLabel(objectName="hintText", wordWrap=True)

        # parameters grid
        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(8)
        self.bpm_auto = QCheckBox(objectName="bpmAuto")
        self.bpm_spin = QSpinBox(objectName="bpmSpin")
        _limit(self.bpm_spin, FIELDS["bpm"])
        self.key_combo = QComboBox(objectName="keyCombo")
        self.key_combo.addItem("", None)
        for name in KEY_NAMES:
            self.key_combo.addItem(name, name)
        self.key_combo.setMaxVisibleItems(16)
        self.time_combo = QComboBox(objectName="timeSignatureCombo")
        self.time_combo.addItem("", None)
        for beats in TIME_SIGNATURES:
            self.time_combo.addItem(f"{beats}/4", beats)
        self.language_combo = QComboBox(objectName="languageCombo")
        for code, _name in LANGUAGES:
            self.language_combo.addItem("", code)
        self.language_combo.setMaxVisibleItems(16)

        self.duration_slider = QSlider(Qt.Orientation.Horizontal, objectName="durationSlider")
        _limit(self.duration_slider, FIELDS["duration"])
        self.duration_slider.setPageStep(30)
        self.duration_value = QLabel(objectName="valueLabel")
        self.duration_value.setMinimumWidth(56)
        self.duration_value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.duration_auto = QCheckBox(objectName="durationAuto")  # shown when the LM may choose the length
        self.duration_auto.setVisible(False)
        self._lm_may_length = False

        self.variant_combo = QComboBox(objectName="variantCombo")
        self.steps_spin = QSpinBox(objectName="stepsSpin")
        self.guidance_spin = QDoubleSpinBox(objectName="guidanceSpin")
        self.shift_spin = QDoubleSpinBox(objectName="shiftSpin")
        for spin, key in ((self.steps_spin, "steps"), (self.guidance_spin, "guidance"), (self.shift_spin, "shift")):
            _limit(spin, FIELDS[key])
        self._show_variant_defaults(DEFAULT_VARIANT)
        self.seed_spin = WholeNumberSpin(objectName="seedSpin")  # seeds go beyond QSpinBox's 2**31 - 1
        _limit(self.seed_spin, FIELDS["seed"])
        self.seed_random = QCheckBox(objectName="seedRandom")
        self.reuse_seed = QToolButton(objectName="reuseSeedButton")
        self.reuse_seed.setEnabled(False)
        self.batch_spin = QSpinBox(objectName="batchSpin")
        _limit(self.batch_spin, FIELDS["batch_size"])
        self.reference = ReferenceDrop()

        self.labels: dict[str, QLabel] = {}

        def row(r: int, key: str, *widgets: QWidget, span: int = 1) -> None:
            label = QLabel(objectName="formLabel")
            self.labels[key] = label
            grid.addWidget(label, r, 0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            box = QHBoxLayout()
            box.setSpacing(8)
            for w in widgets:
                box.addWidget(w, 1 if isinstance(w, (QSlider, QComboBox)) else 0)
            if not any(isinstance(w, (QSlider, QComboBox)) for w in widgets):
                box.addStretch(1)
            grid.addLayout(box, r, 1)

        # ---- issue 15 (LM): 생각하기 beside the variant, the LM settings under the settings ----
        from mixgrv_app.ui.lm_panel import LMSettingsBox

        self.lm_settings = LMSettingsBox()
        self.lm_settings.changed.connect(self._on_changed)
        # the switch shares the variant's row: the combo gives up width rather than the form growing
        self.variant_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.variant_combo.setMinimumContentsLength(8)
        # ---- end issue 15 ----
        row(0, "bpm", self.bpm_spin, self.bpm_auto)
        row(1, "key", self.key_combo)
        row(2, "time", self.time_combo)
        row(3, "language", self.language_combo)
        row(4, "duration", self.duration_slider, self.duration_value, self.duration_auto)
        row(5, "variant", self.variant_combo, self.lm_settings.think_switch)  # issue 15: thinkSwitch
        row(6, "steps", self.steps_spin)
        row(7, "guidance", self.guidance_spin)
        row(8, "shift", self.shift_spin)
        row(9, "seed", self.seed_spin, self.seed_random, self.reuse_seed)
        row(10, "batch", self.batch_spin)
        grid.setColumnStretch(1, 1)

        self.reference_label = QLabel(objectName="fieldTitle")
        self.settings_title = QLabel(objectName="fieldTitle")

        # ---- issue 16 (task & source): the task selector and its fields, first in the form ----
        self.source = SourcePanel()
        self.source.changed.connect(self._on_changed)
        self.source.switch_variant_requested.connect(self.switch_variant)
        layout.addWidget(self.source)
        layout.addSpacing(6)
        # ---- end issue 16 ----
        # ---- issue 15 (LM): 간단 모드 above the caption, 다듬기 beside it (ui/lm_panel.py runs them) ----
        from mixgrv_app.ui.lm_panel import SimpleModeBox

        self.simple_mode = SimpleModeBox()
        layout.addWidget(self.simple_mode)
        layout.addSpacing(6)
        caption_head = QHBoxLayout()
        caption_head.addWidget(self.caption_label)
        caption_head.addStretch(1)
        self.format_button = QPushButton(objectName="formatButton")
        caption_head.addWidget(self.format_button)
        layout.addLayout(caption_head)
        # ---- end issue 15 ----
        layout.addWidget(self.caption_edit)
        layout.addLayout(chips_box)
        layout.addSpacing(6)
        layout.addLayout(lyrics_head)
        layout.addLayout(self.tag_row)
        layout.addWidget(self.lyrics_edit, 1)
        layout.addWidget(self.lyrics_hint)
        layout.addSpacing(6)
        layout.addWidget(self.settings_title)
        layout.addLayout(grid)
        layout.addWidget(self.lm_settings)  # issue 15
        layout.addSpacing(4)
        layout.addWidget(self.reference_label)
        layout.addWidget(self.reference)

        for signal in (
            self.caption_edit.textChanged, self.lyrics_edit.textChanged, self.instrumental.toggled,
            self.bpm_auto.toggled, self.duration_auto.toggled, self.bpm_spin.valueChanged, self.key_combo.currentIndexChanged,
            self.time_combo.currentIndexChanged, self.language_combo.currentIndexChanged,
            self.duration_slider.valueChanged, self.variant_combo.currentIndexChanged,
            self.steps_spin.valueChanged, self.guidance_spin.valueChanged, self.shift_spin.valueChanged,
            self.seed_spin.valueChanged, self.seed_random.toggled, self.batch_spin.valueChanged,
            self.reference.changed,
        ):
            signal.connect(self._on_changed)
        self.variant_combo.currentIndexChanged.connect(self._on_variant_changed)
        self.reuse_seed.clicked.connect(self.reuse_last_seed)

    def retranslate_ui(self) -> None:
        self.caption_label.setText(self.tr("Caption / description"))
        self.caption_edit.setPlaceholderText(self.tr("Genre, mood, instruments, voice… e.g. “warm city-pop with a slap bass groove”"))
        self.examples_label.setText(self.tr("Try:"))
        for chip, (label, caption) in zip(self.example_chips, EXAMPLE_CAPTIONS, strict=True):
            chip.setText(QCoreApplication.translate("RequestForm", label))
            chip.setToolTip(caption)
        self.lyrics_label.setText(self.tr("Lyrics"))
        self.instrumental.setText(self.tr("Instrumental (no vocals)"))
        self.lyrics_edit.setPlaceholderText(self.tr("[verse]\nWrite your lyrics here…\n\n[chorus]\n…"))
        self.lyrics_hint.setText(self.tr("Mark the song's structure with [verse], [chorus], [bridge], [intro] and [outro]. Leave it empty for an instrumental."))
        for chip in self.tag_buttons:
            chip.setToolTip(self.tr("Insert {tag} on a new line").format(tag=chip.text()))
        self.settings_title.setText(self.tr("Settings"))
        texts = {
            "bpm": self.tr("BPM"), "key": self.tr("Key"), "time": self.tr("Time signature"),
            "language": self.tr("Language"), "duration": self.tr("Length"), "variant": self.tr("Model"),
            "steps": self.tr("Steps"), "guidance": self.tr("Guidance"), "shift": self.tr("Shift"),
            "seed": self.tr("Seed"), "batch": self.tr("Takes"),
        }
        for key, label in self.labels.items():
            label.setText(texts[key])
        self.bpm_auto.setText(self.tr("Auto"))
        self.duration_auto.setText(self.tr("Let the LM choose"))
        self.duration_auto.setToolTip(self.tr("Thinking writes the song's length into its plan; the take is as long as the plan says."))
        self.key_combo.setItemText(0, self.tr("Auto"))
        self.time_combo.setItemText(0, self.tr("Auto"))
        for i, (_code, name) in enumerate(LANGUAGES):
            self.language_combo.setItemText(i, QCoreApplication.translate("Languages", name))
        self.seed_random.setText(self.tr("Random"))
        self.reuse_seed.setText(self.tr("Reuse last"))
        self.reuse_seed.setToolTip(self.tr("Use the seed of the last take again: same seed, same song"))
        self.guidance_spin.setToolTip(self.tr("How strictly the model follows the caption. Only base and SFT models use it; turbo ignores it."))
        self.steps_spin.setToolTip(self.tr("More steps: slower, sometimes cleaner. Turbo models use at most 8."))
        self.shift_spin.setToolTip(self.tr("Timestep shift: 3 suits turbo, 1 suits base/SFT."))
        self.batch_spin.setToolTip(self.tr("How many takes to make at once (seeds follow one another)."))
        self.reference_label.setText(self.tr("Reference audio"))
        self.reference.retranslate_ui()
        self.lm_settings.retranslate_ui()  # issue 15
        self._render_variants()
        self._render_duration()

    # -- variants --------------------------------------------------------------------------------
    def set_models_root(self, models_root: str | Path | None) -> None:
        self.models_root = str(models_root or "")
        current = self.variant_combo.currentData()
        variants = find_variants(self.models_root) or [DEFAULT_VARIANT]
        self.variant_combo.blockSignals(True)
        self.variant_combo.clear()
        for name in variants:
            self.variant_combo.addItem(name, name)
        index = self.variant_combo.findData(current) if current else -1
        if index < 0:
            index = max(0, self.variant_combo.findData(DEFAULT_VARIANT))
        self.variant_combo.setCurrentIndex(index)
        self.variant_combo.blockSignals(False)
        self._render_variants()
        self._update_enabled()
        self._sync_source_variant()  # issue 16
        from mixgrv_app.core import models  # issue 15: Think on by default when an LM is installed

        self.lm_settings.set_available([n.removeprefix(models.LM_PREFIX) for n in models.installed_lms(self.models_root)],
                                       models.preferred_lm(self.models_root))

    def _render_variants(self) -> None:
        for i in range(self.variant_combo.count()):
            name = self.variant_combo.itemData(i)
            self.variant_combo.setItemText(i, self.variant_display_name(name))

    def variant_display_name(self, name: str) -> str:
        short = display_name(name)
        if "turbo" in short:
            detail = self.tr("fast, 8 steps")
        elif "sft" in short:
            detail = self.tr("fine-tuned, uses guidance")
        elif "base" in short:
            detail = self.tr("best for LoRA, uses guidance")
        else:
            detail = ""
        title = short.replace("-", " ").title().replace("Xl", "XL").replace("Sft", "SFT")
        return f"{title} — {detail}" if detail else title

    @Slot()
    def _on_variant_changed(self) -> None:
        self._show_variant_defaults(self.variant())
        self._update_enabled()
        self._sync_source_variant()  # issue 16

    # ---- issue 16 (task & source) ----
    def _sync_source_variant(self) -> None:
        """The task panel knows the model (base-only tasks) and which models are installed."""
        installed = [self.variant_combo.itemData(i) for i in range(self.variant_combo.count())]
        self.source.set_variant(self.variant(), installed)

    @Slot(str)
    def switch_variant(self, variant: str) -> None:
        index = self.variant_combo.findData(variant)
        if index >= 0:
            self.variant_combo.setCurrentIndex(index)

    def _show_task_rows(self) -> None:
        """Rows of the settings grid only some tasks use (the length: text to music only)."""
        duration = "duration" in self.source.shown_fields()
        for w in (self.labels["duration"], self.duration_slider, self.duration_value):
            w.setVisible(duration)
        lm_may = duration and requests.lm_may_choose_length(self.source.task(), self.lm_settings.think_switch.isChecked())
        self._lm_may_length = lm_may
        self.duration_auto.setVisible(lm_may)
        lm_chooses = lm_may and self.duration_auto.isChecked()
        self.duration_slider.setEnabled(not lm_chooses)
        self.duration_value.setEnabled(not lm_chooses)
        self._render_duration()
    # ---- end issue 16 ----

    def _show_variant_defaults(self, variant: str) -> None:
        defaults = requests.variant_defaults(variant)
        self.steps_spin.setMaximum(requests.max_steps(variant))
        self.steps_spin.setValue(int(defaults["steps"]))
        self.guidance_spin.setValue(float(defaults["guidance"]))
        self.shift_spin.setValue(float(defaults["shift"]))

    def variant(self) -> str:
        return self.variant_combo.currentData() or DEFAULT_VARIANT

    def _update_enabled(self) -> None:
        uses = requests.uses_guidance(self.variant())
        self.guidance_spin.setEnabled(uses)
        self.labels["guidance"].setEnabled(uses)
        self.steps_spin.setMaximum(requests.max_steps(self.variant()))
        self.bpm_spin.setEnabled(not self.bpm_auto.isChecked())
        self.seed_spin.setEnabled(not self.seed_random.isChecked())
        lyrics_on = not self.instrumental.isChecked()
        self.lyrics_edit.setEnabled(lyrics_on)
        for chip in self.tag_buttons:
            chip.setEnabled(lyrics_on)
        self.reuse_seed.setEnabled(self.last_seed is not None)
        self._show_task_rows()  # issue 16

    # -- editing helpers ----------------------------------------------------------------------------
    def _use_example(self, index: int) -> None:
        self.caption_edit.setPlainText(EXAMPLE_CAPTIONS[index][1])
        self.caption_edit.setFocus()

    def insert_tag(self, tag: str) -> None:
        """Insert a structure tag on its own line at the cursor, leaving the cursor under it."""
        cursor = self.lyrics_edit.textCursor()
        block_text = cursor.block().text()
        prefix = "" if cursor.atBlockStart() and not block_text.strip() else "\n"
        if cursor.position() > 0 and prefix and cursor.block().text()[: cursor.positionInBlock()].strip() == "":
            prefix = ""
        cursor.insertText(f"{prefix}{tag}\n")
        self.lyrics_edit.setTextCursor(cursor)
        self.lyrics_edit.setFocus()

    def _render_duration(self) -> None:
        if self._lm_chooses_length():  # the slider's length is not the take's: say whose it is
            self.duration_value.setText(self.tr("by plan"))
            return
        seconds = self.duration_slider.value()
        minutes, rest = divmod(seconds, 60)
        if minutes and rest:
            text = self.tr("{m} min {s} s").format(m=minutes, s=rest)
        elif minutes:
            text = self.tr("{m} min").format(m=minutes)
        else:
            text = self.tr("{s} s").format(s=rest)
        self.duration_value.setText(text)

    @Slot()
    def _on_changed(self) -> None:
        self._render_duration()
        self._update_enabled()
        self.changed.emit()

    def set_last_seed(self, seed: int | None) -> None:
        self.last_seed = seed
        self._update_enabled()

    @Slot()
    def reuse_last_seed(self) -> None:
        if self.last_seed is None:
            return
        self.seed_random.setChecked(False)
        self.seed_spin.setValue(int(self.last_seed) % (int(self.seed_spin.maximum()) + 1))

    # -- values ----------------------------------------------------------------------------------------
    def values(self, draw_seed: bool = True) -> dict[str, Any]:
        """The request as plain values; a random seed is drawn here so the take records it."""
        variant = self.variant()
        seed: int | None = self.seed_spin.value()
        if self.seed_random.isChecked():
            seed = random.randint(0, int(self.seed_spin.maximum())) if draw_seed else None
        instrumental = self.instrumental.isChecked()
        return {
            "caption": self.caption_edit.toPlainText().strip(),
            "lyrics": "" if instrumental else self.lyrics_edit.toPlainText().strip(),
            "instrumental": instrumental,
            "language": self.language_combo.currentData() or "unknown",
            "bpm": None if self.bpm_auto.isChecked() else self.bpm_spin.value(),
            "keyscale": self.key_combo.currentData(),
            "timesignature": self.time_combo.currentData(),
            "duration": None if self._lm_chooses_length() else float(self.duration_slider.value()),
            "variant": variant,
            "steps": self.steps_spin.value(),
            "guidance": self.guidance_spin.value() if requests.uses_guidance(variant) else None,
            "shift": self.shift_spin.value(),
            "seed": seed,
            "batch_size": self.batch_spin.value(),
            "reference_audio": self.reference.path or None,
            **self.source.values(),  # issue 16: task, source_audio, region, track(s), cover fields, codes
            # issue 15: thinking plans new songs from text only (core: request.think_task)
            **(self.lm_settings.values() if self.source.task() == "text2music" else {"think": False}),
        }

    def _lm_chooses_length(self) -> bool:
        return self._lm_may_length and self.duration_auto.isChecked()

    def set_values(self, values: dict[str, Any]) -> None:
        """Fill the form from ``values`` (a saved form, or a take's request: "reuse these settings")."""
        def pick(combo: QComboBox, data: Any) -> None:
            index = combo.findData(data)
            if index >= 0:
                combo.setCurrentIndex(index)

        if "variant" in values and values["variant"]:
            pick(self.variant_combo, values["variant"])  # first: it resets steps/shift defaults
        if "caption" in values:
            self.caption_edit.setPlainText(str(values.get("caption") or ""))
        if "instrumental" in values:
            self.instrumental.setChecked(bool(values.get("instrumental")))
        if "lyrics" in values and (values.get("lyrics") or not values.get("instrumental")):
            self.lyrics_edit.setPlainText(str(values.get("lyrics") or ""))
        if "language" in values:
            pick(self.language_combo, values.get("language") or "unknown")
        if "bpm" in values:
            bpm = values.get("bpm")
            self.bpm_auto.setChecked(bpm is None)
            if bpm is not None:
                self.bpm_spin.setValue(int(bpm))
        if "keyscale" in values:
            pick(self.key_combo, values.get("keyscale"))
        if "timesignature" in values:
            ts = values.get("timesignature")
            pick(self.time_combo, int(ts) if isinstance(ts, (int, float, str)) and str(ts).isdigit() else None)
        if values.get("duration") is not None:
            self.duration_slider.setValue(int(round(float(values["duration"]))))
        if "duration" in values:
            self.duration_auto.setChecked(values["duration"] is None and bool(values.get("think")))
        if values.get("steps") is not None:
            self.steps_spin.setValue(int(values["steps"]))
        if values.get("guidance") is not None:
            self.guidance_spin.setValue(float(values["guidance"]))
        if values.get("shift") is not None:
            self.shift_spin.setValue(float(values["shift"]))
        if "seed_random" in values:
            self.seed_random.setChecked(bool(values["seed_random"]))
        if values.get("seed") is not None:
            seed = int(values["seed"])
            if seed <= self.seed_spin.maximum():
                self.seed_spin.setValue(seed)
        if values.get("batch_size") is not None:
            self.batch_spin.setValue(int(values["batch_size"]))
        if "reference_audio" in values:
            self.reference.set_path(str(values.get("reference_audio") or ""))
        self.source.set_values(values)  # issue 16
        self.lm_settings.set_values(values)  # issue 15
        self._update_enabled()

    def reuse(self, request: dict[str, Any], seed: int | None) -> None:
        """"이 설정 다시 사용": the take's settings, with its own seed fixed and batch of one."""
        values = dict(request)
        values["seed_random"] = False
        values["seed"] = seed if seed is not None else request.get("seed")
        self.set_values(values)
        self.set_last_seed(values["seed"])

    # -- persistence ------------------------------------------------------------------------------------
    def save(self) -> None:
        state = self.values(draw_seed=False)
        state["seed_random"] = self.seed_random.isChecked()
        state["seed"] = self.seed_spin.value()
        state["last_seed"] = self.last_seed
        self.settings.set(FORM_STATE, json.dumps(state, ensure_ascii=False))

    def restore(self) -> None:
        raw = self.settings.get(FORM_STATE)
        if not raw:
            self.language_combo.setCurrentIndex(0)  # Korean first
            self.bpm_auto.setChecked(True)
            return
        try:
            state = json.loads(raw)
            if not isinstance(state, dict):
                raise ValueError("not an object")
        except ValueError as exc:
            log.warning("saved generation form unreadable (%s); using defaults", exc)
            return
        try:
            self.set_values(state)
            last = state.get("last_seed")
            self.set_last_seed(int(last) if last is not None else None)
        except (TypeError, ValueError) as exc:
            log.warning("saved generation form partly unusable: %s", exc)

    # -- validation for the Generate button -------------------------------------------------------------
    def problem(self) -> str:
        """A translated sentence saying why the request cannot be sent yet ("" when it can)."""
        if self.models_root and not model_catalogue.generation_ready(self.models_root):  # no folder given: not this form's concern
            return self.tr("The ACE-Step models are not downloaded yet. Get them under Settings > Models…")
        values = self.values(draw_seed=False)
        # ---- issue 16: the task's own problems first; only text to music needs a caption ----
        task_problem = self.source.problem()
        if task_problem:
            return task_problem
        if not values["caption"] and values["task"] == "text2music" and not values.get("audio_codes"):
            return self.tr("Describe the song in the caption first (genre, mood, instruments).")
        # ---- end issue 16 ----
        if values["reference_audio"] and not Path(values["reference_audio"]).is_file():
            return self.tr("The reference audio file is gone. Drop it again or remove it.")
        return ""
