"""``python -m ddp_monitor`` runs the command line (also the frozen app's entry point)."""

from __future__ import annotations

import multiprocessing
import sys

from ddp_monitor.cli.main import main

__all__: list[str] = []

if __name__ == "__main__":
    # A frozen build starts the hosted server's process (hosting.launch) by
    # running itself again: this turns that run into the child.
    multiprocessing.freeze_support()
    sys.exit(main())
