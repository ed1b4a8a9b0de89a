"""`mixgrv dataset ...`: create, fill, inspect, label, rename and delete training datasets.

The same core functions the Training tab calls (core/dataset.py); `add` runs the import job with
a terminal progress bar and prints what was imported and what was skipped (and why). `pack` and
`unpack` carry a prepared dataset to another machine as one checked tar file (core/dataset_bundle.py).
"""

from __future__ import annotations

import argparse
import json
import sys

HELP = "Create and manage training datasets (songs + labels)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    p = sub.add_parser("create", help="create an empty dataset")
    p.add_argument("name")
    p.add_argument("--custom-tag", default="", help="tag added to every caption (e.g. a trigger word)")
    p.add_argument("--tag-position", choices=("prepend", "append", "replace"), default="prepend")
    p.add_argument("--genre-ratio", type=int, default=0, help="percent of tracks trained on their genre instead of caption")

    p = sub.add_parser("add", help="copy audio files/folders into a dataset (originals are not changed)")
    p.add_argument("name")
    p.add_argument("paths", nargs="+", metavar="PATH", help="audio files, folders (searched recursively) or label CSVs")
    p.add_argument("--json", action="store_true", help="machine-readable report on stdout")
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser("show", help="list the tracks, labels and warnings of a dataset")
    p.add_argument("name")
    p.add_argument("--json", action="store_true")

    sub.add_parser("list", help="list datasets").add_argument("--json", action="store_true")

    p = sub.add_parser("edit", help="edit one track's labels (TRACK = id, file name or number)")
    p.add_argument("name")
    p.add_argument("track")
    p.add_argument("--caption")
    p.add_argument("--genre")
    p.add_argument("--lyrics", help="lyrics text, or @FILE to read them from a file")
    p.add_argument("--bpm")
    p.add_argument("--key", dest="keyscale")
    p.add_argument("--time-signature", dest="timesignature")
    p.add_argument("--language")
    p.add_argument("--instrumental", dest="is_instrumental", choices=("true", "false"))
    p.add_argument("--custom-tag")
    p.add_argument("--tag-mode", choices=("prepend", "append", "replace"), default="replace",
                   help="how --custom-tag combines with the track's current tag")
    p.add_argument("--tag-position", choices=("prepend", "append", "replace", ""),
                   help="where this track's tag goes in the caption ('' = the dataset's setting)")
    p.add_argument("--prompt-override", choices=("caption", "genre", "none"))
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("label", help="fill the labels with the 5 Hz LM (core/autolabel.py); typed labels are kept")
    p.add_argument("name")
    p.add_argument("--only-unlabeled", action="store_true", help="label only the songs without labels")
    p.add_argument("--overwrite", action="store_true", help="replace labels you typed, too")
    p.add_argument("--lm", default="0.6B", choices=("0.6B", "1.7B", "4B"), help="LM size (folder acestep-5Hz-lm-SIZE)")
    p.add_argument("--models", help="model folder (ACE-Step checkpoints/); default: the app's models folder")
    p.add_argument("--max-tokens", type=int, metavar="N", help="stop the LM after N tokens per song")
    p.add_argument("--json", action="store_true", help="machine-readable report on stdout")

    p = sub.add_parser("set", help="change dataset settings")
    p.add_argument("name")
    p.add_argument("--custom-tag")
    p.add_argument("--tag-position", choices=("prepend", "append", "replace"))
    p.add_argument("--genre-ratio", type=int)

    p = sub.add_parser("remove", help="remove a track (its managed copy only)")
    p.add_argument("name")
    p.add_argument("track")

    p = sub.add_parser("rename", help="rename a dataset")
    p.add_argument("name")
    p.add_argument("new_name")

    p = sub.add_parser("delete", help="delete a dataset, its managed copies and its tensors")
    p.add_argument("name")

    p = sub.add_parser("export", help="write upstream ACE-Step's dataset JSON")
    p.add_argument("name")
    p.add_argument("out")

    p = sub.add_parser("pack", help="write a prepared dataset (labels + tensors, hashed) to one tar file")
    p.add_argument("name")
    p.add_argument("out", help="the .tar file to write (must not exist)")
    p.add_argument("--with-audio", action="store_true", help="also carry the dataset's audio copies")

    p = sub.add_parser("unpack", help="check and add a dataset from a tar file made by 'pack'")
    p.add_argument("file")
    p.add_argument("--name", help="dataset name to use (default: the packed name)")

    p = sub.add_parser("import-json", help="create a dataset from upstream ACE-Step's dataset JSON")
    p.add_argument("json_path")
    p.add_argument("--name")
    p.add_argument("--json", action="store_true")
    p.add_argument("--quiet", action="store_true")


