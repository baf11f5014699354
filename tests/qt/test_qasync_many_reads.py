"""Regression: qasync + PySide6 must survive tens of thousands of separate socket reads.

PySide6 6.12.0 with qasync 0.28 aborts ("Fatal Python error: none_dealloc" in
qasync's socket-notifier callback) when a websockets client takes thousands
of frames in many separate reads (issue 4); pyproject pins PySide6 below 6.12.
The server runs in another process and paces its frames; the client (the
app's stack on a qasync loop) runs in a third, so an abort fails this test
with its message instead of killing the test run.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

from tests.timeouts import TIMEOUT

FRAMES = 20_000
_ROOT = Path(__file__).resolve().parents[2]


def test_qasync_loop_survives_tens_of_thousands_of_separate_reads() -> None:
    """A paced flood of 20,000 frames from another process arrives whole and the app's loop lives."""
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.qt.paced_server", str(FRAMES)],
        cwd=_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = json.loads(server.stdout.readline())["url"]
        client = subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.qt.flood_client",
                url,
                str(FRAMES),
                str(TIMEOUT * 6),
            ],
            cwd=_ROOT,
            capture_output=True,
            text=True,
            timeout=TIMEOUT * 9,
            check=False,
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(TIMEOUT)
    assert client.returncode == 0, (
        f"the qasync client died (code {client.returncode}); a PySide6 that aborts "
        f"under qasync would show here:\n{client.stderr[-3000:]}"
    )
    result = json.loads(client.stdout.splitlines()[-1])
    assert result["documents"] == FRAMES
    assert result["reads"] >= 10_000, "the frames must arrive in many separate reads"
