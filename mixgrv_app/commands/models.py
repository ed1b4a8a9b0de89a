"""`mixgrv models`: list, download, verify and remove the ACE-Step model folders headless.

The catalogue and the folder states come from ``core.models``; download and verify run as
``core.model_download`` jobs in a child process (Ctrl+C stops at once; run it again to resume).
The models folder is ``--dir``, else the one chosen in the app's settings, else the app's own
(``paths.models_dir()``).
"""

from __future__ import annotations

import argparse
import json

HELP = "list, download, verify or remove the ACE-Step models"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="every model folder: installed / partial / missing, with sizes")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    download = sub.add_parser("download", help="download models (resumes a previous download)")
    download.add_argument("components", nargs="*", metavar="COMPONENT", help="folder names (see `mixgrv models list`)")
    download.add_argument("--essentials", action="store_true", help="turbo DiT + VAE + text encoder (the default)")
    download.add_argument("--lm", choices=("0.6B", "1.7B", "4B"), help="also the 5 Hz LM of this size")
    download.add_argument("--no-cache-reuse", action="store_true",
                          help="do not link models found in the Hugging Face cache; download them")
    download.add_argument("--quiet", action="store_true")
    verify = sub.add_parser("verify", help="check every downloaded file against the publisher's checksums")
    verify.add_argument("components", nargs="*", metavar="COMPONENT")
    verify.add_argument("--repair", action="store_true", help="download again what does not match")
    verify.add_argument("--quiet", action="store_true")
    remove = sub.add_parser("remove", help="delete a model folder (only the link when it is in the HF cache)")
    remove.add_argument("component", metavar="COMPONENT")
    for p in (listing, download, verify, remove):
        p.add_argument("--dir", metavar="DIR", help="models folder (default: the app's models folder)")


def _root(args: argparse.Namespace):
    """``--dir``, else the folder chosen in the app (설정 ▸ 모델…), else the app's own."""
    from pathlib import Path

    from mixgrv_app.core import models

    if args.dir:
        return Path(args.dir).expanduser()
    try:
        from mixgrv_app import settings as opts

        chosen = opts.Settings().get(opts.MODELS_ROOT)
    except Exception:  # noqa: BLE001 - an unreadable settings store must not stop the CLI
        chosen = ""
    return Path(chosen).expanduser() if chosen else models.default_root()


def _size(n: float) -> str:
    return f"{n / 1e9:.2f} GB" if n >= 1e8 else f"{n / 1e6:.1f} MB"


def _list(args: argparse.Namespace) -> int:
    from mixgrv_app.core import models

    root = _root(args)
    states = models.scan(root)
    rows = []
    for name, s in states.items():
        comp = s.component
        rows.append({"name": name, "kind": s.kind, "status": s.status, "verified": s.verified,
                     "size_bytes": s.size_bytes, "present_bytes": s.present_bytes,
                     "memory_gb": comp.memory_gb if comp else None, "essential": bool(comp and comp.essential),
                     "min_memory_gb": comp.min_memory_gb if comp else 0.0, "repo": comp.repo if comp else None,
                     "commit": s.commit, "linked_to": str(s.linked_to) if s.linked_to else None, "path": str(s.path)})
    summary = models.summary(root)
    if args.json:
        print(json.dumps({"root": str(root), "essentials_ready": summary.essentials_ready,
                          "suggested_lm": models.suggest_lm(), "components": rows}, ensure_ascii=False, indent=2))
        return 0
    print(f"models folder: {root}")
    for r in rows:
        flags = []
        if r["essential"]:
            flags.append("essential")
        if r["min_memory_gb"]:
            flags.append(f"needs >= {r['min_memory_gb']:.0f} GB memory")
        if r["status"] == models.INSTALLED:
            flags.append("verified" if r["verified"] else "not verified")
        if r["linked_to"]:
            flags.append(f"-> {r['linked_to']}")
        print(f"{r['status']:<9} {r['name']:<30} {_size(r['size_bytes']):>9}  "
              f"{(r['memory_gb'] or 0):>4.0f} GB mem  {', '.join(flags)}")
    lm = models.suggest_lm()
    print(summary.line())
    print(f"suggested LM for this machine: {lm or 'none (not enough memory)'}")
    return 0


