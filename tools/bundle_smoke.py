"""Smoke test of the frozen app: does the PyInstaller build of build_macos.spec run what the
development environment runs? `make bundle-smoke` (Linux) and `make app` (macOS) run it right
after the build, and .ci/run runs `make bundle-smoke` after the tests. It lives outside tests/
because it needs that build (minutes); pytest never collects it.

Every check compares the frozen binary with the venv (``python -m mixgrv_app`` on this
checkout) doing the same thing, and any difference, fallback or failure fails the run:

1. collection — every Python module of the packages build_macos.spec collects whole
   (its ``COLLECT_ALL``: mlx, huggingface_hub, jinja2, ...) is inside the frozen archive;
2. generate — one request of the parity set's cli_cases.json, same seed, through
   ``mixgrv generate`` on ``--backend torch`` and ``--backend mlx``: the sidecar names the
   backend asked for, with the same backend block (and no fallback note) as the venv, and the
   audio matches within the case's parity tolerance;
3. job service — ``mixgrv --job-service`` (the Generation tab's model process) renders a take of
   the same request on MLX, equal to the venv's ``generate --backend mlx``;
4. job children — ``mixgrv --job-child`` runs preprocessing (on a dataset the frozen
   ``mixgrv dataset`` made from a WAV and an AAC clip: libsndfile, FFmpeg and soxr inside
   the bundle) and one epoch of LoRA training (PEFT); tensors and losses equal the venv's;
5. window — the frozen app with no arguments (under Xvfb off macOS) stays up, starts its model
   process, and draws a window (screenshot saved beside the results).

    python tools/bundle_smoke.py [--frozen dist/mixgrv/mixgrv] [--parity DIR] [--out DIR]

The parity set is ``--parity``, else $MIXGRV_PARITY_DIR, else ../shared/parity/v1 beside the
checkout. Prints what it compared and the time of each step; exit code 1 on any failure.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CASE = "m_cli_turbo_en_metas"       # the cli_cases.json request used by checks 2 and 3
WINDOW_SECONDS = 8.0                # the window must stay up this long after its model process started
STEP_TIMEOUT_S = 300


class SmokeFailure(Exception):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SmokeFailure(message)


# ---- running the two builds ---------------------------------------------------------------------

class Build:
    """One way to run mixgrv: the venv on this checkout, or the frozen binary."""

    def __init__(self, name: str, command: list[str], home: Path) -> None:
        self.name, self.command, self.home = name, command, home
        home.mkdir(parents=True, exist_ok=True)

    def env(self) -> dict[str, str]:
        env = dict(os.environ, MIXGRV_HOME=str(self.home), PYTHONUNBUFFERED="1")
        env.pop("PYTHONPATH", None)
        if self.name == "venv":
            env["PYTHONPATH"] = str(ROOT)  # this checkout, not whatever the venv's editable install points at
        return env

    def run(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
        proc = subprocess.run([*self.command, *args], check=False, cwd=cwd, env=self.env(), capture_output=True, text=True,
                              timeout=STEP_TIMEOUT_S)
        check(proc.returncode == 0, f"{self.name}: mixgrv {' '.join(args[:2])} exited {proc.returncode}:\n"
                                    f"{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
        return proc

    def job(self, flag: str, target: str, first_line: dict, calls: list[dict] | None = None) -> list[dict]:
        """Talk core/jobs.py's line protocol to ``mixgrv FLAG TARGET``: the request (or the
        service's init) first, then one CALL per call; every outcome must be a RESULT."""
        proc = subprocess.Popen([*self.command, flag, target], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, encoding="utf-8", env=self.env())
        lines = [json.dumps(first_line)] + ["CALL " + json.dumps(c) for c in (calls or [])]
        try:
            out, err = proc.communicate("\n".join(lines) + "\n", timeout=STEP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            raise SmokeFailure(f"{self.name}: {flag} {target} did not finish in {STEP_TIMEOUT_S} s:\n{err[-4000:]}") from None
        outcomes = [line for line in out.splitlines() if line.startswith(("RESULT ", "ERROR ")) or line == "CANCELLED"]
        bad = [line for line in outcomes if not line.startswith("RESULT ")]
        check(proc.returncode == 0 and not bad and len(outcomes) == max(1, len(calls or [])),
              f"{self.name}: {flag} {target} exited {proc.returncode} with {bad or outcomes}:\n{err[-4000:]}")
        return [json.loads(line[len("RESULT "):]) for line in outcomes]


# ---- comparing ----------------------------------------------------------------------------------

def compare_audio(label: str, got: np.ndarray, want: np.ndarray, case: dict) -> dict[str, float]:
    """The parity case's own comparison (head, tail, float64 sums) between two [C, N] signals."""
    check(got.shape == want.shape, f"{label}: frozen audio {got.shape} != venv {want.shape}")
    n = got.shape[-1]
    head = min(48000, n)

    def derived(audio: np.ndarray) -> dict[str, np.ndarray]:
        return {"out.audio_head": audio[:, :head], "out.audio_tail": audio[:, n - head:],
                "out.audio_sum": audio.astype(np.float64).sum(axis=-1),
                "out.audio_sumsq": (audio.astype(np.float64) ** 2).sum(axis=-1)}

    a, b = derived(got), derived(want)
    errors = {key: float(np.max(np.abs(a[key] - b[key]))) for key in case["compare"]}
    errors["max_abs"] = float(np.max(np.abs(got.astype(np.float64) - want)))
    for key in case["compare"]:
        check(errors[key] <= case["atol"][key], f"{label}: {key} differs by {errors[key]:.3g} > atol {case['atol'][key]}")
    return errors


def read_audio(path: str | Path) -> np.ndarray:
    data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    check(rate == 48000, f"{path}: sample rate {rate}")
    return data.T


def check_backend(label: str, got: dict, want: dict, asked: str) -> None:
    check(got.get("name") == asked, f"{label}: asked for {asked}, ran {got}")
    check(not got.get("notes"), f"{label}: backend notes (a fallback?) {got.get('notes')}")
    check(got == want, f"{label}: backend {got} != venv {want}")


# ---- the checks ---------------------------------------------------------------------------------

def collect_all_packages() -> list[str]:
    """The package names of build_macos.spec's COLLECT_ALL (read, not imported: one list)."""
    tree = ast.parse((ROOT / "build_macos.spec").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "COLLECT_ALL" for t in node.targets):
            return list(ast.literal_eval(node.value))
    raise SmokeFailure("build_macos.spec has no COLLECT_ALL")


def check_collection(frozen: Path) -> str:
    import importlib.util

    from PyInstaller.archive.readers import CArchiveReader

    archive = set(CArchiveReader(str(frozen)).open_embedded_archive("PYZ.pyz").toc)
    internal = frozen.parent / "_internal" if (frozen.parent / "_internal").is_dir() else frozen.parent.parent / "Frameworks"
    missing: list[str] = []
    count = 0
    for package in collect_all_packages():
        spec = importlib.util.find_spec(package)
        check(spec is not None and spec.submodule_search_locations, f"{package} is not installed in the venv")
        base = Path(next(iter(spec.submodule_search_locations)))
        for path in base.rglob("*"):
            if "__pycache__" in path.parts or path.suffix not in (".py", ".so", ".pyd") or ".dylibs" in path.parts:
                continue
            count += 1
            rel = path.relative_to(base.parent)
            if path.suffix == ".py":
                module = ".".join(rel.with_suffix("").parts).removesuffix(".__init__")
                if module not in archive:
                    missing.append(module)
            elif not (internal / rel).exists():
                missing.append(str(rel))
    check(not missing, f"not in the frozen app: {', '.join(sorted(missing)[:20])}{' ...' if len(missing) > 20 else ''}")
    return f"{count} modules of {', '.join(collect_all_packages())} all inside"


def case_argv(parity: Path, out: Path) -> tuple[dict, list[str]]:
    case = next(c for c in json.loads((parity / "cli_cases.json").read_text(encoding="utf-8")) if c["case"] == CASE)
    argv = [str(parity / "checkpoints") if a == "CHECKPOINTS" else a for a in case["argv"]]
    argv[argv.index("--out") + 1] = str(out)
    return case, argv


def check_generate(venv: Build, frozen: Build, parity: Path, work: Path, backend: str) -> str:
    results = {}
    for build in (venv, frozen):
        out = work / f"generate-{backend}-{build.name}.wav"
        case, argv = case_argv(parity, out)
        started = time.monotonic()
        build.run("generate", "--quiet", *argv, "--backend", backend, cwd=parity)
        sidecar = json.loads(Path(str(out) + ".json").read_text(encoding="utf-8"))
        results[build.name] = (read_audio(out), sidecar, time.monotonic() - started)
    (want, want_side, t_venv), (got, got_side, t_frozen) = results["venv"], results["frozen"]
    check_backend(f"generate --backend {backend}", got_side["backend"], want_side["backend"], backend)
    check(got_side["seeds"] == want_side["seeds"], f"seeds {got_side['seeds']} != {want_side['seeds']}")
    errors = compare_audio(f"generate --backend {backend}", got, want, case)
    return f"{CASE} on {backend}: max |frozen - venv| {errors['max_abs']:.3g} (venv {t_venv:.0f} s, frozen {t_frozen:.0f} s)"


def generation_values(parity: Path) -> dict:
    """The case's request as the Generation tab's form values (what a render spec carries)."""
    from mixgrv_app.cli import build_parser
    from mixgrv_app.commands.generate import build_request

    _, argv = case_argv(parity, Path("unused.wav"))
    request = build_request(build_parser().parse_args(["generate", *argv])).validate()
    values = dataclasses.asdict(request)
    check(not values.pop("adapters"), f"{CASE} has adapters; the service check renders without")
    return values


def check_service(frozen: Build, parity: Path, work: Path) -> str:
    """The frozen model process renders the case on MLX; the reference is the venv's
    ``generate --backend mlx`` output of check 2 (same request and seed; the take is 24-bit FLAC)."""
    case, _ = case_argv(parity, Path("unused.wav"))
    reference = work / "generate-mlx-venv.wav"
    check(reference.is_file(), "no venv MLX output to compare with (generate mlx failed)")
    init = {"models_root": str(parity / "checkpoints"), "results_root": str(work / "takes-frozen"), "backend": "mlx"}
    warm, rendered = frozen.job("--job-service", "mixgrv_app.core.generation_service:create", init,
                                [{"method": "warm_up", "args": {}},
                                 {"method": "render_set", "args": {"specs": [{"values": generation_values(parity),
                                                                              "adapters": []}]}}])
    check(warm["framework"] == "mlx_model", f"the service warmed up {warm}")
    want_backend = json.loads(Path(str(reference) + ".json").read_text(encoding="utf-8"))["backend"]
    check_backend("--job-service render", rendered["backend"], want_backend, "mlx")
    errors = compare_audio("--job-service render", read_audio(rendered["takes"][0]["audio_path"]), read_audio(reference), case)
    return f"MLX take: max |frozen service - venv| {errors['max_abs']:.3g} (24-bit FLAC)"


def make_clips(folder: Path) -> list[Path]:
    """Two short clips: WAV (libsndfile) and AAC in m4a (FFmpeg through PyAV)."""
    import av

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(5)
    t = np.arange(int(0.6 * 44100)) / 44100
    tone = (0.3 * np.sin(2 * np.pi * 220 * t)[:, None] * np.ones((1, 2)) + 0.01 * rng.standard_normal((t.size, 2)))
    tone = tone.astype(np.float32)
    sf.write(str(folder / "tone.wav"), tone, 44100)
    with av.open(str(folder / "tone.m4a"), "w") as container:
        stream = container.add_stream("aac", rate=44100, layout="stereo")
        frame_size = 1024
        for start in range(0, tone.shape[0] - frame_size, frame_size):
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(tone[start:start + frame_size].T), format="fltp",
                                               layout="stereo")
            frame.sample_rate = 44100
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return sorted(folder.iterdir())


