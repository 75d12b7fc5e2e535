"""docs/gui.md documents every preference, shortcut and screenshot it promises."""

from __future__ import annotations

import typing
from pathlib import Path

import msgspec

from executor_app.gui.main_window import EMERGENCY_SHORTCUTS
from executor_app.gui.preferences import Preferences

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "gui.md").read_text(encoding="utf-8")


def test_every_preference_is_documented_with_its_default_and_help() -> None:
    """Each gui.toml key appears in the table with its default and its help text."""
    hints = typing.get_type_hints(Preferences, include_extras=True)
    defaults = Preferences()
    for field in msgspec.structs.fields(Preferences):
        default = str(getattr(defaults, field.name)).lower()
        (meta,) = [m for m in hints[field.name].__metadata__ if isinstance(m, msgspec.Meta)]
        row = f"| `{field.name}` | `{default}` | {meta.description} |"
        assert row in DOC, row


def test_shortcuts_and_screenshots_are_documented() -> None:
    """The emergency-stop shortcuts are named and every linked screenshot exists."""
    for keys in EMERGENCY_SHORTCUTS:
        assert f"**{keys}**" in DOC
    for line in DOC.splitlines():
        if line.startswith("![") and "(screenshots/" in line:
            target = line.split("(", 1)[1].rstrip(")")
            assert (ROOT / "docs" / target).exists(), target
