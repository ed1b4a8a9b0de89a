"""`mixgrv doctor`: what this machine offers mixgrv, without importing what it does not need.

torch and mlx are not imported here: their versions come from package metadata and device
availability from cheap probes in a child process only when asked (``--probe``).
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import importlib.util
import json
import platform
import subprocess
import sys

HELP = "Show Python, platform, torch/MLX versions, devices, the data root and the models found."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--models", help="model folder to check (default: the app's models folder)")
    parser.add_argument("--probe", action="store_true", help="import torch/mlx in a child process to test the devices")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def _version(dist: str) -> str | None:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return None


_PROBE = r"""
import json, sys
out = {}
try:
    import torch
    out["cuda"] = bool(torch.cuda.is_available())
    out["mps"] = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
except Exception as exc:
    out["torch_error"] = repr(exc)
try:
    import mlx.core as mx
    out["metal"] = bool(mx.metal.is_available())
except Exception as exc:
    out["mlx_error"] = repr(exc)
print(json.dumps(out))
"""


def collect(models: str | None, probe: bool) -> dict:
    from mixgrv_app import __version__, paths

    info: dict = {
        "mixgrv": __version__,
        "python": sys.version.split()[0],
        "platform": f"{platform.system()} {platform.release()} {platform.machine()}",
        "torch": _version("torch"),
        "mlx": _version("mlx"),
        "peft": _version("peft"),
        "pyside6": _version("PySide6-Essentials") or _version("PySide6"),
        "data_root": str(paths.data_root()),
        "devices": ["cpu"],
    }
    is_apple_silicon = sys.platform == "darwin" and platform.machine() == "arm64"
    if is_apple_silicon:
        info["devices"] += ["mps (if torch has it)", "metal (MLX)"]
    if probe:
        res = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=120)
        try:
            found = json.loads(res.stdout.strip().splitlines()[-1])
        except (IndexError, json.JSONDecodeError):
            found = {"probe_error": res.stderr.strip()[-300:]}
        info["probe"] = found
        devices = ["cpu"]
        devices += ["cuda"] if found.get("cuda") else []
        devices += ["mps"] if found.get("mps") else []
        devices += ["metal"] if found.get("metal") else []
        info["devices"] = devices
    root = models or str(paths.models_dir())
    info["models_root"] = root
    info["models"] = _find_models(root)
    return info


def _find_models(root: str) -> dict:
    if importlib.util.find_spec("mixgrv_app.core.checkpoints") is None:
        return {}
    from mixgrv_app.core import checkpoints

    try:
        return checkpoints.describe_root(root)
    except Exception as exc:  # doctor reports, it never fails on a bad folder
        return {"error": str(exc)}


def run(args: argparse.Namespace) -> int:
    info = collect(args.models, args.probe)
    if args.json:
        print(json.dumps(info, ensure_ascii=False, indent=2))
        return 0
    for key in ("mixgrv", "python", "platform", "torch", "mlx", "peft", "pyside6"):
        print(f"{key:>10}: {info[key] or 'not installed'}")
    print(f"{'devices':>10}: {', '.join(info['devices'])}")
    if "probe" in info:
        print(f"{'probe':>10}: {info['probe']}")
    print(f"{'data root':>10}: {info['data_root']}")
    print(f"{'models':>10}: {info['models_root']}")
    models = info["models"]
    if not models:
        print(f"{'':>10}  no model checkpoints found")
    for name, desc in models.items():
        print(f"{'':>10}  {name}: {desc}")
    return 0
