"""`mixgrv generate`: text to music from the command line, with a terminal progress bar.

The same Generator the Generation tab uses (core/pipeline.py). Everything that can be checked
without the models (request values, output name and bit depth, adapter folders) is checked
first; files are written only after the whole batch rendered, each atomically, and a failure
while writing removes the files already written — a failed run leaves no output behind.
Batch > 1 writes ``name-1.ext``, ``name-2.ext``, …; the sidecar is ``PATH.json``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mixgrv_app.core.models import TURBO

HELP = "Generate music from a caption (and lyrics) with ACE-Step 1.5."

FORMATS = {".wav": ("16", "24", "32f"), ".flac": ("16", "24"), ".mp3": ("16", "24", "32f")}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--models", required=True, metavar="DIR", help="folder with the ACE-Step checkpoints (acestep-v15-turbo/, vae/, Qwen3-Embedding-0.6B/)")
    parser.add_argument("--variant", default=TURBO, help=f"DiT folder name ({TURBO}, acestep-v15-base, acestep-v15-sft, ...; see `mixgrv models list`)")
    parser.add_argument("--caption", required=True, help="the music you want: genre, instruments, mood, voice")
    lyrics = parser.add_mutually_exclusive_group()
    lyrics.add_argument("--lyrics", help="lyrics with structure tags like [verse], [chorus]")
    lyrics.add_argument("--lyrics-file", metavar="F", help="read the lyrics from a UTF-8 text file")
    parser.add_argument("--instrumental", action="store_true", help="no vocals (lyrics become [Instrumental])")
    parser.add_argument("--language", default="unknown", help="lyrics language code (en, ko, ja, ... or unknown)")
    parser.add_argument("--bpm", type=int, help="tempo in beats per minute")
    parser.add_argument("--key", dest="keyscale", help='key and scale, e.g. "C major"')
    parser.add_argument("--time-signature", dest="timesignature", help="beats per bar: 2, 3, 4 or 6")
    parser.add_argument("--duration", type=float, required=True, metavar="SEC", help="length in seconds (10-600)")
    parser.add_argument("--steps", type=int, help="diffusion steps (base/sft; turbo always uses 8)")
    parser.add_argument("--guidance", type=float, help="guidance scale (base/sft; turbo ignores it)")
    parser.add_argument("--shift", type=float, help="timestep shift (turbo: 1, 2 or 3)")
    parser.add_argument("--seed", type=int, help="seed of item 1 (item i uses seed+i-1); drawn and printed when missing")
    parser.add_argument("--batch", type=int, default=1, metavar="N", help="number of songs (1-8)")
    parser.add_argument("--reference-audio", metavar="F", help="audio file whose timbre to follow")
    parser.add_argument("--lora", action="append", default=[], metavar="DIR[:SCALE]", help="LoRA adapter folder, scale 0-1 (repeatable)")
    parser.add_argument("--backend", choices=("auto", "torch", "mlx"), default="auto", help="model framework (auto: MLX on Apple Silicon, else torch)")
    parser.add_argument("--device", choices=("auto", "cpu", "mps", "cuda"), default="auto", help="torch device")
    parser.add_argument("--bit-depth", choices=("16", "24", "32f"), default="16", help="WAV 16/24/32f, FLAC 16/24")
    parser.add_argument("--out", required=True, metavar="PATH", help="output file (.wav, .flac or .mp3)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def output_paths(out: Path, batch: int) -> list[Path]:
    """``x.wav`` for one song, ``x-1.wav`` … ``x-N.wav`` for a batch."""
    if batch == 1:
        return [out]
    return [out.with_name(f"{out.stem}-{i + 1}{out.suffix}") for i in range(batch)]


def build_request(args: argparse.Namespace):
    from mixgrv_app.core.errors import RequestError
    from mixgrv_app.core.requests import AdapterSpec, GenerationRequest

    lyrics = args.lyrics or ""
    if args.lyrics_file:
        try:
            lyrics = Path(args.lyrics_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise RequestError("request.file_not_found", f"The lyrics file {args.lyrics_file} cannot be read ({exc}). Check the path and try again.",
                               field="lyrics_file", path=str(args.lyrics_file)) from exc
    return GenerationRequest(
        caption=args.caption, lyrics=lyrics, instrumental=args.instrumental, language=args.language,
        bpm=args.bpm, keyscale=args.keyscale, timesignature=args.timesignature, duration=args.duration,
        variant=args.variant, steps=args.steps, guidance=args.guidance, shift=args.shift, seed=args.seed,
        batch_size=args.batch, reference_audio=args.reference_audio,
        adapters=[AdapterSpec.parse(text) for text in args.lora],
    )


def check_output(out: Path, bit_depth: str) -> None:
    from mixgrv_app.core.errors import AudioError, RequestError

    choices = FORMATS.get(out.suffix.lower())
    if choices is None:
        raise AudioError("audio.unsupported_output_format", f"Cannot write {out.name}: choose a .wav, .flac or .mp3 file name.",
                         path=str(out), extension=out.suffix.lower())
    if bit_depth not in choices:
        fmt = out.suffix.lower().lstrip(".").upper()
        raise AudioError("audio.unsupported_bit_depth", f"{fmt} cannot be written with bit depth {bit_depth}; choose one of {', '.join(choices)}.",
                         format=fmt, bit_depth=bit_depth, choices=", ".join(choices))
    if not out.parent.is_dir():
        raise RequestError("request.output_folder_missing", f"The folder {out.parent} does not exist. Create it or choose another --out path.",
                           path=str(out.parent))


def run(args: argparse.Namespace) -> int:
    from mixgrv_app.commands.progress import TerminalProgress
    from mixgrv_app.core import lora
    from mixgrv_app.core.audio import write_audio
    from mixgrv_app.core.fileio import write_json
    from mixgrv_app.core.jobs import CancelToken
    from mixgrv_app.core.pipeline import Generator

    out = Path(args.out).expanduser()
    request = build_request(args).validate()
    check_output(out, args.bit_depth)
    for spec in request.adapters or []:
        lora.read_adapter(spec.path)  # a broken adapter fails here, before any model loads

    progress = TerminalProgress(quiet=args.quiet)
    try:
        generator = Generator(args.models, args.variant, backend=args.backend, device=args.device, events=progress)
        result = generator.generate(request, events=progress, cancel=CancelToken())
    finally:
        progress.close()

    paths = output_paths(out, len(result.audio))
    written: list[Path] = []
    try:
        for path, audio, seed in zip(paths, result.audio, result.seeds, strict=True):
            write_audio(path, audio, result.sample_rate, bit_depth=args.bit_depth, title=request.caption[:120],
                        comment=f"mixgrv seed {seed}; {request.variant}")
            written.append(path)
        write_json(Path(str(out) + ".json"), result.sidecar([str(p) for p in paths]))
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    seeds = ", ".join(str(s) for s in result.seeds)
    drawn = " (drawn)" if result.seed_drawn else ""
    for path in paths:
        print(path)
    print(f"seed {result.seeds[0]}{drawn}; seeds {seeds}; {generator.describe_backend()}", file=sys.stderr)
    return 0