def check_job_children(venv: Build, frozen: Build, parity: Path, work: Path) -> str:
    from safetensors.numpy import load_file

    clips = make_clips(work / "clips")
    checkpoints = str(parity / "checkpoints")
    outcomes = {}
    # The frozen CLI makes the dataset (decoding each codec); the venv gets a copy, so both
    # preprocess the same tracks (the VAE noise is seeded by track id).
    frozen.run("dataset", "create", "smoke")
    frozen.run("dataset", "add", "smoke", *map(str, clips), "--quiet")
    frozen.run("dataset", "edit", "smoke", "1", "--caption", "a calm sine tone", "--bpm", "90")
    shutil.copytree(frozen.home / "datasets", venv.home / "datasets", dirs_exist_ok=True)
    for build in (venv, frozen):
        pre = build.job("--job-child", "mixgrv_app.core.preprocess:child_entry",
                        {"dataset": "smoke", "models_dir": checkpoints, "device": "cpu", "seed": 3})[0]
        check([t["status"] for t in pre["tracks"]] == ["done"] * len(clips), f"{build.name} preprocess: {pre['tracks']}")
        config = {"dataset": "smoke", "models_dir": checkpoints, "name": "smoke", "epochs": 1, "rank": 4, "alpha": 8,
                  "dropout": 0.0, "learning_rate": 1e-3, "save_every": 1, "warmup_steps": 1, "device": "cpu", "seed": 3}
        train = build.job("--job-child", "mixgrv_app.core.training:child_entry", {"config": config})[0]
        check(train["status"] == "done" and train["losses"], f"{build.name} training: {train}")
        outcomes[build.name] = (pre, train)
    (pre_v, train_v), (pre_f, train_f) = outcomes["venv"], outcomes["frozen"]
    worst = 0.0
    check(len(pre_v["tracks"]) == len(pre_f["tracks"]), "frozen and venv preprocessed different track counts")
    for tv, tf in zip(pre_v["tracks"], pre_f["tracks"], strict=True):
        check(tv["filename"] == tf["filename"] and tv["frames"] == tf["frames"], f"preprocess tracks {tv} != {tf}")
        a, b = load_file(tv["tensors"]), load_file(tf["tensors"])
        check(a.keys() == b.keys(), f"{tv['filename']}: tensor keys differ")
        for key in a:
            check(a[key].shape == b[key].shape and a[key].dtype == b[key].dtype, f"{tv['filename']} {key}: shape/dtype")
            worst = max(worst, float(np.max(np.abs(a[key].astype(np.float64) - b[key].astype(np.float64)), initial=0)))
    check(worst <= 1e-5, f"preprocessed tensors differ by {worst:.3g}")
    losses_v, losses_f = np.array(train_v["losses"]), np.array(train_f["losses"])
    check(losses_v.shape == losses_f.shape and np.allclose(losses_f, losses_v, rtol=1e-5, atol=1e-6),
          f"training losses frozen {losses_f} != venv {losses_v}")
    return (f"preprocess {len(clips)} tracks (max tensor diff {worst:.3g}); training {losses_f.size} steps, "
            f"losses {np.round(losses_f, 5).tolist()} equal")


