"""The `mixgrv` command line: the same jobs as the app, with terminal progress.

Each verb lives in ``mixgrv_app/commands/<verb>.py`` and exposes ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``. Those modules import nothing heavy at
module level, so building the parser (and ``--version``, ``doctor``) stays fast.
A :class:`~mixgrv_app.core.errors.MixgrvError` becomes one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from mixgrv_app import __version__

VERBS = ("generate", "compose", "understand", "dataset", "preprocess", "train", "models", "doctor")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mixgrv", description="mixgrv: ACE-Step 1.5 LoRA training and music generation.")
    parser.add_argument("--version", action="version", version=f"mixgrv {__version__}")
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    for verb in VERBS:
        try:
            module = importlib.import_module(f"mixgrv_app.commands.{verb}")
        except ModuleNotFoundError as exc:
            if exc.name != f"mixgrv_app.commands.{verb}":
                raise
            continue  # verb not built yet
        verb_parser = sub.add_parser(verb, help=module.HELP, description=module.HELP)
        module.add_arguments(verb_parser)
        verb_parser.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 1
    from mixgrv_app.core.errors import MixgrvError
    from mixgrv_app.core.jobs import Cancelled

    try:
        return int(args._run(args) or 0)
    except MixgrvError as exc:
        print(f"mixgrv: error: {exc.message}", file=sys.stderr)
        return 2
    except Cancelled:
        print("mixgrv: cancelled", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("mixgrv: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
