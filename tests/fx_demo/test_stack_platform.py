"""``fx_demo.stack`` without process groups (Windows): stop and kill still end programs."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from fx_demo import stack


def _program(tmp_path: Path) -> stack.Program:
    argv = [sys.executable, "-c", "import time; print('up', flush=True); time.sleep(60)"]
    return stack.Program("sleeper", argv, dict(os.environ), tmp_path / "sleeper.log")


@pytest.mark.parametrize("how", ["stop", "kill"])
def test_without_killpg_the_process_itself_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """Without os.killpg, stop() terminates and kill() kills the process itself."""
    monkeypatch.delattr(os, "killpg")
    program = _program(tmp_path)
    program.start()
    program.wait_for("up", 30)
    getattr(program, how)()
    assert program.proc is not None
    assert program.proc.poll() is not None
    assert not program.running
