"""The ``ddp-monitor`` command line: help, version, logging, exit statuses, errors.

Parsing errors run through ``main(argv)`` in this process; what depends on the
real process (console output of a sub-command, imports, signals) runs as
``python -m ddp_monitor`` subprocesses.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import ddp_monitor
from ddp_monitor.cli.main import main
from tests.cli.watch_process import Watch
from tests.demo_process import demo_server_process, free_port
from tests.timeouts import TIMEOUT


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ddp_monitor", *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def test_version_prints_the_package_version() -> None:
    """`ddp-monitor --version` prints the one version of __init__.py and exits 0."""
    done = _run("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"ddp-monitor {ddp_monitor.__version__}"


def test_help_lists_commands_examples_and_exit_statuses(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`--help` names both commands, the URL forms, examples and what the exit statuses mean."""
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for text in ("watch", "serve", "host:port", "examples:", "exit status", "-v"):
        assert text in out
    assert "--quit-after" not in out  # the smoke check's option stays hidden


@pytest.mark.parametrize("command", ["watch", "serve", "replay"])
def test_each_command_has_its_own_help(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`ddp-monitor COMMAND --help` shows that command's options, with -v/-q, and exits 0."""
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: ddp-monitor {command} ")
    assert "--verbose" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["wtch", "localhost:3000"], "unrecognized arguments: localhost:3000"),
        (["wtch"], "did you mean 'watch'?"),
        (["serv"], "did you mean 'serve'?"),
        (["ftp://example.com"], "unsupported scheme 'ftp'"),
        (["http://:3000"], "invalid DDP server URL"),
        (["-v", "-q"], "not allowed with argument"),
        (["--quit-after", "soon"], "invalid float value: 'soon'"),
        (["--quit-after", "-1"], "--quit-after must be zero or more"),
        (["watch"], "required: URL"),
        (["serve", "--demo", "--port", "x"], "invalid int value: 'x'"),
        (["-style", "Nope"], "Qt has no style 'Nope' (it has: "),
        (["--style=Nope"], "Qt has no style 'Nope'"),
        (["-platform", "nosuch:x=1"], "Qt has no platform 'nosuch' (it has: "),
        (["-stylesheet", "/no/such.qss"], "'/no/such.qss' is not a file"),
        (["localhost:3000", "-style"], "Qt's option -style needs a value"),
        (["watch", "localhost:3000", "-style", "Fusion"], "arguments: -style Fusion"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad arguments: status 2, a usage line and the reason on stderr, nothing started."""
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert "usage: ddp-monitor" in captured.err
    assert captured.out == ""


def test_commands_load_without_qt() -> None:
    """`watch`, `serve` and `replay` (and --help) start without importing Qt: a headless box needs no GUI libraries."""
    code = (
        "import sys\n"
        "from ddp_monitor.cli import main\n"
        "for argv in (['--help'], ['watch', '--help'], ['serve', '--help'], ['replay', '--help']):\n"
        "    assert main(argv) == 0\n"
        "import ddp_monitor.cli.watch, ddp_monitor.cli.serve, ddp_monitor.cli.replay\n"
        "import ddp_monitor.recording.replay_run, ddp_monitor.recording.replay_report\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'qasync')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_app_shows_its_window_and_quits_after_the_hidden_delay(tmp_path: Path) -> None:
    """`ddp-monitor -v --quit-after S` (packaging/smoke.sh's check) logs "window shown" and exits 0 by itself."""
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        # The window saves its geometry and profiles: never into the user's own.
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "ddp_monitor", "-v", "--quit-after", "0.5"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT * 3,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "ddp_monitor.app.desktop: window shown" in done.stderr


def test_a_recording_file_opens_its_page_and_a_bad_one_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`ddp-monitor FILE.ddprec`: the window on the recording; not one: status 2 and why."""
    from ddp_monitor.ddp.client.events import SubscriptionReady
    from ddp_monitor.recording.recorder import Recorder

    recorder = Recorder("ws://127.0.0.1:3000/websocket", profile="cli")
    for n in range(3):
        recorder.event(SubscriptionReady(str(n)))
    good = tmp_path / "good.ddprec"
    recorder.save(good)
    bad = tmp_path / "bad.ddprec"
    bad.write_text('{"export": "ddp-monitor message log"}\n')
    assert main([str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"error: {bad}: line 1: not a ddp-monitor recording" in err
    assert main([str(tmp_path / "missing.ddprec")]) == 2
    assert "cannot open the recording" in capsys.readouterr().err
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "ddp_monitor", "-v", str(good), "--quit-after", "1"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT * 3,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"recording {good} read: 3 items" in done.stderr
    assert "window shown" in done.stderr


def test_qt_options_are_told_apart_from_ours() -> None:
    """Qt's words (one dash or two, value apart or joined) go to Qt, in order; ours stay."""
    from ddp_monitor.cli.qt_options import split

    words = ["-v", "--style", "Fusion", "localhost:3000", "-reverse"]
    words += ["-platform=xcb", "-qmljsdebugger=port:1234", "--quit-after", "1"]
    qt, ours, missing = split(words)
    assert qt == [
        "--style",
        "Fusion",
        "-reverse",
        "-platform=xcb",
        "-qmljsdebugger=port:1234",
    ]
    assert ours == ["-v", "localhost:3000", "--quit-after", "1"]
    assert missing is None


def test_qt_options_reach_the_window(tmp_path: Path) -> None:
    """`ddp-monitor -style Windows -reverse` opens the window in Qt's Windows style, exit 0."""
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    qt = ["-style", "Windows", "-reverse"]
    done = subprocess.run(
        [sys.executable, "-m", "ddp_monitor", *qt, "-v", "--quit-after", "0.2"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT * 3,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "platform offscreen, style windows" in done.stderr
    assert "did not use" not in done.stderr
    assert "window shown" in done.stderr


@pytest.mark.asyncio
async def test_a_taken_port_is_a_runtime_failure_with_status_1() -> None:
    """`serve` on a port already in use says so and exits 1 (not 2: the arguments were fine)."""
    port = free_port()
    async with demo_server_process(port):
        done = await asyncio.to_thread(_run, "serve", "--demo", "--port", str(port))
    assert done.returncode == 1
    assert "cannot listen" in done.stderr


@pytest.mark.asyncio
@pytest.mark.parametrize(("flag", "logged"), [("-v", True), ("", False), ("-q", False)])
async def test_verbose_logs_to_stderr_and_quiet_silences(
    flag: str, logged: bool
) -> None:
    """-v shows the library's info records on stderr; the default and -q do not."""
    async with demo_server_process(
        free_port(), *([flag] if flag else []), stderr=asyncio.subprocess.PIPE
    ) as demo:
        proc = demo.proc
        proc.send_signal(signal.SIGINT)
        async with asyncio.timeout(TIMEOUT):
            _, raw = await proc.communicate()
    assert proc.returncode == 0
    err = raw.decode()
    assert ("INFO websockets.server: server listening" in err) is logged, err


@pytest.mark.asyncio
async def test_watch_follows_a_server_stopped_and_started_again() -> None:
    """`watch` prints connected, then waiting and connecting while the server is down, then connected again."""
    port = free_port()
    async with demo_server_process(port):
        watch = await Watch.start(f"localhost:{port}")
        try:
            await watch.until(lambda line: line.get("status") == "connected")
        except BaseException:
            await watch.interrupt()
            raise
    try:
        await watch.until(lambda line: line.get("status") == "waiting")
        async with demo_server_process(port):
            # Meteor's back-off: 10 ms twice, then about 1 s, 2.2 s, 4.8 s...
            async with asyncio.timeout(TIMEOUT * 2):
                await watch.until(lambda line: line.get("status") == "connected")
    finally:
        code = await watch.interrupt()
    assert code == 0
    statuses = [x["status"] for x in watch.lines if x["event"] == "status"]
    first = statuses.index("connected")
    again = statuses.index("connected", first + 1)
    down = statuses[first + 1 : again]
    assert down[0] == "waiting"
    assert down[-1] == "connecting"
    assert set(down) == {"waiting", "connecting"}
    # Each attempt while down counts as a retry, as Meteor.status().retryCount does.
    retries = [x["retryCount"] for x in watch.lines if x.get("status") == "connecting"]
    assert retries[-1] >= 1
