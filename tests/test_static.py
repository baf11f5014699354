"""The static checks pass: lint, formatting, strict types and the layer contracts.

Runs ruff, mypy and import-linter as subprocesses from the repository root, so
the README's one test command covers them; a failure shows the tool's output.
Their settings live in pyproject.toml.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.timeouts import TOOL_TIMEOUT

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

CHECKS: dict[str, list[str]] = {
    "ruff-check": [sys.executable, "-m", "ruff", "check", "."],
    "ruff-format": [sys.executable, "-m", "ruff", "format", "--check", "."],
    # packages = ["ddp_monitor"] and strict = true come from [tool.mypy].
    "mypy-strict": [sys.executable, "-m", "mypy"],
    # The console script is the tool's only entry point; it sits beside the interpreter.
    "import-linter": [str(BIN / "lint-imports"), "--no-cache"],
}


@pytest.mark.timeout(TOOL_TIMEOUT)
@pytest.mark.parametrize("check", list(CHECKS))
def test_static_check_passes(check: str) -> None:
    """The code passes ruff lint, ruff format, mypy --strict and the import-linter layer contracts."""
    done = subprocess.run(
        CHECKS[check],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TOOL_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, (
        f"{' '.join(CHECKS[check])} failed:\n{done.stdout}\n{done.stderr}"
    )
