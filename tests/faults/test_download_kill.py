"""Download faults: the download child is killed with SIGKILL mid-file (a crash, a force quit).

What must hold: the parent gets a clear "ended unexpectedly" failure, nothing half-written is
offered as a model (the folders say partial; the loaders' discovery skips them), and the next
download resumes: it fetches about what was missing, the files verify against the Hub's
hashes and the essentials are ready. Real client, real child, local Hub.
"""

from __future__ import annotations

import os
import signal

import pytest

from mixgrv_app.core import model_download as md
from mixgrv_app.core import models
from mixgrv_app.core.errors import CheckpointError
from mixgrv_app.core.child_jobs import ChildDied
from mixgrv_app.core.jobs import Progress
from tests.support.local_hub import (
    LocalHub,
    bytes_on_disk,
    component_files,
    official_repos,
    use_hub,
)


@pytest.fixture
def hub(parity, monkeypatch, tmp_path):
    with LocalHub(official_repos(parity / "checkpoints")) as server:
        yield use_hub(monkeypatch, server, tmp_path)


KILL_AT = 0.4  # of the bytes to fetch


def test_kill_9_of_the_download_child_then_resume(hub, tmp_path):
    root = tmp_path / "models"
    files = component_files(hub, models.ESSENTIALS)
    total = sum(f.size for f in files.values())
    hub.rate_bps = 1_500_000
    pids: list[int] = []
    killed: list[float] = []

    def kill_mid_way(event):
        if isinstance(event, Progress) and event.stage == md.STAGE_DOWNLOAD and event.total \
                and event.done >= KILL_AT * event.total and not killed:
            killed.append(event.done)
            os.kill(pids[0], signal.SIGKILL)

    with pytest.raises(models.ModelError) as info:
        md.download_in_child(md.essentials_request(root), kill_mid_way, on_start=pids.append)
    assert info.value.code == "models.child_died" and "signal 9" in info.value.message and killed
    assert isinstance(info.value.__cause__, ChildDied) and info.value.__cause__.returncode == -signal.SIGKILL

    on_disk = bytes_on_disk(root, files)
    assert 0 < on_disk < total
    states = {n: models.component_state(root, n) for n in models.ESSENTIALS}
    partial = {n for n, s in states.items() if s.status == models.PARTIAL}
    assert partial and not models.essentials_ready(root)
    for name in partial:
        assert models.read_manifest(root, name)["complete"] is False
    try:
        found = models.find_components(root)
        offered = {*found.dits, *(["vae"] if found.vae else []),
                   *([models.TEXT_ENCODER_FOLDER] if found.text_encoder else [])}
    except CheckpointError:
        offered = set()
    assert not offered & partial

    hub.rate_bps = None
    hub.reset_counts()
    result = md.download_in_child(md.essentials_request(root))
    assert abs(hub.served - (total - on_disk)) <= 0.01 * total, (hub.served, total - on_disk)
    assert result["fetched_bytes"] == hub.served
    assert models.essentials_ready(root)
    assert md.verify(root)["bad"] == {}
    assert not list((root / ".cache").rglob("*.incomplete"))
