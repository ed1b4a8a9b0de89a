"""`python -m mixgrv_app` / `mixgrv`: no arguments opens the app, a verb runs the CLI."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        from mixgrv_app.app import main as app_main

        return app_main()
    from mixgrv_app.cli import main as cli_main

    return cli_main(args)


if __name__ == "__main__":
    sys.exit(main())
