"""Distributed training through torchrun, on this machine's CPU with Gloo, in real processes.

(a) 2 ranks × batch 1 give the same LoRA weights and losses as 1 process × batch 2 (the
    data-order rule of core/training.py), here as two "machines" (two torchrun launches, one
    rank each, each with its own data folder), so (c) only rank 0's machine gets a run folder
    and the other's data folder is left exactly as it was;
(b) kill -9 of one rank mid-epoch: the job fails naming the step and the checkpoint, every
    checkpoint loads, a resume on one process says the data order changes, a resume on 2
    ranks completes and the adapter loads with PEFT;
    and a 2-rank run stopped and resumed on 2 ranks has the same losses as one that was not.
Tiny tensors on the parity DiT; every run is a few steps.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from mixgrv_app.core import checkpoints
from mixgrv_app.core.torch_model import loading
from mixgrv_app.core.fileio import read_json, write_json
from mixgrv_app.core.jobs import Log
from mixgrv_app.core.preprocess import MANIFEST, tensors_dir
from mixgrv_app.core.training import (ADAPTER, TrainingConfig, list_runs, prepare_decoder, read_metrics, run_dir,
                                      train)
from mixgrv_app.core.training_state import checkpoint_dirs, restore_checkpoint
from tests.support.training_data import write_tensor_dataset

torch.set_num_threads(1)
REPO = Path(__file__).resolve().parents[2]
FRAMES = [30, 22, 17]  # three clips of different lengths: padding and a short last global batch


@pytest.fixture()
def hidden(parity_checkpoints) -> int:
    return checkpoints.read_config(parity_checkpoints / "acestep-v15-turbo")["hidden_size"]


def _flags(models, dataset: str, **kw) -> list[str]:
    values = dict(epochs=2, rank=4, alpha=8, dropout=0.0, lr=1e-3, save_every=1, warmup=1, seed=3, device="cpu",
                  batch_size=1)
    values.update(kw)
    out = [dataset, "--models", str(models)] if dataset else ["--models", str(models)]
    for key, value in values.items():
        out += [f"--{key.replace('_', '-')}", str(value)]
    return out


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "MIXGRV_HOME": str(home), "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _snapshot(folder: Path) -> dict[str, tuple]:
    """Every file and folder under ``folder`` with size, modification time and bytes."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns, p.read_bytes() if p.is_file() else b"")
            for p in sorted(folder.rglob("*"))}


def _mixgrv(args: list[str], home: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mixgrv_app", "train", *args], cwd=REPO, env=_env(home),
                          capture_output=True, text=True, timeout=timeout)


