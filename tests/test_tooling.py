"""Strict tooling holds for the whole repository: ruff lint, ruff format, mypy on the protocol."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )


def test_ruff_check() -> None:
    """`ruff check` finds nothing anywhere in the repository."""
    result = _run("ruff", "check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_ruff_format() -> None:
    """Every Python file is already as `ruff format` would write it."""
    result = _run("ruff", "format", "--check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_mypy_strict_on_protocol() -> None:
    """The protocol package passes mypy in strict mode (configured in pyproject.toml)."""
    result = _run("mypy", "--no-incremental", "--cache-dir", "/dev/null", "fx_protocol")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "Success" in result.stdout
