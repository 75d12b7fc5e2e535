"""Guard for the PySide6-Essentials pin (<6.12 in pyproject.toml).

PySide6 6.12.0 on Python 3.11 drops a reference to ``True`` on every
``Signal.emit()`` and aborts the interpreter after about a thousand emits.
The emits run in a child process, so an abort fails this test instead of
killing pytest; an upgrade that brings the bug back fails CI here.
"""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version

EMITS = 5_000

CHILD = f"""
import sys
from PySide6.QtCore import QCoreApplication, QObject, Signal, Slot

class Source(QObject):
    fired = Signal(bool)
    ticked = Signal()

class Sink(QObject):
    def __init__(self):
        super().__init__()
        self.count = 0

    @Slot(bool)
    def on_fired(self, value):
        self.count += 1

    @Slot()
    def on_ticked(self):
        self.count += 1

app = QCoreApplication(sys.argv)
source, sink = Source(), Sink()
source.fired.connect(sink.on_fired)
source.ticked.connect(sink.on_ticked)
for i in range({EMITS}):
    if i % 2:
        source.fired.emit(True)
    else:
        source.ticked.emit()
print(sink.count)
"""


def _run_emits() -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=60, check=False
    )


def test_signal_emits_do_not_abort() -> None:
    """A child process emits 5,000 signals to a slot, exits 0 and counts every one."""
    child = _run_emits()
    assert child.returncode == 0, f"Qt child died ({child.returncode}): {child.stderr[-2000:]}"
    assert child.stdout.strip() == str(EMITS)


def test_pin_holds_unless_the_bug_is_fixed() -> None:
    """PySide6-Essentials >= 6.12 is only acceptable once the emit loop survives it."""
    installed = version("PySide6-Essentials")
    major_minor = tuple(int(part) for part in installed.split(".")[:2])
    assert major_minor < (6, 12) or _run_emits().returncode == 0, (
        f"PySide6-Essentials {installed} aborts on Signal.emit(); keep the <6.12 pin"
    )