def test_two_machines_batch_1_equal_one_process_batch_2_and_only_rank_0_writes(parity_checkpoints, hidden, tmp_path,
                                                                                _private_home):
    dataset = write_tensor_dataset("ddp-set", FRAMES, hidden, rows=10)
    # the second "machine": its own data folder with a copy of the prepared tensors
    other = tmp_path / "machine-1"
    src = tensors_dir(dataset)
    dst = other / "tensors" / dataset
    shutil.copytree(src, dst)
    manifest = read_json(dst / MANIFEST)
    manifest["samples"] = [str(dst / Path(p).name) for p in manifest["samples"]]
    write_json(dst / MANIFEST, manifest)
    before = _snapshot(other)

    port = _free_port()
    # turbo8: no condition dropout. A dropped condition makes the cross-attention q/k gradients
    # zero in theory, and Adam turns their rounding noise into whole steps (the same happens to one
    # process run with 1 vs 2 threads), so only the maths without it can be compared to 1e-6.
    flags = _flags(parity_checkpoints, dataset, name="two", batch_size=1, timesteps="turbo8")
    procs = [subprocess.Popen([sys.executable, "-m", "torch.distributed.run", "--nnodes=2", "--nproc_per_node=1",
                               f"--node_rank={node}", "--master_addr=127.0.0.1", f"--master_port={port}",
                               "-m", "mixgrv_app", "train", *flags],
                              cwd=REPO, env=_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for node, home in ((0, _private_home), (1, other))]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (_out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err[-3000:]
    assert "done:" in outs[0][0]
    assert "effective batch 2" in outs[0][1], outs[0][1][-2000:]  # the log line of rank 0

    one = train(TrainingConfig(dataset=dataset, models_dir=str(parity_checkpoints), name="one", epochs=2, rank=4,
                               alpha=8, dropout=0.0, learning_rate=1e-3, save_every=1, warmup_steps=1, seed=3,
                               device="cpu", batch_size=2, timesteps="turbo8"))
    assert one.global_step == 4  # 3 tracks, global batch 2: two steps per epoch, the second with one track
    a = load_file(str(run_dir("one") / "final" / ADAPTER / "adapter_model.safetensors"))
    b = load_file(str(run_dir("two") / "final" / ADAPTER / "adapter_model.safetensors"))
    assert set(a) == set(b)
    worst = max((a[k] - b[k]).abs().max().item() for k in a)
    moved = max(a[k].abs().max().item() for k in a if "lora_B" in k)
    print(f"2 ranks x batch 1 vs 1 rank x batch 2: worst LoRA weight difference {worst:.2e} (lora_B up to {moved:.2e})")
    assert moved > 1e-3 and worst <= 1e-6
    la = [r["loss"] for r in read_metrics(run_dir("one"))]
    lb = [r["loss"] for r in read_metrics(run_dir("two"))]
    assert len(la) == len(lb) == 4 and max(abs(x - y) for x, y in zip(la, lb, strict=True)) <= 1e-6

    info = read_json(run_dir("two") / "run.json")
    assert (info["world_size"], info["per_rank_batch"], info["effective_batch"], info["status"]) == (2, 1, 2, "done")
    assert read_json(run_dir("one") / "run.json")["world_size"] == 1
    # only rank 0 wrote: the other machine has no run folder and its data is untouched
    assert not (other / "runs").exists()
    assert _snapshot(other) == before


def _wait_for(predicate, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _rank_process(launcher: subprocess.Popen, rank: int):
    import psutil

    for child in psutil.Process(launcher.pid).children(recursive=True):
        try:
            if child.environ().get("RANK") == str(rank) and "mixgrv_app" in " ".join(child.cmdline()):
                return child
        except psutil.Error:
            continue
    return None


def _assert_loadable(folder: Path, models: Path) -> None:
    from peft import PeftModel

    fresh = loading.load_dit_model(models / "acestep-v15-turbo")
    PeftModel.from_pretrained(fresh.decoder, str(folder / ADAPTER))
    fresh = loading.load_dit_model(models / "acestep-v15-turbo")
    model = prepare_decoder(fresh.decoder, TrainingConfig(rank=4, alpha=8))
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad])
    state, rng = restore_checkpoint(folder, model, optimizer)
    assert state["global_step"] > 0 and state["world_size"] == 2
    assert {"generator", "torch", "torch.rank1"} <= set(rng)  # rank 1's dropout RNG travelled to rank 0


def test_kill_9_of_one_rank_names_step_and_checkpoint_and_resumes(parity_checkpoints, hidden, _private_home):
    dataset = write_tensor_dataset("kill-ddp", FRAMES, hidden, rows=10)
    launcher = subprocess.Popen([sys.executable, "-m", "mixgrv_app", "train", "--nproc", "2",
                                 *_flags(parity_checkpoints, dataset, name="killed", epochs=400, dropout=0.1)],
                                cwd=REPO, env=_env(_private_home), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
    run = run_dir("killed")
    try:
        # two steps per epoch: an odd step count means the ranks are inside an epoch
        _wait_for(lambda: (rows := read_metrics(run)) and rows[-1]["step"] >= 5 and rows[-1]["step"] % 2 == 1,
                  240, "training progress")
        victim = _rank_process(launcher, 1)
        assert victim is not None, "rank 1 not found"
        os.kill(victim.pid, signal.SIGKILL)
        out, err = launcher.communicate(timeout=120)
    finally:
        if launcher.poll() is None:
            launcher.kill()
    assert launcher.returncode == 2, err[-3000:]
    assert "stopped unexpectedly at step" in err and "Resume from checkpoint" in err, err[-3000:]
    runs = {r["name"]: r for r in list_runs()}
    assert runs["killed"]["crashed"] and runs["killed"]["resumable"]
    saved = checkpoint_dirs(run)
    assert saved and f"Resume from checkpoint {saved[-1].name}" in err
    assert not [p for p in (run / "checkpoints").iterdir() if p.name.startswith(".")], "leftovers not recovered"
    for folder in saved[-2:]:
        _assert_loadable(folder, parity_checkpoints)

    # a different world size is allowed: one process continues from the checkpoint's step and says so
    step = runs["killed"]["step"]
    events: list = []
    resumed = train(TrainingConfig(epochs=step // 2 + 2), events.append, resume="killed", stop_after_steps=step + 1)
    assert resumed.status == "stopped" and resumed.global_step == step + 1
    changed = [e for e in events if isinstance(e, Log) and e.code == "training.world_size_changed"]
    assert changed and changed[0].params == {"saved": 2, "now": 1, "step": step}

    # and back on 2 ranks to the end
    done = _mixgrv(["--nproc", "2", "--resume", "killed", "--models", str(parity_checkpoints),
                    "--epochs", str(step // 2 + 3)], _private_home)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "done:" in done.stdout
    steps = [int(r["step"]) for r in read_metrics(run)]
    assert steps == list(range(1, steps[-1] + 1)) and steps[-1] > step + 1, "metrics.csv lost or repeated rows"
    info = read_json(run / "run.json")
    assert (info["status"], info["world_size"]) == ("done", 2)
    from peft import PeftModel

    PeftModel.from_pretrained(loading.load_dit_model(parity_checkpoints / "acestep-v15-turbo").decoder,
                              str(run / "final" / ADAPTER))


def test_stop_and_resume_on_two_ranks_equals_uninterrupted(parity_checkpoints, hidden, _private_home):
    dataset = write_tensor_dataset("exact-ddp", FRAMES, hidden, rows=10)
    common = dict(epochs=3, dropout=0.1, timesteps="turbo8")
    jobs = [subprocess.Popen([sys.executable, "-m", "mixgrv_app", "train", "--nproc", "2", *extra,
                              *_flags(parity_checkpoints, dataset, name=name, **common)],
                             cwd=REPO, env=_env(_private_home), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for name, extra in (("straight", []), ("paused", ["--stop-after", "3"]))]  # side by side: two jobs
    (straight, _), (paused, paused_err) = [job.communicate(timeout=300) for job in jobs]
    assert [job.returncode for job in jobs] == [0, 0], paused_err[-3000:]
    assert "stopped at step 3" in paused and "--nproc 2" in paused
    resumed = _mixgrv(["--nproc", "2", "--resume", "paused", "--models", str(parity_checkpoints)], _private_home)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    a = read_metrics(run_dir("straight"))
    b = read_metrics(run_dir("paused"))
    assert len(a) == len(b) == 6
    assert [r["loss"] for r in a] == [r["loss"] for r in b]  # identical, not merely close
    fa = load_file(str(run_dir("straight") / "final" / ADAPTER / "adapter_model.safetensors"))
    fb = load_file(str(run_dir("paused") / "final" / ADAPTER / "adapter_model.safetensors"))
    assert all(torch.equal(fa[k], fb[k]) for k in fa)


def test_the_data_order_rule_and_its_limits():
    """Rank slices of each global micro-batch are exactly the single process's batch of B·W, a rank
    with nothing left in a short last batch gets an empty slice, and MPS refuses more than one process."""
    from mixgrv_app.core import distributed
    from mixgrv_app.core.errors import TrainingError
    from mixgrv_app.core.training import epoch_order, global_batches, rank_slice, steps_per_epoch

    order = epoch_order(7, seed=5, epoch=2)
    for batch, world in ((1, 2), (2, 2), (1, 3), (3, 1)):
        single = [order[i:i + batch * world] for i in range(0, 7, batch * world)]
        together = global_batches(order, batch, world)
        assert together == single
        for gb in together:
            assert [i for r in range(world) for i in rank_slice(gb, batch, r)] == gb
    assert len(rank_slice(global_batches(order, 2, 2)[-1], 2, 1)) == 1  # 7 = 4 + 3: rank 1 holds one of the last 3
    assert rank_slice(global_batches(order, 1, 2)[-1], 1, 1) == []  # 7 = 2+2+2+1: rank 1 joins with a stand-in
    assert steps_per_epoch(7, 1, 2, 2) == 2 and steps_per_epoch(7, 1, 1, 1) == 7
    with pytest.raises(TrainingError) as info:
        distributed.refuse_mps(2, "mps")
    assert info.value.code == "training.mps_single_process" and "--nproc" in info.value.message
    distributed.refuse_mps(1, "mps")
    distributed.refuse_mps(2, "cpu")
