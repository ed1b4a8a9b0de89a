"""The adapter library in core/lora.py: the import-time check's coded errors, and imports that
copy a folder under a free, meaningful name (the user's own folder is never touched)."""

from __future__ import annotations

import json
import shutil

import pytest

from mixgrv_app import paths
from mixgrv_app.core.lora import (CONFIG_NAME, WEIGHTS_NAME, AdapterError, import_adapter_folder,
                                  read_adapter_folder, scan_library)


@pytest.fixture
def adapter(parity, tmp_path):
    folder = tmp_path / "mine"
    shutil.copytree(parity / "lora" / "adapter", folder)
    return folder


def _code(folder) -> str:
    with pytest.raises(AdapterError) as info:
        read_adapter_folder(folder)
    return info.value.code


def test_check_reads_the_header_only_and_names_each_problem(adapter, tmp_path):
    config = json.loads((adapter / CONFIG_NAME).read_text())
    summary = read_adapter_folder(adapter)
    assert summary["r"] == config["r"] and summary["alpha"] == config["lora_alpha"] and summary["tensors"] > 0

    assert _code(tmp_path / "nowhere") == "lora.not_found"
    weights = (adapter / WEIGHTS_NAME).read_bytes()
    (adapter / WEIGHTS_NAME).write_bytes(weights[: len(weights) // 2])
    assert _code(adapter) == "lora.corrupt"  # truncated: the header promises more data
    (adapter / WEIGHTS_NAME).unlink()
    assert _code(adapter) == "lora.missing_file"
    (adapter / WEIGHTS_NAME).write_bytes(weights)
    (adapter / CONFIG_NAME).write_text(json.dumps({**config, "peft_type": "IA3"}))
    assert _code(adapter) == "lora.unsupported"


def test_import_copies_under_the_run_name_and_shows_in_the_library(adapter, tmp_path):
    run_adapter = tmp_path / "내 첫 LoRA" / "final" / "adapter"
    shutil.copytree(adapter, run_adapter)
    first, _ = import_adapter_folder(run_adapter)
    second, _ = import_adapter_folder(run_adapter)
    assert (first.name, second.name) == ("내 첫 LoRA", "내 첫 LoRA 2")
    assert first.parent == second.parent == paths.loras_dir()
    assert (first / WEIGHTS_NAME).read_bytes() == (adapter / WEIGHTS_NAME).read_bytes()
    assert [(e.name, e.source) for e in scan_library()] == [("내 첫 LoRA", "imported"), ("내 첫 LoRA 2", "imported")]
    assert sorted(p.name for p in run_adapter.iterdir()) == sorted([CONFIG_NAME, WEIGHTS_NAME])  # source untouched
