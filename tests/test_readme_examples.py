"""README.md's Python examples run as written and print what the README says they print.

Each ```python block under "## Use the libraries from Python" is run in its own
interpreter, and its output is compared with the ```text block that follows
it. The client example talks to ``ddp-monitor serve --demo --port 4000``: the
test starts that server on a free port instead and changes ``:4000`` in the
code to it (the only edit), so parallel runs never fight over a port.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import sys
from pathlib import Path

import pytest

from tests.demo_process import demo_server_process, free_port
from tests.timeouts import TIMEOUT

README = Path(__file__).resolve().parents[1] / "README.md"
README_PORT = ":4000"

_BLOCK = re.compile(r"^```(\w+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def _examples() -> list[tuple[str, str]]:
    """(code, expected output) pairs of the Python section, in order."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Use the libraries from Python\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    blocks = _BLOCK.findall(section)
    pairs = []
    for (kind, code), (next_kind, output) in itertools.pairwise(blocks):
        if kind == "python":
            assert next_kind == "text", "each python example is followed by its output"
            pairs.append((code, output))
    return pairs


EXAMPLES = _examples()


def test_the_readme_has_a_client_and_a_server_example() -> None:
    """The Python section shows a client (against the demo) and a server of one's own."""
    assert len(EXAMPLES) == 2
    client, server = (code for code, _ in EXAMPLES)
    assert "DDPClient(" in client
    assert README_PORT in client
    assert "DDPServer(" in server


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("code", "expected"), EXAMPLES, ids=[f"example{i}" for i in range(len(EXAMPLES))]
)
async def test_readme_example_runs_and_prints_what_it_says(
    code: str, expected: str
) -> None:
    """Copy-pasting an example from the README gives the output shown under it."""
    async with contextlib.AsyncExitStack() as stack:
        if README_PORT in code:
            port = free_port()
            code = code.replace(README_PORT, f":{port}")
            await stack.enter_async_context(demo_server_process(port))
        example = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            code,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        async with asyncio.timeout(TIMEOUT * 2):
            out, err = await example.communicate()
    assert example.returncode == 0, err.decode()
    assert out.decode() == expected
