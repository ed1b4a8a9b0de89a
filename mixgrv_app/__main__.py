"""`python -m mixgrv_app` / `mixgrv`: no arguments opens the app, a verb runs the CLI."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in ("--job-child", "--job-service"):  # a job process (core/child_jobs.py), also in the .app
        from mixgrv_app.core.child_jobs import main as job_main

        return job_main(args)
    if not args:
        from mixgrv_app.app import main as app_main

        return app_main()
    from mixgrv_app.cli import VERBS

    # Files or folders (Finder "Open With", a second launch with songs) go to the app.
    if args[0] not in VERBS and not args[0].startswith("-") and all(os.path.exists(a) for a in args):
        from mixgrv_app.app import main as app_main

        return app_main(args)
    from mixgrv_app.cli import main as cli_main

    return cli_main(args)


if __name__ == "__main__":
    sys.exit(main())
