"""translations/mixgrv_ko.ts covers every string in the code, finished, with intact placeholders.

The code's strings are found the way `make ts` finds them: pyside6-lupdate into a scratch .ts.
Every (context, source) it extracts must be in the committed .ts with a finished Korean
translation. ui/messages.py MESSAGES entries are checked too (an entry not wrapped in
QT_TRANSLATE_NOOP would be invisible to lupdate). Fix a failure with `make ts`, then translate
the entries marked unfinished (Qt Linguist, or by hand in the XML).
"""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication

from mixgrv_app import i18n

TS = i18n.TS_FILES["ko"]
PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}|%n|%\d")
HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")


def _messages(ts: Path) -> dict[tuple[str, str], ET.Element]:
    root = ET.parse(ts).getroot()
    found = {}
    for context in root.iter("context"):
        name = context.findtext("name")
        for message in context.iter("message"):
            found[(name, message.findtext("source"))] = message
    return found


def _translation_texts(message: ET.Element) -> list[str]:
    translation = message.find("translation")
    forms = translation.findall("numerusform")
    return [f.text or "" for f in forms] if forms else [translation.text or ""]


def _finished(message: ET.Element) -> bool:
    translation = message.find("translation")
    return translation.get("type") not in ("unfinished", "vanished", "obsolete") and all(
        t.strip() for t in _translation_texts(message)
    )


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> dict[tuple[str, str], ET.Element]:
    scratch = tmp_path_factory.mktemp("lupdate") / "scratch_ko.ts"
    done = subprocess.run(
        [i18n._tool("pyside6-lupdate"), *map(str, i18n.source_files()), "-locations", "none",
         "-source-language", "en", "-target-language", "ko", "-ts", str(scratch)],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return _messages(scratch)


@pytest.fixture(scope="module")
def committed() -> dict[tuple[str, str], ET.Element]:
    assert TS.is_file(), f"{TS} is missing: run `make ts`"
    return _messages(TS)


def test_lupdate_finds_the_app_strings(extracted):
    # guards the test itself: if extraction silently found nothing, every other check would pass
    assert ("MainWindow", "Training") in extracted
    assert len(extracted) > 30


def test_every_string_in_the_code_is_translated(extracted, committed):
    missing = [f"{ctx}: {src!r}" for ctx, src in extracted if (ctx, src) not in committed]
    unfinished = [f"{ctx}: {src!r}" for (ctx, src) in extracted if (ctx, src) in committed and not _finished(committed[(ctx, src)])]
    problems = []
    if missing:
        problems.append("not in translations/mixgrv_ko.ts (run `make ts`):\n  " + "\n  ".join(missing))
    if unfinished:
        problems.append("unfinished Korean translation:\n  " + "\n  ".join(unfinished))
    assert not problems, "\n".join(problems)


def test_every_message_code_is_translated(committed):
    from mixgrv_app.ui.messages import CONTEXT, MESSAGES

    problems = []
    for code, source in MESSAGES.items():
        message = committed.get((CONTEXT, source))
        if message is None:
            problems.append(f"{code}: not in the .ts (wrap it in QT_TRANSLATE_NOOP({CONTEXT!r}, ...) and run `make ts`)")
        elif not _finished(message):
            problems.append(f"{code}: Korean translation unfinished")
    assert not problems, "\n".join(problems)


def test_translations_keep_their_placeholders(committed):
    broken = []
    for (ctx, src), message in committed.items():
        if not _finished(message):
            continue
        want = sorted(set(PLACEHOLDER.findall(src)))
        for text in _translation_texts(message):
            if sorted(set(PLACEHOLDER.findall(text))) != want:
                broken.append(f"{ctx}: {src!r} -> {text!r}")
    assert not broken, "placeholders differ between source and translation:\n  " + "\n  ".join(broken)


def test_source_strings_are_english(extracted):
    # English is the fallback language: a Korean source string would show Korean in the English UI.
    korean = [f"{ctx}: {src!r}" for ctx, src in extracted if HANGUL.search(src)]
    assert not korean, "write source strings in English and put the Korean in the .ts:\n  " + "\n  ".join(korean)


def test_compiled_catalog_loads(qapp):
    i18n.build(quiet=True)
    try:
        assert i18n.install(qapp, "ko")
        assert QCoreApplication.translate("MainWindow", "Training") == "트레이닝"
        assert QCoreApplication.translate("MainWindow", "%n item(s) sent to the Training tab.", "", 3) == "항목 3개를 트레이닝 탭으로 보냈습니다."
    finally:
        i18n.install(qapp, "en")
    assert QCoreApplication.translate("MainWindow", "Training") == "Training"
