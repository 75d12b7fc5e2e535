"""The committed JSON Schema documents equal what the code produces, byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fx_protocol import schema
from tests.fx_protocol.strategies import UNIONS, union_members

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "docs" / "schema"
REGENERATE = "run `uv run python -m fx_protocol.schema` and commit docs/schema"


@pytest.mark.parametrize("file_name", sorted(schema.SCHEMA_FILES))
def test_committed_schema_matches_code(file_name: str) -> None:
    """docs/schema/<file> is exactly render_all()'s text; drift fails here."""
    committed = (SCHEMA_DIR / file_name).read_text(encoding="utf-8")
    assert committed == schema.render_all()[file_name], REGENERATE


def test_no_stray_schema_files() -> None:
    """docs/schema holds only the generated documents."""
    assert sorted(p.name for p in SCHEMA_DIR.iterdir()) == sorted(schema.SCHEMA_FILES)


def test_every_message_has_a_definition() -> None:
    """Each union member appears in $defs with its wire tag as the only `type` value."""
    defs: dict[str, dict[str, object]] = {}
    for text in schema.render_all().values():
        defs.update(json.loads(text)["$defs"])
    for union, _ in UNIONS.values():
        for cls in union_members(union):
            definition = defs[cls.__name__]
            assert definition["properties"]["type"]["enum"] == [cls.__struct_config__.tag]  # type: ignore[index]


def test_main_writes_files(tmp_path: Path) -> None:
    """`python -m fx_protocol.schema DIR` writes the same text into DIR."""
    assert schema.main([str(tmp_path)]) == 0
    for file_name, text in schema.render_all().items():
        assert (tmp_path / file_name).read_text(encoding="utf-8") == text
