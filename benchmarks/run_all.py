"""The whole benchmark suite in one command: every figure beside its floor, in one run.

    uv run python benchmarks/run_all.py [--quick] [--only NAME ...] [--skip NAME ...]

Runs each benchmark of ``benchmarks/`` as its own subprocess, one after the
other (never two at once: they would measure each other), gathers their JSON
and writes

- ``benchmarks/results/all.json``: every report, the load average before and
  after each step, and the target table;
- ``docs/performance.md``: the targets of issue 12 with the measured figure,
  its floor, the ratio and PASS/MISS, then each benchmark's tables, with
  plots in ``docs/performance/*.png``.

Reports of this suite's own scripts (floors, e2e, ticks, fleet) go to
``benchmarks/results/``; the other benchmarks keep their committed reports and
write this run's copy to ``benchmarks/results/raw/`` (ignored by git).
``--quick`` is a smoke run (about five minutes on a busy 2-core machine):
small sample counts, the doc says so at the top. ``bench_bundle.py`` builds a
PyInstaller bundle (about a minute, needs ``uv sync --group installer``): it
runs only with ``--bundle``; otherwise its last committed report is shown,
with its date.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from report_file import load_average, machine, write_report

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
RAW = RESULTS / "raw"
DOC = ROOT / "docs" / "performance.md"
FIGURES = ROOT / "docs" / "performance"
PROFILES = RAW / "profiles"


class Step:
    """One benchmark script: its arguments for a full and a quick run, and its report."""

    def __init__(
        self, name: str, script: str, full: list[str], quick: list[str], out_flag: str, own: bool
    ) -> None:
        self.name, self.script, self.full, self.quick = name, script, full, quick
        self.out_flag = out_flag
        self.report = (RESULTS if own else RAW) / f"{name}.json"

    def argv(self, quick: bool) -> list[str]:
        args = self.quick if quick else self.full
        out = [self.out_flag, str(self.report)] if self.out_flag else []
        return [sys.executable, str(HERE / self.script), *args, *out]


def steps() -> list[Step]:
    prof = ["--profile", str(PROFILES)]
    return [
        Step("floors", "floors.py", ["--n", "2000"], ["--n", "300"], "--out", True),
        Step(
            "e2e",
            "bench_e2e.py",
            ["--commands", "500", "--sustain", "15", *prof],
            ["--commands", "60", "--sustain", "3", "--startup-runs", "1"],
            "--out",
            True,
        ),
        Step(
            "ticks",
            "bench_ticks.py",
            ["--window", "8", "--commands", "150", *prof],
            ["--window", "2", "--commands", "20"],
            "--out",
            True,
        ),
        Step(
            "fleet",
            "bench_fleet.py",
            ["--executors", "500", "--window", "10", "--commands", "100"],
            ["--executors", "100", "--window", "2", "--commands", "20"],
            "--out",
            True,
        ),
        Step(
            "executor",
            "bench_executor.py",
            ["--commands", "300"],
            ["--commands", "40", "--tick-rates", "5000"],
            "--out",
            False,
        ),
        Step(
            "brain",
            "bench_brain.py",
            ["--commands", "500", "--executors", "300"],
            ["--commands", "60", "--executors", "30", "--window", "2"],
            "--out",
            False,
        ),
        Step("mt5sim", "bench_mt5sim.py", ["--seconds", "2"], ["--seconds", "0.5"], "--out", False),
        Step(
            "codec",
            "bench_codec.py",
            ["--iterations", "20000"],
            ["--iterations", "2000"],
            "--output",
            False,
        ),
        Step("gui", "bench_gui.py", [], ["--commands", "30"], "--out", False),
        Step("bundle", "bench_bundle.py", [], ["--runs", "3"], "--output", False),
    ]


def run_step(step: Step, quick: bool, timeout: float) -> dict[str, Any]:
    """Run one script; its report (or why there is none) with wall time and load."""
    record: dict[str, Any] = {"script": step.script, "load_before": load_average()}
    if not (HERE / step.script).exists():
        record["status"] = "absent"
        return record
    step.report.parent.mkdir(parents=True, exist_ok=True)
    if step.report.exists() and step.out_flag:
        step.report.unlink()
    start = time.perf_counter()
    print(f"== {step.name}: {' '.join(step.argv(quick)[1:])}", file=sys.stderr, flush=True)
    try:
        done = subprocess.run(
            step.argv(quick),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            timeout=timeout,
            check=False,
        )
        code: int | None = done.returncode
        tail = done.stderr.strip().splitlines()[-5:]
    except subprocess.TimeoutExpired:
        code, tail = None, [f"timed out after {timeout:.0f} s"]
    record["seconds"] = round(time.perf_counter() - start, 1)
    record["load_after"] = load_average()
    record["exit_code"] = code
    fresh = (
        step.report.exists() and step.report.stat().st_mtime >= time.time() - record["seconds"] - 1
    )
    if code == 0 and fresh:
        record["status"] = "ok"
        record["report"] = json.loads(step.report.read_text(encoding="utf-8"))
    else:
        record["status"] = "failed"
        record["error"] = tail
    print(f"   {record['status']} in {record.get('seconds')} s", file=sys.stderr, flush=True)
    return record


def committed(name: str) -> dict[str, Any] | None:
    path = RESULTS / f"{name}.json"
    if path.exists():
        return dict(json.loads(path.read_text(encoding="utf-8")))
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short smoke run (small samples)")
    parser.add_argument("--bundle", action="store_true", help="also build and time the bundle")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these steps")
    parser.add_argument("--skip", nargs="+", metavar="NAME", default=[], help="skip these steps")
    parser.add_argument("--timeout", type=float, default=600, help="seconds allowed per step")
    parser.add_argument("--doc", type=Path, default=DOC, help="markdown report path")
    parser.add_argument("--json", type=Path, default=RESULTS / "all.json", help="JSON report")
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="run nothing: write the markdown report again from the JSON report (after a "
        "change to performance_doc's text)",
    )
    args = parser.parse_args(argv)
    names = [s.name for s in steps()]
    for name in [*(args.only or []), *args.skip]:
        if name not in names:
            parser.error(f"unknown step {name!r}; steps: {', '.join(names)}")
    from performance_doc import render

    if args.render_only:
        try:
            suite = json.loads(args.json.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            parser.error(f"cannot read the JSON report {args.json}: {exc}")
        markdown, suite["targets"] = render(suite, FIGURES, args.doc.parent)
        write_report(args.json, suite, indent=1, echo=False)
        args.doc.write_text(markdown, encoding="utf-8")
        print(f"wrote {args.doc} and {args.json} from {args.json}", file=sys.stderr)
        return 0
    started = datetime.now(UTC)
    suite: dict[str, Any] = {
        "when": started.isoformat(timespec="seconds"),
        "quick": args.quick,
        "load_at_start": load_average(),
        "machine": machine(),
        "steps": {},
    }
    t0 = time.perf_counter()
    for step in steps():
        wanted = step.name in args.only if args.only else step.name not in args.skip
        if step.name == "bundle" and not args.bundle:
            wanted = False
        if not wanted:
            previous = committed(step.name)
            suite["steps"][step.name] = (
                {"status": "previous", "script": step.script, "report": previous}
                if previous
                else {"status": "skipped", "script": step.script}
            )
            continue
        suite["steps"][step.name] = run_step(step, args.quick, args.timeout)
    suite["seconds"] = round(time.perf_counter() - t0, 1)
    suite["load_at_end"] = load_average()
    markdown, targets = render(suite, FIGURES, args.doc.parent)
    suite["targets"] = targets
    write_report(args.json, suite, indent=1, echo=False)
    args.doc.parent.mkdir(parents=True, exist_ok=True)
    args.doc.write_text(markdown, encoding="utf-8")
    failed = [n for n, s in suite["steps"].items() if s["status"] == "failed"]
    print(f"wrote {args.doc} and {args.json} in {suite['seconds']} s", file=sys.stderr)
    if failed:
        print(f"failed steps: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
