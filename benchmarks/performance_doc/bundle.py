# ruff: noqa: E501 - markdown table rows: long lines are the output
"""The bundle section: size and start-up of the PyInstaller bundle (benchmarks/bench_bundle.py)."""

from __future__ import annotations

from typing import Any

from .values import dig, fmt, machine_of


def section(lines: list[str], r: dict[str, Any]) -> None:
    bundle = r.get("bundle")
    if bundle:
        lines += ["## Bundle (benchmarks/bench_bundle.py)", ""]
        lines.append(
            f"Size {fmt(dig(bundle, 'size', 'mib'))} MiB in {fmt(dig(bundle, 'size', 'files'))} files (report of {machine_of(bundle).get('when')})."
        )
        lines += ["", "| start-up | median ms | mean ms |", "|---|---:|---:|"]
        for k, v in (bundle.get("startup") or {}).items():
            lines.append(f"| {k} | {fmt(v.get('median_ms'))} | {fmt(v.get('mean_ms'))} |")
        lines.append("")
