"""The benchmark suite's own machinery: the report matches its data, verdicts, a real floor run.

Figures are never asserted here (speed is measured by the benchmarks, not by
tests); what is checked is that the suite runs and says what its data says.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = ROOT / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from performance_doc import render  # noqa: E402
from performance_doc.targets import Targets  # noqa: E402

ALL_JSON = BENCHMARKS / "results" / "all.json"
DOC = ROOT / "docs" / "performance.md"


def committed_suite() -> dict[str, Any]:
    return dict(json.loads(ALL_JSON.read_text(encoding="utf-8")))


def test_committed_report_is_what_its_data_renders(tmp_path: Path) -> None:
    """docs/performance.md is exactly what benchmarks/results/all.json renders (no hand edits)."""
    markdown, targets = render(committed_suite(), tmp_path / "performance", tmp_path)
    assert markdown == DOC.read_text(encoding="utf-8"), (
        "docs/performance.md is stale: uv run python benchmarks/run_all.py --render-only"
    )
    assert targets == committed_suite()["targets"]
    assert sorted(p.name for p in (tmp_path / "performance").glob("*.png"))


def test_every_target_has_a_verdict_and_misses_say_by_how_much() -> None:
    """Each target row of the committed run is PASS, MISS (with its factor) or not proven."""
    rows = committed_suite()["targets"]
    assert len(rows) >= 10
    for row in rows:
        assert row["verdict"] in {"PASS", "MISS", "NOT MEASURED", "NOT PROVEN"}, row
        if row["verdict"] == "MISS":
            assert row["miss_factor"] is not None, row
            assert row["miss_factor"] > 1, row


@pytest.mark.parametrize(
    ("value", "limit", "lower_is_better", "verdict", "factor"),
    [
        (4.0, 5.0, True, "PASS", None),
        (10.0, 5.0, True, "MISS", 2.0),
        (3000.0, 3000.0, False, "PASS", None),
        (375.0, 3000.0, False, "MISS", 8.0),
        (None, 5.0, True, "NOT MEASURED", None),
    ],
)
def test_verdict_and_miss_factor(
    value: float | None, limit: float, lower_is_better: bool, verdict: str, factor: float | None
) -> None:
    """A figure over (or under) its limit is a MISS by value/limit (or limit/value)."""
    targets = Targets()
    targets.add("t", value, "x", None, "", value, limit, lower_is_better=lower_is_better)
    assert targets.rows[0]["verdict"] == verdict
    assert targets.rows[0]["miss_factor"] == factor


def test_a_real_floor_run_renders_beside_the_committed_steps(tmp_path: Path) -> None:
    """floors.py measures real sockets between processes; its report slots into the suite."""
    out = tmp_path / "floors.json"
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "floors.py"), "--n", "30", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    for name in ("ws_echo", "zmq_echo", "relay"):
        assert report[name]["n"] == 30
        assert 0 < report[name]["p50_ms"] <= report[name]["p99_ms"]
    assert report["machine"]["cpus"] >= 1
    suite = committed_suite()
    suite["steps"]["floors"] = {"status": "ok", "script": "floors.py", "report": report}
    markdown, targets = render(suite, tmp_path / "performance", tmp_path)
    relay_p50 = f"{report['relay']['p50_ms']:.2f}"
    assert relay_p50 in markdown
    assert any(row["floor_name"].startswith("relay") for row in targets)
