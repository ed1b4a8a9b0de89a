"""The forms show core's numbers: every limit, starting value and list of the Generation tab's
request form and the Training tab's settings equals the table in core (no second home in ui/)."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QWidget

from mixgrv_app import settings as opts
from mixgrv_app.core import prompts, requests
from mixgrv_app.core.training import TRAINING_FIELDS, TrainingConfig
from mixgrv_app.ui.request_form import RequestForm
from mixgrv_app.ui.training_controls import TrainingPanel


@pytest.fixture
def form(qtbot, parity_checkpoints):
    opts.reset_for_tests()
    widget = RequestForm(parity_checkpoints, opts.settings())
    qtbot.addWidget(widget)
    yield widget
    opts.reset_for_tests()


def test_request_form_limits_are_cores(form):
    editors = {"duration": form.duration_slider, "bpm": form.bpm_spin, "steps": form.steps_spin,
               "guidance": form.guidance_spin, "shift": form.shift_spin, "seed": form.seed_spin,
               "batch_size": form.batch_spin}
    assert set(editors) == set(requests.REQUEST_FIELDS)
    form.variant_combo.setCurrentIndex(form.variant_combo.findData("acestep-v15-base"))  # all steps offered
    for key, limits in requests.REQUEST_FIELDS.items():
        editor = editors[key]
        assert (editor.minimum(), editor.maximum()) == (limits.minimum, limits.maximum), key
        assert editor.singleStep() == limits.step, key
    fresh = RequestForm("", opts.settings())
    for key, limits in requests.REQUEST_FIELDS.items():
        if limits.default is not None:
            editor = {"duration": fresh.duration_slider, "bpm": fresh.bpm_spin, "seed": fresh.seed_spin,
                      "batch_size": fresh.batch_spin}[key]
            assert editor.value() == limits.default, key
    fresh.deleteLater()


@pytest.mark.parametrize("variant", ["acestep-v15-turbo", "acestep-v15-base"])
def test_variant_defaults_are_cores(form, variant):
    form.variant_combo.setCurrentIndex(form.variant_combo.findData(variant))
    defaults = requests.variant_defaults(variant)
    assert form.steps_spin.value() == defaults["steps"] and form.shift_spin.value() == defaults["shift"]
    assert form.steps_spin.maximum() == requests.max_steps(variant)
    assert form.guidance_spin.isEnabled() == requests.uses_guidance(variant)
    values = form.values(draw_seed=False)
    requests.GenerationRequest(**{**values, "caption": "x", "seed": int(form.seed_spin.maximum())}).validate()


def test_request_form_lists_are_cores(form):
    assert [form.key_combo.itemData(i) for i in range(1, form.key_combo.count())] == list(requests.KEY_NAMES)
    assert sorted(form.language_combo.itemData(i) for i in range(form.language_combo.count())) == sorted(prompts.LANGUAGES)
    assert [str(form.time_combo.itemData(i)) for i in range(1, form.time_combo.count())] == list(requests.TIME_SIGNATURES)


def test_training_panel_limits_are_cores(qtbot):
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    for key, limits in TRAINING_FIELDS.items():
        editor = panel.findChild(QWidget, f"{key}Edit")
        assert editor is not None, key
        if limits.kind == "choice":
            assert tuple(editor.itemData(i) for i in range(editor.count())) == limits.choices, key
            continue
        assert (editor.minimum(), editor.maximum(), editor.singleStep()) == (limits.minimum, limits.maximum, limits.step), key
    assert set(panel.settings()) - {"preset", "name"} == set(TRAINING_FIELDS)
    # the table's ends and choices are settings TrainingConfig accepts
    for end in ("minimum", "maximum"):
        TrainingConfig(**{k: (int if v.kind == "int" else float)(getattr(v, end))
                          for k, v in TRAINING_FIELDS.items() if v.kind != "choice"})
    for key, limits in TRAINING_FIELDS.items():
        for choice in limits.choices:
            TrainingConfig(**{key: choice})


def test_the_lm_may_choose_the_length_only_when_thinking(form):
    """"LM이 정함" beside the length: shown where core lets a take leave its length to the plan
    (thinking, text to music), and then the request has no length and still validates."""
    auto = form.duration_auto
    think = form.lm_settings.think_switch
    assert think.isEnabled()  # the set has an LM
    for on in (False, True):
        think.setChecked(on)
        assert auto.isVisibleTo(form) == requests.lm_may_choose_length(form.source.task(), on)
    think.setChecked(True)
    auto.setChecked(True)
    assert not form.duration_slider.isEnabled()
    planned = form.duration_value.text()
    form.retranslate_ui()  # a language switch keeps "by plan"
    assert form.duration_value.text() == planned
    values = form.values(draw_seed=False)
    assert values["duration"] is None and values["think"] is True
    requests.GenerationRequest(**{**values, "caption": "x"}).validate()
    think.setChecked(False)  # no thinking: the slider's length again, whatever the box says
    values = form.values(draw_seed=False)
    assert values["duration"] == float(form.duration_slider.value()) and form.duration_slider.isEnabled()
    assert form.duration_value.text() != planned  # the label shows the slider's length again, not "by plan"
    with pytest.raises(requests.RequestError) as err:
        requests.GenerationRequest(**{**values, "caption": "x", "duration": None}).validate()
    assert err.value.code == "request.duration_missing"
    think.setChecked(True)
    form.set_values({"duration": None, "think": True})  # a take that let the LM choose: reused as it was
    assert auto.isChecked() and form.values(draw_seed=False)["duration"] is None
