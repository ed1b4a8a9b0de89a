"""The 5 Hz LM in the Generation tab (issue 15): 간단 모드 (simple mode) and 다듬기 (format).

* :class:`SimpleModeBox` — a one-line idea (``simpleIdeaEdit``), instrumental and language, then
  ``composeButton``: the LM writes caption, lyrics and metadata into the form for review (nothing
  is generated until 생성); 되돌리기 restores the form as it was before.
* ``formatButton`` (placed beside the caption by the form) — the LM rewrites caption and lyrics
  into the model's preferred form; :class:`FormatReview` shows before and after, the user accepts
  or rejects.
* :class:`LMController` — runs both through the tab's :class:`GenerationWorker`, so the LM loads
  and runs in the model process (never in the window's), with "구상 중…" progress (tokens/s) and
  cancel. Which LM size: ``core.models.preferred_lm``; the mapping of the LM's metadata to form
  fields is core's (``generation_service.lm_form_values``).
"""

from __future__ import annotations

from mixgrv_app import pyside_fix  # noqa: F401  - before any PySide6 call (refcount bug on 3.11)

import html
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFrame, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton,
    QTextBrowser, QVBoxLayout, QWidget,
)

from mixgrv_app.core import models
from mixgrv_app.core.jobs import Progress
from mixgrv_app.ui.messages import text_for_error

# form fields the LM writes (and Undo / the review show)
LM_FIELDS = ("caption", "lyrics", "instrumental", "bpm", "keyscale", "timesignature", "language", "duration")


class SimpleModeBox(QFrame):
    compose_requested = Signal()
    undo_requested = Signal()
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("simpleModeBox")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.title = QLabel(objectName="fieldTitle")
        self.idea = QLineEdit(objectName="simpleIdeaEdit")
        row = QHBoxLayout()
        self.instrumental = QCheckBox(objectName="simpleInstrumental")
        self.language = QComboBox(objectName="simpleLanguage")
        self.compose_button = QPushButton(objectName="composeButton")
        self.undo_button = QPushButton(objectName="simpleUndoButton")
        self.cancel_button = QPushButton(objectName="lmCancelButton")
        row.addWidget(self.instrumental)
        row.addWidget(self.language, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.compose_button)
        buttons.addWidget(self.undo_button)
        buttons.addWidget(self.cancel_button)
        self.status = QLabel(objectName="hintText", wordWrap=True)
        layout.addWidget(self.title)
        layout.addWidget(self.idea)
        layout.addLayout(row)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        self.compose_button.clicked.connect(self.compose_requested)
        self.idea.returnPressed.connect(self.compose_requested)
        self.undo_button.clicked.connect(self.undo_requested)
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.undo_button.setEnabled(False)
        self.cancel_button.hide()
        self.status.hide()
        self.retranslate_ui()

    def set_languages(self, items: list[tuple[str, str]]) -> None:
        """(code, shown name) pairs; the first entry means "the LM chooses"."""
        self.language.clear()
        for code, name in items:
            self.language.addItem(name, code)

    def retranslate_ui(self) -> None:
        self.title.setText(self.tr("Simple mode"))
        self.idea.setPlaceholderText(self.tr("A one-line idea, e.g. “rainy-night city pop, female vocals”"))
        self.idea.setToolTip(self.tr("The LM writes the caption, lyrics, BPM, key and length from this idea. "
                                     "You review them; nothing is generated until you press Generate."))
        self.instrumental.setText(self.tr("Instrumental"))
        self.compose_button.setText(self.tr("Write it"))
        self.undo_button.setText(self.tr("Undo"))
        self.undo_button.setToolTip(self.tr("Put the form back as it was before the LM wrote into it."))
        self.cancel_button.setText(self.tr("Cancel"))