def _print_import(result, as_json: bool) -> int:
    if as_json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        for item in result.imported:
            warn = f"  ({', '.join(w['code'] for w in item.warnings)})" if item.warnings else ""
            print(f"imported  {item.filename}  {item.duration:.2f} s{warn}")
        for item in result.skipped:
            print(f"skipped   {item.source}: {item.message} [{item.code}]")
        if result.ignored:
            print(f"ignored   {len(result.ignored)} non-audio file(s)")
        print(f"{len(result.imported)} imported, {len(result.skipped)} skipped"
              + (" (cancelled)" if result.cancelled else ""))
    return 0 if not result.skipped else 1


def _label(args: argparse.Namespace, progress) -> int:
    from mixgrv_app import paths
    from mixgrv_app.core import autolabel

    request = autolabel.AutoLabelRequest(args.name, args.models or str(paths.models_dir()), only_unlabeled=args.only_unlabeled,
                                         overwrite=args.overwrite, lm=args.lm, max_tokens=args.max_tokens)
    try:
        result = autolabel.run(request, progress)
    finally:
        progress.close()
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        for item in result.labelled:
            print(f"labelled  {item['filename']}: {', '.join(item['fields']) or 'nothing new'}")
        for item in result.failed:
            print(f"failed    {item['filename']}: {item['message']} [{item['code']}]")
        print(f"{len(result.labelled)} labelled, {len(result.skipped)} already labelled, {len(result.failed)} failed")
    return 0 if not result.failed else 1


