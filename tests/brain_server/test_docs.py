"""Documentation that cannot drift: every setting, route, close code and metric is documented."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from brain_server import close_codes
from brain_server.api import api_router
from brain_server.settings import Settings

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_setting_is_documented() -> None:
    """docs/brain.md has a table row for each setting with its environment variable."""
    text = (DOCS / "brain.md").read_text(encoding="utf-8")
    for field in dataclasses.fields(Settings):
        row = f"| `{field.name}` | `FX_BRAIN_{field.name.upper()}` |"
        assert row in text, f"setting {field.name} is not documented in docs/brain.md"


def test_every_route_is_documented() -> None:
    """docs/rest-api.md names every REST route."""
    text = (DOCS / "rest-api.md").read_text(encoding="utf-8")
    for handler in api_router.routes:
        path = re.sub(r"\{(\w+):str\}", lambda m: "{" + _camel(m.group(1)) + "}", handler.path)
        for method in sorted(handler.methods - {"OPTIONS", "HEAD"}):
            assert f"{method} {path}" in text, f"{method} {path} missing from docs/rest-api.md"


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def test_every_close_code_is_documented() -> None:
    """docs/brain.md lists every WebSocket close code the brain uses."""
    text = (DOCS / "brain.md").read_text(encoding="utf-8")
    for name, value in vars(close_codes).items():
        if name.isupper() and isinstance(value, int):
            assert f"| {value} |" in text or f"{value} `" in text, f"close code {name}={value}"


def test_every_metric_is_documented() -> None:
    """docs/brain.md names each metric /metrics exposes."""
    from brain_server.metrics import Metrics

    text = (DOCS / "brain.md").read_text(encoding="utf-8")
    exposition = Metrics().render({}, 0, 0, 0, 0, {"ex": 1.0})
    names = set(re.findall(r"^# TYPE (\w+) ", exposition, re.MULTILINE))
    assert names
    for name in names:
        assert name in text, f"metric {name} missing from docs/brain.md"
