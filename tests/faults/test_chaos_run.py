"""The CI-sized fault drill: real brain, terminal and executor, thousands of commands,
dozens of seeded faults of every kind, then every invariant against the terminal's ledger."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from fx_demo.chaos.faults import DRILLS
from fx_demo.chaos.harness import Harness, RunConfig

pytestmark = pytest.mark.slow

SEED = 20261121


@pytest.mark.timeout(420)
def test_ci_sized_fault_drill(tmp_path: Path) -> None:
    """2,000 commands, 36 faults (every kind twice), one HALTED window: zero violations."""
    config = RunConfig(
        commands=2000,
        faults=36,
        seed=SEED,
        concurrency=8,
        max_outstanding=200,
        halt_windows=1,
        root=tmp_path / "stack",
        keep=True,
    )
    report = asyncio.run(Harness(config).run())
    (tmp_path / "report.json").write_text(json.dumps(report, indent=1))
    assert report["violations"] == [], json.dumps(report["violations"][:20], indent=1)
    assert report["harness_errors"] == []
    assert report["submitted"] == 2000
    assert len(report["faults"]) == 36
    assert set(report["fault_kinds"]) == set(DRILLS)
    assert report["statuses"].get("executed", 0) > 500
    assert report["halt_windows"]
    assert report["halt_windows"][0]["commands"] > 0
    assert report["deals"] == report["fills"]
