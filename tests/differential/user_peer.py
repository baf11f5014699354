"""A private copy of the Meteor peer with ``meteor_user_scenario.js`` added.

Owns building that copy (``serve`` and ``launch.js`` as they are, ``app.js`` with
the scenario appended) in a temporary directory and running it with
``tests.peers.meteor_server.MeteorServer``; imports tests.peers only. The
shared peer files stay untouched, so no other test sees the extra names.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

from tests.peers import meteor_server
from tests.peers.meteor_server import MeteorServer

__all__ = ["SCENARIO", "user_scenario_meteor"]

SCENARIO = Path(__file__).with_name("meteor_user_scenario.js")


@contextmanager
def user_scenario_meteor() -> Iterator[MeteorServer]:
    """A started real Meteor 1.9.3 server running app.js plus the user scenario."""
    peer = meteor_server.SERVE.parent
    with tempfile.TemporaryDirectory(prefix="ddp-user-peer-") as tmp:
        copy = Path(tmp)
        for name in ("serve", "launch.js"):
            shutil.copy2(peer / name, copy / name)
        app = (peer / "app.js").read_text() + "\n" + SCENARIO.read_text()
        (copy / "app.js").write_text(app)
        server = MeteorServer()
        # MeteorServer starts the module's SERVE; point it at the copy for start().
        with mock.patch.object(meteor_server, "SERVE", copy / "serve"):
            server.start()
        try:
            yield server
        finally:
            server.stop()
