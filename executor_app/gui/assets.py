"""The project's icons (``assets/``), found in the source tree or in the PyInstaller bundle.

``installer/fx-executor.spec`` copies ``assets/png`` and ``assets/app.ico``
to ``assets/`` inside the bundle, i.e. ``sys._MEIPASS / "assets"`` when frozen.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

from PySide6.QtGui import QIcon

#: every size rendered by assets/render.py; QIcon picks the one the screen's scale needs
SIZES = (16, 20, 24, 32, 48, 64, 128, 256)
NAMES = ("app", "trading", "reconnecting", "halted", "terminal-unavailable")


def asset_dir() -> Path:
    """``assets/`` of the bundle when frozen, else of the source tree."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "assets"
    return Path(__file__).resolve().parents[2] / "assets"


def png_path(name: str, size: int) -> Path:
    return asset_dir() / "png" / f"{name}-{size}.png"


@cache
def icon(name: str) -> QIcon:
    """A QIcon holding every PNG size of ``name`` (one of :data:`NAMES`)."""
    if name not in NAMES:
        raise ValueError(f"unknown icon {name!r}")
    result = QIcon()
    for size in SIZES:
        path = png_path(name, size)
        if path.exists():
            result.addFile(str(path))
    return result