def _fmt_duration(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    return f"{m}:{s:02d}"


def run(args: argparse.Namespace) -> int:
    from mixgrv_app.core import dataset as core
    from mixgrv_app.core import dataset_import, dataset_labels
    from mixgrv_app.core.jobs import CancelToken

    from mixgrv_app.commands.progress import TerminalProgress

    if args.action == "create":
        ds = core.create_dataset(args.name, custom_tag=args.custom_tag, tag_position=args.tag_position,
                                 genre_ratio=args.genre_ratio)
        print(f"created dataset '{ds.name}' at {ds.root}")
        return 0
    if args.action == "list":
        names = core.list_datasets()
        if args.json:
            print(json.dumps([core.open_dataset(n).summary() for n in names], ensure_ascii=False, indent=2))
        else:
            for n in names:
                s = core.open_dataset(n).summary()
                print(f"{n}\t{s['tracks']} tracks\t{_fmt_duration(s['total_seconds'])}\t{s['labeled']} labeled")
        return 0
    if args.action in ("add", "import-json"):
        progress = TerminalProgress(quiet=args.quiet or args.json)
        cancel = CancelToken()
        try:
            if args.action == "add":
                result = dataset_import.run_import(dataset_import.ImportRequest(args.name, list(args.paths)), progress, cancel)
            else:
                result = dataset_import.run_import_upstream(dataset_import.UpstreamImportRequest(args.json_path, args.name), progress, cancel)
        except dataset_import.ImportCancelled as exc:
            result = exc.result
        finally:
            progress.close()
        return _print_import(result, args.json)
    if args.action == "show":
        ds = core.open_dataset(args.name)
        if args.json:
            print(json.dumps(ds.to_dict(), ensure_ascii=False, indent=2))
            return 0
        s = ds.summary()
        m = ds.meta
        print(f"{ds.name}: {s['tracks']} tracks, {_fmt_duration(s['total_seconds'])}, {s['labeled']} labeled; "
              f"custom tag '{m.custom_tag}' ({m.tag_position}), genre ratio {m.genre_ratio}%")
        for i, t in enumerate(ds.tracks, 1):
            a = t.analysis
            lufs = a.get("loudness_lufs")
            lufs_s = f"{lufs:.1f} LUFS" if isinstance(lufs, (int, float)) else "silent"
            print(f"{i:3d} {t.id} {t.filename}  {_fmt_duration(a.get('duration', t.duration))}  "
                  f"{a.get('sample_rate', '?')} Hz {a.get('channels', '?')} ch {a.get('codec', '')}  {lufs_s}")
            label = t.caption or "(no caption)"
            extras = [x for x in (f"{t.bpm} bpm" if t.bpm else "", t.keyscale, t.timesignature,
                                  t.language if t.language != "unknown" else "",
                                  "instrumental" if t.is_instrumental else "vocal") if x]
            print(f"      {label}  [{', '.join(extras)}]")
            for w in t.warnings:
                print(f"      {w['severity']}: {w['code']} {w.get('params', {})}")
        return 0
    if args.action == "edit":
        ds = core.open_dataset(args.name)
        changes = {}
        for key in ("caption", "genre", "lyrics", "bpm", "keyscale", "timesignature", "language", "is_instrumental",
                    "custom_tag", "tag_position", "prompt_override"):
            value = getattr(args, key, None)
            if value is not None:
                if key == "lyrics" and value.startswith("@"):
                    from pathlib import Path

                    value = dataset_labels.read_text_file(Path(value[1:]))
                changes[key] = value
        if not changes:
            print("nothing to change: give at least one of --caption --genre --lyrics --bpm --key ...", file=sys.stderr)
            return 1
        track = dataset_labels.edit_track(ds, args.track, tag_mode=args.tag_mode, **changes)
        if args.json:
            print(json.dumps(track.to_dict(), ensure_ascii=False, indent=2))
        else:
            print(f"updated {track.filename}: " + ", ".join(f"{k}={getattr(track, k)!r}" for k in changes))
        return 0
    if args.action == "label":
        return _label(args, TerminalProgress(quiet=args.json))
    if args.action == "set":
        changes = {k: v for k, v in (("custom_tag", args.custom_tag), ("tag_position", args.tag_position),
                                     ("genre_ratio", args.genre_ratio)) if v is not None}
        ds = core.set_metadata(args.name, **changes)
        print(f"updated '{ds.name}': custom tag '{ds.meta.custom_tag}' ({ds.meta.tag_position}), "
              f"genre ratio {ds.meta.genre_ratio}%")
        return 0
    if args.action == "remove":
        ds = core.open_dataset(args.name)
        track = core.remove_track(ds, args.track)
        print(f"removed {track.filename} from '{ds.name}' (the original {track.source_path} is untouched)")
        return 0
    if args.action == "rename":
        ds = core.rename_dataset(args.name, args.new_name)
        print(f"renamed to '{ds.name}'")
        return 0
    if args.action == "delete":
        core.delete_dataset(args.name)
        print(f"deleted dataset '{args.name}'")
        return 0
    if args.action == "pack":
        from mixgrv_app.core.dataset_bundle import pack

        out = pack(args.name, args.out, with_audio=args.with_audio)
        print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
        return 0
    if args.action == "unpack":
        from mixgrv_app.core.dataset_bundle import unpack

        name = unpack(args.file, args.name)
        print(f"unpacked dataset '{name}' ({len(core.open_dataset(name).tracks)} tracks, checked)")
        return 0
    if args.action == "export":
        out = dataset_import.export_upstream_json(args.name, args.out)
        print(f"wrote {out}")
        return 0
    raise AssertionError(args.action)
