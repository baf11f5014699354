"""Installing the real peers (Meteor server, npm DDP clients, Meteor's browser client) on first use.

Owns finding node/npm and running the install scripts under tests/peers; imports
only the standard library and tests.timeouts. The scripts are idempotent and
lock against parallel runs, so calling them every session costs a second.
Deciding whether a missing tool skips or fails belongs to tests/conftest.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.timeouts import PEER_INSTALL_TIMEOUT

__all__ = [
    "BROWSER_INSTALL",
    "METEOR_INSTALL",
    "NPM_CLIENTS",
    "PeerInstallError",
    "install_browser",
    "install_meteor",
    "install_npm_clients",
    "missing_browser_tools",
    "missing_node_tools",
]

PEERS = Path(__file__).resolve().parent
METEOR_INSTALL = PEERS / "meteor" / "install.sh"
NPM_CLIENTS = PEERS / "npm"
BROWSER_INSTALL = PEERS / "browser" / "install.sh"
CHROMIUMS = ("/usr/lib/chromium/chromium", "chromium", "chromium-browser")


class PeerInstallError(RuntimeError):
    """An install script failed; the message carries its output."""


def missing_node_tools() -> str | None:
    """Why the peers cannot be installed here, or None when node and npm are found."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        return f"{' and '.join(missing)} not found on PATH (needed for the real DDP peers; .ci/run installs Debian's nodejs and npm)"
    return None


def missing_browser_tools() -> str | None:
    """Why Meteor's browser client cannot run here, or None (install.sh can get chromium as root)."""
    missing = missing_node_tools()
    if missing is not None:
        return missing
    found = os.environ.get("CHROMIUM") or next(
        (c for c in CHROMIUMS if shutil.which(c) or os.path.exists(c)), None
    )
    if found is None and os.geteuid() != 0:
        return "no chromium found and not root to apt-get it (Debian package chromium; or set CHROMIUM)"
    return None


def _run(script: Path) -> None:
    try:
        done = subprocess.run(
            ["bash", str(script)],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=PEER_INSTALL_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise PeerInstallError(
            f"{script} did not finish within {PEER_INSTALL_TIMEOUT:.0f} s"
        ) from exc
    if done.returncode != 0:
        raise PeerInstallError(
            f"{script} failed with exit code {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )


def install_meteor() -> None:
    """Install the real Meteor 1.9.3 DDP server (no-op when already installed)."""
    _run(METEOR_INSTALL)


def install_npm_clients() -> Path:
    """Install the npm DDP clients in tests/peers/npm; returns that directory."""
    _run(NPM_CLIENTS / "install.sh")
    return NPM_CLIENTS


def install_browser() -> None:
    """Install Meteor's browser client and Debian's chromium (no-op when installed)."""
    _run(BROWSER_INSTALL)
