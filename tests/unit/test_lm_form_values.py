"""What the LM writes into the Generation form (core.generation_service.lm_form_values) and what a
take's recorded plan copies back (core.lm.think.plan_form_values): only values the form can hold,
limits from core.requests."""

from __future__ import annotations

from mixgrv_app.core import requests
from mixgrv_app.core.generation_service import lm_form_values
from mixgrv_app.core.lm.think import plan_form_values


def test_values_inside_the_form_limits_are_kept_others_dropped():
    bpm = requests.REQUEST_FIELDS["bpm"]
    duration = requests.REQUEST_FIELDS["duration"]
    key = requests.KEY_NAMES[3]
    beats = requests.TIME_SIGNATURES[-1]
    good = lm_form_values({"caption": " city pop ", "lyrics": "[verse]\nla", "bpm": bpm.minimum, "duration": duration.maximum,
                           "keyscale": key, "timesignature": f"{beats}/4", "language": "ko"})
    assert good == {"caption": "city pop", "instrumental": False, "lyrics": "[verse]\nla", "bpm": int(bpm.minimum),
                    "duration": float(duration.maximum), "keyscale": key, "timesignature": beats, "language": "ko"}
    bad = lm_form_values({"bpm": bpm.maximum + 1, "duration": duration.minimum - 1, "keyscale": "H dorian",
                          "timesignature": "7/8", "language": "xx", "lyrics": "[Instrumental]"})
    assert bad == {"instrumental": True}


def test_a_plan_copies_its_choices_back():
    plan = {"metadata": {"bpm": 96, "keyscale": requests.KEY_NAMES[0], "timesignature": "4", "duration": 30,
                         "caption": "from the cot"},
            "caption": "the caption it wrote", "language": "en"}
    values = plan_form_values(plan)
    assert values == {"caption": "the caption it wrote", "bpm": 96, "keyscale": requests.KEY_NAMES[0],
                      "timesignature": "4", "duration": 30.0, "language": "en"}
