"""CLI verbs, one module each (see mixgrv_app/cli.py for the contract)."""
