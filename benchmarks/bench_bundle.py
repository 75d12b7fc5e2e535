"""Size and start-up time of the PyInstaller bundle of fx-executor, beside the interpreter floor.

    uv run --group installer python benchmarks/bench_bundle.py [--runs N] [--bundle DIR]

Builds the one-folder bundle with installer/build.py into a temporary folder
(or measures an existing one given with --bundle), then reports:

- size: bytes and files of the whole folder, and the biggest parts of it;
- start-up: wall time of `fx-executor-console --version` from the bundle, run
  N times after warm-up runs (hyperfine style: mean, median, min, max, stdev),
  beside, in the same run, the floor `python -c pass` (the bare interpreter
  this project runs on) and the unbundled `fx-executor --version` from the
  project environment.

Results are printed and written to benchmarks/results/bundle.json.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from report_file import machine, write_report

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "bundle.json"
BUILD_SCRIPT = ROOT / "installer" / "build.py"
APP = "fx-executor"


def _exe(folder: Path, name: str) -> Path:
    return folder / (f"{name}.exe" if sys.platform == "win32" else name)


def build(into: Path) -> tuple[Path, float]:
    """Build the bundle; returns its folder and the build's wall time in seconds."""
    if importlib.util.find_spec("PyInstaller") is None:
        raise SystemExit(
            "bench_bundle.py: PyInstaller is not installed here; run with "
            "`uv run --group installer python benchmarks/bench_bundle.py`"
        )
    folders = ["--dist", str(into / "dist"), "--work", str(into / "work")]
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, str(BUILD_SCRIPT), "--no-installer", *folders],
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    return into / "dist" / APP, time.perf_counter() - started


def size_report(bundle: Path, top: int = 8) -> dict[str, Any]:
    """Total bytes and files, and the biggest entries one level inside the library folder."""
    files = [p for p in bundle.rglob("*") if p.is_file() and not p.is_symlink()]
    total = sum(p.stat().st_size for p in files)
    parts: dict[str, int] = {}
    internal = bundle / "_internal"
    for path in files:
        relative = path.relative_to(internal if path.is_relative_to(internal) else bundle)
        key = relative.parts[0]
        if key == "PySide6" and len(relative.parts) > 2:  # Qt itself is worth splitting up
            key = "/".join(relative.parts[:3])
        parts[key] = parts.get(key, 0) + path.stat().st_size
    biggest = sorted(parts.items(), key=lambda item: item[1], reverse=True)[:top]
    return {
        "bytes": total,
        "mib": round(total / 2**20, 1),
        "files": len(files),
        "biggest_mib": {name: round(size / 2**20, 1) for name, size in biggest},
    }


def time_command(argv: list[str], runs: int, warmup: int) -> dict[str, Any]:
    """Wall time of a whole command, hyperfine style; fails if the command fails."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    samples: list[float] = []
    for index in range(warmup + runs):
        started = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, env=env, check=False)
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"bench_bundle.py: {argv[0]} failed: {done.stderr[-300:]!r}")
        if index >= warmup:
            samples.append(elapsed * 1000)
    return {
        "command": " ".join(Path(argv[0]).name if i == 0 else a for i, a in enumerate(argv)),
        "runs": runs,
        "mean_ms": round(statistics.fmean(samples), 1),
        "median_ms": round(statistics.median(samples), 1),
        "min_ms": round(min(samples), 1),
        "max_ms": round(max(samples), 1),
        "stdev_ms": round(statistics.stdev(samples), 1) if runs > 1 else 0.0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_bundle.py", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per command")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs first (page cache)")
    parser.add_argument("--bundle", type=Path, help="measure this bundle instead of building")
    parser.add_argument("--output", type=Path, default=RESULTS, help="JSON report path")
    args = parser.parse_args(argv)
    if args.runs < 2:
        parser.error("--runs must be at least 2")

    with tempfile.TemporaryDirectory(prefix="bench-bundle-") as scratch:
        build_seconds: float | None = None
        if args.bundle is None:
            bundle, build_seconds = build(Path(scratch))
        else:
            bundle = args.bundle
        if not _exe(bundle, f"{APP}-console").is_file():
            parser.error(f"{bundle} is not an fx-executor bundle")
        source_script = Path(sys.executable).with_name(APP)
        commands = {
            "floor: python -c pass": [sys.executable, "-c", "pass"],
            "source: fx-executor --version": [str(source_script), "--version"],
            "bundle: fx-executor-console --version": [
                str(_exe(bundle, f"{APP}-console")),
                "--version",
            ],
        }
        startup = {
            name: time_command(command, args.runs, args.warmup)
            for name, command in commands.items()
        }
        size = size_report(bundle)
        report: dict[str, Any] = {
            "benchmark": "bundle",
            "pyinstaller": _version("pyinstaller"),
            "pyside6": _version("PySide6-Essentials"),
            "build_seconds": None if build_seconds is None else round(build_seconds, 1),
            "size": size,
            "startup": startup,
            "machine": machine(),
        }

    write_report(args.output, report, echo=False)  # the lines below are the output
    print(f"bundle: {size['mib']} MiB in {size['files']} files; biggest: {size['biggest_mib']}")
    if build_seconds is not None:
        print(f"build: {build_seconds:.1f} s")
    for name, figures in startup.items():
        print(
            f"{name:40} median {figures['median_ms']:7.1f} ms  "
            f"mean {figures['mean_ms']:7.1f} ± {figures['stdev_ms']:.1f} ms  "
            f"min {figures['min_ms']:.1f}"
        )
    print(f"wrote {args.output}")
    return 0


def _version(distribution: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


if __name__ == "__main__":
    sys.exit(main())
