"""Model download: our manager vs plain ``huggingface_hub.snapshot_download``, same files, same server.

A local Hub (tests/support/local_hub.py) serves the essentials' folders in the official layout,
filled with random data (``--mb`` in total, mostly the DiT weights, as in the real repo). Each
run is a fresh process pointed at the server with ``HF_ENDPOINT``:

* plain: ``snapshot_download(repo, local_dir=..., allow_patterns=<the essentials>, max_workers=W)``;
* ours: ``core.model_download.download_in_child`` (model_info with hashes, one pinned revision,
  sha256 of every LFS file hashed while it is written, manifest), ``workers=W``.

Runs alternate; the medians' ratio is printed (goal ≤ 1.1: verification must not double the
cost). Then an interrupted run: ours is killed (SIGKILL) at about half the bytes and run again;
the bytes the server sent the second time are compared with what was missing on disk (goal:
only the missing ones).

    .venv/bin/python bench/download.py [--mb 320] [--runs 3] [--workers 4]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
TARGET = 1.1

PLAIN = r"""
import sys, time
from huggingface_hub import snapshot_download
began = time.monotonic()
snapshot_download(sys.argv[1], local_dir=sys.argv[2], allow_patterns=sys.argv[4].split(","), max_workers=int(sys.argv[3]))
print(f"SECONDS {time.monotonic() - began:.3f}")
"""


def build_repo(folder: Path, total_mb: int) -> dict[str, Path]:
    """The essentials' files of the main repo with random weights (shares like the real ones)."""
    from mixgrv_app.core import models

    rng_bytes = os.urandom
    shares = {f"{models.TURBO}/model.safetensors": 0.70, f"{models.TURBO}/silence_latent.pt": 0.02,
              f"{models.VAE_FOLDER}/diffusion_pytorch_model.safetensors": 0.08,
              f"{models.TEXT_ENCODER_FOLDER}/model.safetensors": 0.20}
    small = {f"{models.TURBO}/config.json": b'{"model_type": "acestep"}',
             f"{models.VAE_FOLDER}/config.json": b'{"_class_name": "AutoencoderOobleck"}',
             f"{models.TEXT_ENCODER_FOLDER}/config.json": b'{"model_type": "qwen3"}',
             f"{models.TEXT_ENCODER_FOLDER}/tokenizer.json": b'{"version": "1.0"}' * 1000}
    files: dict[str, Path] = {}
    for path, share in shares.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        left = int(total_mb * share * 1024 * 1024)
        with open(target, "wb") as fh:
            while left > 0:
                n = min(left, 8 * 1024 * 1024)
                fh.write(rng_bytes(n))
                left -= n
        files[path] = target
    for path, data in small.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(data)
        files[path] = folder / path
    return files


def run_plain(hub_url: str, dest: Path, workers: int, patterns: list[str]) -> float:
    from mixgrv_app.core import models

    env = dict(os.environ, HF_ENDPOINT=hub_url, HF_HUB_DISABLE_PROGRESS_BARS="1")
    began = time.monotonic()
    subprocess.run([sys.executable, "-c", PLAIN, models.MAIN_REPO, str(dest), str(workers), ",".join(patterns)],
                   env=env, check=True, capture_output=True)
    return time.monotonic() - began


def run_ours(dest: Path, workers: int, events=None, on_start=None) -> tuple[float, dict]:
    from mixgrv_app.core import model_download as md

    began = time.monotonic()
    result = md.download_in_child(md.essentials_request(dest, workers=workers, reuse_hf_cache=False),
                                  events or (lambda e: None), on_start=on_start)
    return time.monotonic() - began, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=320, help="total size of the random files")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    from mixgrv_app.core import models
    from mixgrv_app.core.jobs import Progress
    from tests.support.local_hub import LocalHub, bytes_on_disk, component_files

    work = Path(tempfile.mkdtemp(prefix="bench-download-"))
    try:
        files = build_repo(work / "repo", args.mb)
        patterns = [p for name in models.ESSENTIALS for p in models.component(name).allow_patterns()]
        with LocalHub({models.MAIN_REPO: files}) as hub:
            os.environ["HF_ENDPOINT"] = hub.url
            os.environ["HF_HUB_CACHE"] = str(work / "hf-cache")  # nothing to reuse
            os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
            total = sum(f.size for f in component_files(hub, models.ESSENTIALS).values())
            plain, ours = [], []
            for i in range(args.runs):
                for name, runs in (("plain", plain), ("ours", ours)) if i % 2 == 0 else (("ours", ours), ("plain", plain)):
                    dest = work / f"{name}-{i}"
                    hub.reset_counts()
                    seconds = run_plain(hub.url, dest, args.workers, patterns) if name == "plain" else \
                        run_ours(dest, args.workers)[0]
                    assert hub.served == total, (name, hub.served, total)
                    runs.append(seconds)
                    shutil.rmtree(dest)
            ratio = statistics.median(ours) / statistics.median(plain)

            # interrupted: SIGKILL at about half the bytes, then run again
            dest = work / "interrupted"
            hub.reset_counts()
            hub.rate_bps = 40 * 1024 * 1024
            pids: list[int] = []
            killed: list[float] = []

            def kill_half(event):
                if isinstance(event, Progress) and event.stage == "download" and event.total \
                        and event.done >= 0.5 * event.total and not killed:
                    killed.append(event.done)
                    os.kill(pids[0], signal.SIGKILL)

            try:
                run_ours(dest, args.workers, kill_half, pids.append)
            except models.ModelError as exc:
                assert exc.code == "models.child_died", exc
            hub.rate_bps = None
            first = hub.served
            on_disk = bytes_on_disk(dest, component_files(hub, models.ESSENTIALS))
            hub.reset_counts()
            run_ours(dest, args.workers)
            second = hub.served
            missing = total - on_disk
    finally:
        shutil.rmtree(work, ignore_errors=True)

    mb = total / 1e6
    report = {"total_mb": round(mb, 1), "workers": args.workers, "runs": args.runs,
              "plain_s": [round(s, 3) for s in plain], "ours_s": [round(s, 3) for s in ours],
              "plain_mb_per_s": round(mb / statistics.median(plain), 1),
              "ours_mb_per_s": round(mb / statistics.median(ours), 1), "ratio": round(ratio, 3), "target": TARGET,
              "interrupted": {"served_before_kill_mb": round(first / 1e6, 1), "on_disk_after_kill_mb": round(on_disk / 1e6, 1),
                              "missing_mb": round(missing / 1e6, 1), "fetched_on_resume_mb": round(second / 1e6, 1),
                              "refetched_beyond_missing_bytes": second - missing}}
    print(json.dumps(report, indent=2))
    print(f"ours / plain snapshot_download = {ratio:.3f} (goal <= {TARGET}); after a kill at half: "
          f"{second / 1e6:.1f} MB fetched for {missing / 1e6:.1f} MB missing")
    return 0 if ratio <= TARGET and second - missing <= 0.01 * total else 1


if __name__ == "__main__":
    sys.exit(main())