def _start_xvfb() -> tuple[subprocess.Popen, str]:
    read_fd, write_fd = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1440x900x24", "-nolisten", "tcp"],
                            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    with os.fdopen(read_fd) as fh:
        number = fh.readline().strip()
    check(number.isdigit(), "Xvfb did not start (apt: xvfb)")
    return xvfb, f":{number}"


def _children(pid: int) -> list[list[str]]:
    import psutil

    try:
        return [child.cmdline() for child in psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return []


def check_window(frozen: Build, parity: Path, work: Path) -> str:
    settings = frozen.home / "settings.ini"
    # open on the Generation tab (it starts the model process once shown), models = the parity set
    settings.write_text(f"[models]\nroot={parity / 'checkpoints'}\n\n[generation]\nbackend=mlx\n\n[window]\nlast_tab=1\n",
                        encoding="utf-8")
    env = frozen.env()
    xvfb = None
    if sys.platform != "darwin":
        xvfb, env["DISPLAY"] = _start_xvfb()
        env["QT_QPA_PLATFORM"] = "xcb"
    log_path = work / "window.log"
    try:
        with open(log_path, "w", encoding="utf-8") as log:
            app = subprocess.Popen(frozen.command, env=env, stdout=log, stderr=subprocess.STDOUT)
            try:
                service = _watch_window(app, log_path)
                shot = _screenshot(env["DISPLAY"], work / "window.png") if xvfb is not None else ""
            finally:
                app.send_signal(signal.SIGTERM)
                try:
                    app.wait(20)
                except subprocess.TimeoutExpired:
                    app.kill()
                    app.wait()
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait()
    return f"window up {WINDOW_SECONDS:.0f} s with its model process ({' '.join(service[1:3])}){shot}"


def _watch_window(app: subprocess.Popen, log_path: Path) -> list[str]:
    """Wait for the window's model process, then check both stay up WINDOW_SECONDS."""
    deadline = time.monotonic() + 120
    service = None
    while time.monotonic() < deadline and app.poll() is None and service is None:
        service = next((c for c in _children(app.pid) if "--job-service" in c), None)
        time.sleep(0.2)
    check(app.poll() is None, f"the window process ended with {app.returncode}: {log_path.read_text()[-3000:]}")
    check(service is not None, "the window did not start its model process (--job-service) within 120 s")
    time.sleep(WINDOW_SECONDS)
    check(app.poll() is None, f"the window process ended with {app.returncode}: {log_path.read_text()[-3000:]}")
    check(any("--job-service" in c for c in _children(app.pid)), "the window's model process died")
    return service


def _screenshot(display: str, path: Path) -> str:
    """Grab the X screen from a separate Qt process; the window must have drawn something."""
    code = ("import sys; from PySide6.QtGui import QGuiApplication; app = QGuiApplication([]); "
            "img = app.primaryScreen().grabWindow(0).toImage(); img.save(sys.argv[1]); "
            "colors = {img.pixel(x, y) for x in range(0, img.width(), 7) for y in range(0, img.height(), 7)}; "
            "print(len(colors))")
    env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb")
    proc = subprocess.run([sys.executable, "-c", code, str(path)], check=False, env=env, capture_output=True, text=True, timeout=60)
    check(proc.returncode == 0, f"screenshot failed: {proc.stderr[-2000:]}")
    colors = int(proc.stdout.split()[-1])
    check(colors > 20, f"the screen shows {colors} colours: no window drawn ({path})")
    return f"; screenshot {path} ({colors} colours)"


# ---- main ---------------------------------------------------------------------------------------

def default_parity() -> Path:
    env = os.environ.get("MIXGRV_PARITY_DIR")
    return Path(env) if env else ROOT.parent / "shared" / "parity" / "v1"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frozen", default=str(ROOT / "dist" / "mixgrv" / "mixgrv"), help="the frozen mixgrv binary")
    parser.add_argument("--parity", default=str(default_parity()), help="parity set (its checkpoints/ and cli_cases.json)")
    parser.add_argument("--out", default=str(ROOT / "build" / "bundle-smoke"), help="results and screenshot go here")
    args = parser.parse_args(argv)

    frozen_path, parity, out = Path(args.frozen).resolve(), Path(args.parity).resolve(), Path(args.out).resolve()
    if not frozen_path.is_file():
        print(f"bundle smoke: no frozen binary at {frozen_path}; build it first (make bundle-smoke)", file=sys.stderr)
        return 1
    if not (parity / "cli_cases.json").is_file():
        print(f"bundle smoke: no parity set at {parity} (set MIXGRV_PARITY_DIR)", file=sys.stderr)
        return 1
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    work = Path(tempfile.mkdtemp(prefix="mixgrv-smoke-", dir=out))
    venv = Build("venv", [sys.executable, "-m", "mixgrv_app"], work / "home-venv")
    frozen = Build("frozen", [str(frozen_path)], work / "home-frozen")

    steps = [
        ("collection", lambda: check_collection(frozen_path)),
        ("generate torch", lambda: check_generate(venv, frozen, parity, work, "torch")),
        ("generate mlx", lambda: check_generate(venv, frozen, parity, work, "mlx")),
        ("job service", lambda: check_service(frozen, parity, work)),
        ("job children", lambda: check_job_children(venv, frozen, parity, work)),
        ("window", lambda: check_window(frozen, parity, work)),
    ]
    failed = 0
    started_all = time.monotonic()
    for name, step in steps:
        started = time.monotonic()
        try:
            detail = step()
        except (SmokeFailure, subprocess.TimeoutExpired) as exc:
            failed += 1
            print(f"FAIL {name} ({time.monotonic() - started:.0f} s): {exc}", flush=True)
        else:
            print(f"ok   {name} ({time.monotonic() - started:.0f} s): {detail}", flush=True)
    verdict = "FAILED" if failed else "passed"
    print(f"bundle smoke {verdict}: {len(steps) - failed}/{len(steps)} checks in {time.monotonic() - started_all:.0f} s "
          f"({frozen_path}; results in {work})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