class FormatReview(QDialog):
    """Before / after of 다듬기; accept puts the after into the form."""

    def __init__(self, before: dict[str, Any], after: dict[str, Any], names: dict[str, str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("formatReview")
        self.setWindowTitle(self.tr("Polished caption and lyrics"))
        self.resize(760, 520)
        layout = QVBoxLayout(self)
        grid = QGridLayout()
        head_before, head_after = QLabel(self.tr("Before")), QLabel(self.tr("After"))
        head_before.setObjectName("fieldTitle")
        head_after.setObjectName("fieldTitle")
        grid.addWidget(head_before, 0, 0)
        grid.addWidget(head_after, 0, 1)
        self.before_view = QTextBrowser(objectName="formatBefore")
        self.after_view = QTextBrowser(objectName="formatAfter")
        self.before_view.setHtml(_diff_html(before, after, names, side="before"))
        self.after_view.setHtml(_diff_html(before, after, names, side="after"))
        grid.addWidget(self.before_view, 1, 0)
        grid.addWidget(self.after_view, 1, 1)
        layout.addLayout(grid, 1)
        buttons = QDialogButtonBox()
        self.accept_button = buttons.addButton(self.tr("Use the polished version"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.reject_button = buttons.addButton(self.tr("Keep mine"), QDialogButtonBox.ButtonRole.RejectRole)
        self.accept_button.setObjectName("formatAccept")
        self.reject_button.setObjectName("formatReject")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


def _shown(value: Any) -> str:
    return "" if value is None else str(value)


def _diff_html(before: dict[str, Any], after: dict[str, Any], names: dict[str, str], side: str) -> str:
    """One block per field; a changed field is highlighted (red before, green after)."""
    parts = []
    for key, name in names.items():
        if key not in after and key not in before:
            continue
        old, new = _shown(before.get(key)), _shown(after.get(key, before.get(key)))
        text = old if side == "before" else new
        changed = old != new
        colour = ("#d73a49" if side == "before" else "#22863a") if changed else "inherit"
        mark = (" − " if side == "before" else " + ") if changed else ""
        body = html.escape(text).replace("\n", "<br>") or "—"
        parts.append(f"<p><b>{html.escape(name)}{mark}</b><br><span style='color:{colour}'>{body}</span></p>")
    return "".join(parts)


class LMController(QObject):
    """Simple mode and format for one Generation tab (its form and worker)."""

    wrote = Signal(str)   # "compose" / "format" after the form took the LM's values
    review_opened = Signal(object)  # the FormatReview dialog (tests accept or reject it)

    def __init__(self, tab: Any) -> None:
        super().__init__(tab)
        self.tab = tab
        self.form = tab.form
        self.box: SimpleModeBox = self.form.simple_mode
        self.format_button: QPushButton = self.form.format_button
        self.max_tokens: int | None = None  # LM token cap per request (None: the LM's whole context)
        self.seed: int | None = None         # fixed LM seed (None: drawn per request)
        self._undo: list[dict[str, Any]] = []
        self._mode = ""
        self._format_before: dict[str, Any] = {}
        self.review: FormatReview | None = None
        self.box.compose_requested.connect(self.compose)
        self.box.undo_requested.connect(self.undo)
        self.box.cancel_requested.connect(self.cancel)
        self.format_button.clicked.connect(self.format)
        tab.worker.progress.connect(self._on_progress)
        tab.worker.succeeded.connect(self._on_succeeded)
        tab.worker.failed.connect(self._on_failed)
        tab.worker.cancelled.connect(self._on_cancelled)
        tab.worker.finished.connect(self._on_finished)
        self.retranslate_ui()
        self.refresh()

    # -- texts / state ---------------------------------------------------------------------------
    def retranslate_ui(self) -> None:
        self.box.retranslate_ui()
        combo = self.form.language_combo
        items = [("", self.tr("Language: the LM chooses"))]
        items += [(combo.itemData(i), combo.itemText(i)) for i in range(combo.count()) if combo.itemData(i) != "unknown"]
        current = self.box.language.currentData()
        self.box.set_languages(items)
        self.box.language.setCurrentIndex(max(0, self.box.language.findData(current)))
        self.format_button.setText(self.tr("Polish"))
        self.refresh()

    def lm_size(self) -> str | None:
        return models.preferred_lm(self.tab.models_root())

    def refresh(self) -> None:
        has_lm = self.lm_size() is not None
        busy = bool(self._mode)
        self.box.compose_button.setEnabled(has_lm and not busy)
        self.format_button.setEnabled(has_lm and not busy)
        self.box.cancel_button.setVisible(busy)
        self.box.undo_button.setEnabled(bool(self._undo) and not busy)
        tip = (self.tr("The LM rewrites your caption and lyrics into the form the model knows best; you see "
                       "before and after and choose.") if has_lm else
               self.tr("Needs a 5 Hz LM. Download one under Settings > Models…"))
        self.format_button.setToolTip(tip)
        if not has_lm:
            self.box.compose_button.setToolTip(tip)

    def _snapshot(self) -> dict[str, Any]:
        values = self.form.values(draw_seed=False)
        return {key: values.get(key) for key in LM_FIELDS}

    def _start(self, mode: str, args: dict[str, Any]) -> bool:
        size = self.lm_size()
        if size is None or self._mode or self.tab.worker.is_generating():
            return False
        self._mode = mode
        self.tab.worker.lm_write({**args, "mode": mode, "lm": size, "max_tokens": self.max_tokens, "seed": self.seed})
        self.box.status.setText(self.tr("Thinking…"))
        self.box.status.show()
        self.refresh()
        return True

    # -- actions ---------------------------------------------------------------------------------
    @Slot()
    def compose(self) -> bool:
        return self._start("compose", {"idea": self.box.idea.text().strip(), "instrumental": self.box.instrumental.isChecked(),
                                       "language": self.box.language.currentData() or None})

    @Slot()
    def format(self) -> bool:
        self._format_before = self._snapshot()
        v = self._format_before
        metas = {k: v.get(k) for k in ("bpm", "duration", "keyscale", "timesignature")}
        metas["language"] = v.get("language") if v.get("language") not in (None, "unknown") else None
        return self._start("format", {"caption": v.get("caption") or "", "lyrics": v.get("lyrics") or "",
                                      "metas": {k: x for k, x in metas.items() if x not in (None, "")}})

    @Slot(object)
    def copy_plan(self, take: Any) -> None:
        """The take card's link: BPM, key, time signature, language, length and caption the LM chose → form."""
        from mixgrv_app.core.lm.think import plan_form_values

        if take.lm_plan:
            self._undo.append(self._snapshot())
            self.form.set_values(plan_form_values(take.lm_plan))
            self.tab.show_message(self.tr("The LM's choices are in the form."))
            self.refresh()

    @Slot()
    def undo(self) -> None:
        if self._undo:
            self.form.set_values(self._undo.pop())
            self.box.status.setText(self.tr("The form is back as it was."))
        self.refresh()

    @Slot()
    def cancel(self) -> None:
        if self._mode:
            self.tab.worker.cancel()

    # -- worker events ---------------------------------------------------------------------------
    @Slot(object)
    def _on_progress(self, event: Progress) -> None:
        if not self._mode:
            return
        if event.stage == "load":
            self.box.status.setText(self.tr("Loading the LM…"))
        elif event.stage == "think":
            self.box.status.setText(self.tr("Thinking… %1 tokens · %2").replace("%1", str(int(event.done)))
                                    .replace("%2", event.message))

    @Slot(object)
    def _on_succeeded(self, payload: object) -> None:
        kind, result = payload  # type: ignore[misc]
        if kind != "lm" or not self._mode:
            return
        values = dict(result.get("values") or {})
        if self._mode == "compose":
            self._undo.append(self._snapshot())
            self.form.set_values(values)
            self.box.status.setText(self.tr("The LM filled the form. Review it, then press Generate (or Undo)."))
            self.wrote.emit("compose")
        else:
            self._open_review(self._format_before, values)

    def _names(self) -> dict[str, str]:
        return {"caption": self.tr("Caption"), "lyrics": self.tr("Lyrics"), "bpm": "BPM", "keyscale": self.tr("Key"),
                "timesignature": self.tr("Time signature"), "language": self.tr("Language"), "duration": self.tr("Length (s)")}

    def _open_review(self, before: dict[str, Any], after: dict[str, Any]) -> None:
        after = {k: v for k, v in after.items() if k in self._names()}
        self.review = FormatReview(before, after, self._names(), self.tab)
        self.box.status.setText(self.tr("Compare before and after, then choose."))

        def accepted() -> None:
            self._undo.append(self._snapshot())
            self.form.set_values(after)
            self.box.status.setText(self.tr("The polished caption and lyrics are in the form (Undo puts yours back)."))
            self.refresh()
            self.wrote.emit("format")

        self.review.accepted.connect(accepted)
        self.review.rejected.connect(lambda: self.box.status.setText(self.tr("Kept your caption and lyrics.")))
        self.review.setModal(True)
        self.review.show()
        self.review_opened.emit(self.review)

    @Slot(object)
    def _on_failed(self, exc: object) -> None:
        if self._mode and self.tab.worker.last_failed_kind == "lm":
            self.box.status.setText(text_for_error(exc))  # type: ignore[arg-type]
            self.box.status.show()

    @Slot()
    def _on_cancelled(self) -> None:
        if self._mode:
            self.box.status.setText(self.tr("Stopped. The form is unchanged."))

    @Slot(str)
    def _on_finished(self, kind: str) -> None:
        if kind == "lm":
            self._mode = ""
            self.refresh()


class LMSettingsBox(QFrame):
    """생각하기 (``thinkSwitch``, placed beside the variant by the form) and the LM settings under
    the advanced box. Defaults come from ``GenerationRequest``, ranges from ``core.lm.think``."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from PySide6.QtWidgets import QDoubleSpinBox, QFormLayout, QSpinBox

        from mixgrv_app.core.lm.planner import LM_SIZES
        from mixgrv_app.core.lm.think import SETTING_LIMITS
        from mixgrv_app.core.requests import GenerationRequest

        d = GenerationRequest()
        self.defaults = d
        self.setObjectName("lmSettingsBox")
        self.think_switch = QCheckBox(objectName="thinkSwitch")
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel(objectName="fieldTitle")
        form.addRow(self.title)
        self.size = QComboBox(objectName="lmSizeCombo")
        for size in LM_SIZES:
            self.size.addItem(size, size)

        def spin(name: str, value: float, step: float, decimals: int = 2) -> QDoubleSpinBox:
            box = QDoubleSpinBox(objectName=name)
            low, high = SETTING_LIMITS[name.replace("Spin", "")] if name.replace("Spin", "") in SETTING_LIMITS else (0, 1)
            box.setRange(low, high)
            box.setDecimals(decimals)
            box.setSingleStep(step)
            box.setValue(value)
            return box

        self.temperature = spin("lm_temperatureSpin", d.lm_temperature, 0.05)
        self.cfg = spin("lm_cfgSpin", d.lm_cfg, 0.5)
        self.top_p = spin("lm_top_pSpin", d.lm_top_p if d.lm_top_p is not None else 1.0, 0.05)
        self.top_k = QSpinBox(objectName="lm_top_kSpin")
        self.top_k.setRange(*(int(x) for x in SETTING_LIMITS["lm_top_k"]))
        self.top_k.setValue(int(d.lm_top_k or 0))
        self.negative = QLineEdit(objectName="lmNegativeEdit")
        self.negative.setMinimumWidth(80)
        self.negative.setText(d.lm_negative)
        self.codes_strength = spin("cover_strengthSpin", 1.0, 0.05)
        self.cot_caption = QCheckBox(objectName="lmCotCaption")
        self.cot_metas = QCheckBox(objectName="lmCotMetas")
        self.cot_language = QCheckBox(objectName="lmCotLanguage")
        self.cot_caption.setChecked(d.use_cot_caption)
        self.cot_metas.setChecked(d.use_cot_metas)
        self.cot_language.setChecked(d.use_cot_language)
        self.labels = [QLabel() for _ in range(7)]
        for label, widget in zip(self.labels, (self.size, self.temperature, self.cfg, self.top_p, self.top_k,
                                               self.negative, self.codes_strength), strict=True):
            form.addRow(label, widget)
        cot = QVBoxLayout()
        for box in (self.cot_caption, self.cot_metas, self.cot_language):
            cot.addWidget(box)
        form.addRow(cot)
        for signal in (self.think_switch.toggled, self.size.currentIndexChanged, self.temperature.valueChanged,
                       self.cfg.valueChanged, self.top_p.valueChanged, self.top_k.valueChanged, self.negative.textChanged,
                       self.codes_strength.valueChanged, self.cot_caption.toggled, self.cot_metas.toggled,
                       self.cot_language.toggled):
            signal.connect(self.changed)
        self.think_switch.toggled.connect(self._update_enabled)
        self.has_lm = False
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        self.think_switch.setText(self.tr("Think"))
        self.title.setText(self.tr("LM (thinking)"))
        texts = (
            (self.tr("LM size"), self.tr("Bigger LMs plan better and need more memory (0.6B: 3 GB, 1.7B: 8 GB, 4B: 12 GB).")),
            (self.tr("Temperature"), self.tr("How adventurous the LM's plan is; 0 always picks the likeliest choice.")),
            (self.tr("LM CFG"), self.tr("How strongly the audio codes follow your caption (1 = off).")),
            (self.tr("Top-p"), self.tr("Only the likeliest choices that add up to this share are considered (1 = off).")),
            (self.tr("Top-k"), self.tr("Only the k likeliest choices are considered (0 = off).")),
            (self.tr("Negative prompt"), self.tr("What the LM steers away from when it writes the audio codes.")),
            (self.tr("Codes strength"), self.tr("How much of the rendering follows the LM's audio codes (1 = all steps).")),
        )
        for label, (text, tip) in zip(self.labels, texts, strict=True):
            label.setText(text)
            label.setToolTip(tip)
        for widget, (_text, tip) in zip((self.size, self.temperature, self.cfg, self.top_p, self.top_k, self.negative,
                                        self.codes_strength), texts, strict=True):
            widget.setToolTip(tip)
        self.cot_caption.setText(self.tr("Use its caption"))
        self.cot_caption.setToolTip(self.tr("The caption the LM writes replaces yours for the rendering."))
        self.cot_metas.setText(self.tr("Use its BPM/key/time"))
        self.cot_metas.setToolTip(self.tr("The LM fills the BPM, key and time signature you left on auto."))
        self.cot_language.setText(self.tr("Use its language"))
        self.cot_language.setToolTip(self.tr("The vocal language the LM names is used when yours is not set."))
        self._update_enabled()

    def set_available(self, sizes: list[str], preferred: str | None) -> None:
        """Which LM sizes are installed; Think is on by default when one is, off and explained when none is."""
        had = self.has_lm
        self.has_lm = bool(sizes)
        for i in range(self.size.count()):
            item = self.size.model().item(i)
            item.setEnabled(self.size.itemData(i) in sizes)
        if preferred:
            self.size.setCurrentIndex(max(0, self.size.findData(preferred)))
        if self.has_lm and not had:
            self.think_switch.setChecked(True)
        if not self.has_lm:
            self.think_switch.setChecked(False)
        self.think_switch.setEnabled(self.has_lm)
        self._update_enabled()

    def _update_enabled(self) -> None:
        if self.has_lm:
            self.think_switch.setToolTip(self.tr("The 5 Hz LM plans the song first (BPM, key, caption, audio codes), "
                                                 "then the model renders it."))
        else:
            self.think_switch.setToolTip(self.tr("Thinking needs a 5 Hz LM. Download one under Settings > Models…"))
        on = self.think_switch.isChecked()
        for w in (self.size, self.temperature, self.cfg, self.top_p, self.top_k, self.negative, self.codes_strength,
                  self.cot_caption, self.cot_metas, self.cot_language):
            w.setEnabled(on)

    def values(self) -> dict[str, Any]:
        """The GenerationRequest fields of thinking (only when it is on; else think=False)."""
        if not self.think_switch.isChecked():
            return {"think": False}
        top_p = self.top_p.value()
        return {"think": True, "lm": self.size.currentData(), "lm_temperature": self.temperature.value(),
                "lm_cfg": self.cfg.value(), "lm_top_p": top_p if top_p < 1.0 else None,
                "lm_top_k": self.top_k.value() or None, "lm_negative": self.negative.text(),
                "use_cot_caption": self.cot_caption.isChecked(), "use_cot_metas": self.cot_metas.isChecked(),
                "use_cot_language": self.cot_language.isChecked(), "cover_strength": self.codes_strength.value()}

    def set_values(self, values: dict[str, Any]) -> None:
        if "think" in values and self.has_lm:
            self.think_switch.setChecked(bool(values["think"]))
        if values.get("lm"):
            self.size.setCurrentIndex(max(0, self.size.findData(values["lm"])))
        for key, box in (("lm_temperature", self.temperature), ("lm_cfg", self.cfg)):
            if values.get(key) is not None:
                box.setValue(float(values[key]))
        if "lm_top_p" in values:
            self.top_p.setValue(float(values["lm_top_p"]) if values["lm_top_p"] is not None else 1.0)
        if "lm_top_k" in values:
            self.top_k.setValue(int(values["lm_top_k"] or 0))
        if values.get("lm_negative") is not None:
            self.negative.setText(str(values["lm_negative"]))
        for key, box in (("use_cot_caption", self.cot_caption), ("use_cot_metas", self.cot_metas),
                         ("use_cot_language", self.cot_language)):
            if key in values:
                box.setChecked(bool(values[key]))
        if values.get("think") and values.get("cover_strength") is not None:
            self.codes_strength.setValue(float(values["cover_strength"]))


def plan_text(plan: dict[str, Any]) -> str:
    """The take card's line about the LM's plan."""
    from PySide6.QtCore import QCoreApplication

    m = dict(plan.get("metadata") or {})
    parts = []
    if m.get("bpm"):
        parts.append(f"{m['bpm']} BPM")
    if m.get("keyscale"):
        parts.append(str(m["keyscale"]))
    if m.get("timesignature"):
        parts.append(f"{str(m['timesignature']).split('/')[0]}/4")
    language = plan.get("language") or m.get("language")
    if language:
        parts.append(str(language))
    if m.get("duration"):
        parts.append(QCoreApplication.translate("LMPlan", "%1 s").replace("%1", str(m["duration"])))
    caption = str(plan.get("caption") or m.get("caption") or "").strip()
    head = QCoreApplication.translate("LMPlan", "LM plan") + ": " + " · ".join(parts)
    return head + (f"\n“{caption[:160]}”" if caption else "")
