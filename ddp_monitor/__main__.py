"""``python -m ddp_monitor`` runs the command line."""

from __future__ import annotations

import sys

from ddp_monitor.cli.main import main

__all__: list[str] = []

if __name__ == "__main__":
    sys.exit(main())