def _names(args: argparse.Namespace) -> list[str]:
    from mixgrv_app.core import models

    names = list(args.components)
    if args.essentials or not names:
        names = list(models.ESSENTIALS) + [n for n in names if n not in models.ESSENTIALS]
    if args.lm:
        names.append(models.lm_component(args.lm).name)
    for name in names:
        models.component(name)
    return list(dict.fromkeys(names))


def _download(args: argparse.Namespace) -> int:
    from mixgrv_app.core import model_download

    root = _root(args)
    request = model_download.DownloadRequest(str(root), _names(args), reuse_hf_cache=not args.no_cache_reuse)
    progress = _DownloadProgress(quiet=args.quiet)
    try:
        result = _in_child(lambda cancel: model_download.download_in_child(request, progress, cancel))
    finally:
        progress.close()
    fetched = result.get("fetched_bytes", 0)
    print(f"ready in {root}: {', '.join(result['components'])} "
          f"({_size(fetched)} downloaded; reused from the HF cache: {', '.join(result['reused']) or 'none'}; "
          f"already there: {', '.join(result['skipped']) or 'none'})")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from mixgrv_app.core import model_download

    root = _root(args)
    progress = _DownloadProgress(quiet=args.quiet)
    try:
        result = _in_child(lambda cancel: model_download.verify_in_child(root, list(args.components) or None, progress,
                                                                         cancel, repair=args.repair))
    finally:
        progress.close()
    for name in result["ok"]:
        print(f"ok        {name}")
    for name in result["unverifiable"]:
        print(f"unchecked {name} (not downloaded by mixgrv and the model server did not answer)")
    for name, files in result.get("differs", {}).items():
        print(f"differs   {name}: {', '.join(files)} (your own files: left as they are)")
    for name, files in result["bad"].items():
        state = "repaired" if name in result["repaired"] else "BAD"
        print(f"{state:<9} {name}: {', '.join(files)}")
    unrepaired = [n for n in result["bad"] if n not in result["repaired"]]
    if unrepaired:
        print(f"deleted the damaged files; run `mixgrv models download {' '.join(unrepaired)}` to fetch them again")
    return 1 if unrepaired or result.get("differs") or result["unverifiable"] else 0


def _remove(args: argparse.Namespace) -> int:
    from mixgrv_app.core import model_download, models

    root = _root(args)
    state = models.component_state(root, args.component)
    if state.status == models.MISSING and not state.path.is_symlink():
        print(f"{args.component} is not in {root}")
        return 1
    model_download.remove(root, args.component)
    print(f"removed {state.path}" + (f" (the link only; {state.linked_to} is kept)" if state.linked_to else ""))
    return 0


def _in_child(call):
    """Run ``call(cancel)`` (a ``*_in_child`` job); Ctrl+C ends the child with this process."""
    from mixgrv_app.core.jobs import CancelToken

    return call(CancelToken())


class _DownloadProgress:
    """The terminal bar for the whole download (bytes as MB, speed), logs on their own line."""

    def __init__(self, quiet: bool = False) -> None:
        from mixgrv_app.commands.progress import TerminalProgress

        self.bar = TerminalProgress(quiet=quiet)
        self.speed = 0.0

    def __call__(self, event) -> None:
        from mixgrv_app.core.jobs import Metric, Progress

        if isinstance(event, Metric):
            self.speed = event.values.get("bytes_per_s", 0.0)
            return
        if isinstance(event, Progress):
            if event.stage == "file":
                return
            if event.total >= 1e5:  # bytes: show MB and speed
                message = f"{event.message} {self.speed / 1e6:.1f} MB/s" if event.stage == "download" else event.message
                event = Progress(event.stage, round(event.done / 1e6, 1), round(event.total / 1e6, 1), event.eta_s,
                                 f"MB {message}", event.overall)
        self.bar(event)

    def close(self) -> None:
        self.bar.close()


def run(args: argparse.Namespace) -> int:
    return {"list": _list, "download": _download, "verify": _verify, "remove": _remove}[args.action](args)
