"""`mixgrv generate`: any generation task from the command line, with a terminal progress bar.

The same Generator the Generation tab uses (core/pipeline.py). ``--task`` picks text2music
(default), cover, repaint, extend, lego, extract or complete; ``--source`` is the audio they
work on, ``--region START:END`` (seconds; START may be negative and END may pass the source
for extend), ``--track`` / ``--tracks`` the instrument(s) for lego/extract/complete, and
``--audio-codes`` a pasted ``<|audio_code_N|>`` string (or ``@FILE``) that makes a cover from
those codes. Everything that can be checked without the models (request values, the source's
length and region, output name and bit depth, adapter folders) is checked first; files are
written only after the whole batch rendered, each atomically, and a failure while writing
removes the files already written — a failed run leaves no output behind. Batch > 1 writes
``name-1.ext``, ``name-2.ext``, …; the sidecar is ``PATH.json`` (task and source path + SHA-256
included).

Reproduction hooks for parity harnesses (not options a musician needs): ``$MIXGRV_VAE_EPS_SEED=E``
draws the k-th VAE posterior eps as ``default_rng(E + k)`` (upstream harness rule) instead of
the seed rule, ``$MIXGRV_REFERENCE_SEED=R`` places the reference segments with ``random.Random(R)``.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from mixgrv_app.core.models import TURBO

HELP = "Generate music with ACE-Step 1.5: text to music, cover, repaint, extend, lego, extract, complete."
TASK_CHOICES = ("text2music", "cover", "repaint", "extend", "lego", "extract", "complete")
# argparse takes "-4:10" for an option; let a region (or any negative number) be a value
_NEGATIVE_VALUE = re.compile(r"^-\d*\.?\d+(:.*)?$")

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
    parser.add_argument("--duration", type=float, metavar="SEC", help="length in seconds (10-600); text2music only (a source or codes set the length; with --think, leave it out to let the LM's plan set it)")
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
    parser.add_argument("--task", choices=TASK_CHOICES, default="text2music",
                        help="text2music (default), cover, repaint, extend, or on a base model lego, extract, complete")
    parser.add_argument("--source", metavar="FILE", help="source audio for cover/repaint/extend/lego/extract/complete (at most 600 s)")
    parser.add_argument("--cover-strength", type=float, default=1.0, metavar="F", help="cover: fraction of steps that follow the source (0-1)")
    parser.add_argument("--cover-noise", type=float, default=0.0, metavar="F", help="cover: start this close to the source (0 = from noise, 0-1)")
    parser.add_argument("--region", metavar="START:END", help="repaint/extend/lego region in seconds; extend: START < 0 or END past the source")
    parser.add_argument("--track", metavar="NAME", help="lego/extract: one of vocals, backing_vocals, drums, bass, guitar, keyboard, percussion, strings, synth, fx, brass, woodwinds")
    parser.add_argument("--tracks", metavar="NAME,NAME...", help="complete: the tracks to add, comma-separated")
    think = parser.add_argument_group("think (the 5 Hz LM plans the song first; docs/lm.md)")
    think.add_argument("--think", action="store_true", help="let the 5 Hz LM write metas, caption, language and audio codes first")
    think.add_argument("--lm", default="0.6B", choices=("0.6B", "1.7B", "4B"), help="LM size (folder acestep-5Hz-lm-SIZE)")
    think.add_argument("--lm-temperature", type=float, default=0.85, metavar="T", help="LM sampling temperature (0 = greedy)")
    think.add_argument("--lm-cfg", type=float, default=2.0, metavar="S", help="LM guidance of the audio codes (1 = off)")
    think.add_argument("--lm-top-p", type=float, default=0.9, metavar="P", help="LM nucleus sampling (1 = off)")
    think.add_argument("--lm-top-k", type=int, default=0, metavar="K", help="LM top-k sampling (0 = off)")
    think.add_argument("--lm-negative", default="NO USER INPUT", metavar="TEXT", help="LM negative prompt for the codes")
    think.add_argument("--codes-strength", type=float, dest="cover_strength", default=argparse.SUPPRESS, metavar="F",
                       help="fraction of steps that follow the LM's codes (0-1; same as --cover-strength)")
    parser.add_argument("--audio-codes", metavar="STRING|@FILE", help="pasted 5 Hz codes (<|audio_code_N|>...), or @FILE to read them: a cover of those codes")
    parser._negative_number_matcher = _NEGATIVE_VALUE  # --region -4:10


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
    start, end = parse_region(args.region)
    return GenerationRequest(
        caption=args.caption, lyrics=lyrics, instrumental=args.instrumental, language=args.language,
        bpm=args.bpm, keyscale=args.keyscale, timesignature=args.timesignature, duration=args.duration,
        variant=args.variant, steps=args.steps, guidance=args.guidance, shift=args.shift, seed=args.seed,
        batch_size=args.batch, reference_audio=args.reference_audio,
        adapters=[AdapterSpec.parse(text) for text in args.lora],
        task=args.task, source_audio=args.source, cover_strength=args.cover_strength, cover_noise_strength=args.cover_noise,
        repaint_start=start, repaint_end=end, track=args.track,
        tracks=[t.strip() for t in args.tracks.split(",") if t.strip()] if args.tracks is not None else None,
        audio_codes=read_codes(args.audio_codes),
        think=args.think, lm=args.lm, lm_temperature=args.lm_temperature, lm_cfg=args.lm_cfg, lm_top_p=args.lm_top_p,
        lm_top_k=args.lm_top_k or None, lm_negative=args.lm_negative,
    )


def parse_region(text: str | None) -> tuple[float | None, float | None]:
    """``START:END`` in seconds (either may be empty: START defaults to 0, END to the source end)."""
    from mixgrv_app.core.errors import RequestError

    if text is None:
        return None, None
    head, sep, tail = text.partition(":")
    try:
        if not sep:
            raise ValueError(text)
        return (float(head) if head.strip() else None), (float(tail) if tail.strip() else None)
    except ValueError:
        raise RequestError("request.bad_region", f"--region {text} is not START:END in seconds (e.g. 10:20, or -5:0 to extend).",
                           start=head, end=tail) from None


def read_codes(value: str | None) -> str | None:
    """``--audio-codes``: the code string itself, or ``@FILE`` to read it from a text file."""
    from mixgrv_app.core.errors import RequestError

    if value is None or not value.startswith("@"):
        return value
    path = value[1:]
    try:
        return Path(path).expanduser().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RequestError("request.file_not_found", f"The audio codes file {path} cannot be read ({exc}). Check the path and try again.",
                           field="audio_codes", path=path) from exc


def harness_randomness():
    """(posterior_eps, reference_random) from $MIXGRV_VAE_EPS_SEED / $MIXGRV_REFERENCE_SEED, else (None, None)."""
    import random

    import numpy as np

    eps = reference = None
    if os.environ.get("MIXGRV_VAE_EPS_SEED", "").strip():
        base = int(os.environ["MIXGRV_VAE_EPS_SEED"])

        def eps(k, shape):
            return np.random.default_rng(base + k).standard_normal(shape, dtype=np.float32)
    if os.environ.get("MIXGRV_REFERENCE_SEED", "").strip():
        reference = random.Random(int(os.environ["MIXGRV_REFERENCE_SEED"]))
    return eps, reference


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

    from mixgrv_app.core.requests import inspect_source

    out = Path(args.out).expanduser()
    request = build_request(args).validate()
    check_output(out, args.bit_depth)
    inspect_source(request)  # an undecodable or too long source, or a region outside it, fails before any model loads
    for spec in request.adapters or []:
        lora.read_adapter(spec.path)  # a broken adapter fails here, before any model loads

    posterior_eps, reference_random = harness_randomness()
    progress = TerminalProgress(quiet=args.quiet)
    try:
        generator = Generator(args.models, args.variant, backend=args.backend, device=args.device, events=progress)
        result = generator.generate(request, events=progress, cancel=CancelToken(), posterior_eps=posterior_eps,
                                    reference_random=reference_random)
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
