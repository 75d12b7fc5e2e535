"""Tolerant lookups and formatting of report values: a missing figure shows as a dash."""

from __future__ import annotations

import json
from typing import Any


def dig(data: Any, *keys: Any) -> Any:
    """``data[k1][k2]...`` or None where any step is missing."""
    for key in keys:
        if (isinstance(data, dict) and key in data) or (
            isinstance(data, list) and isinstance(key, int) and -len(data) <= key < len(data)
        ):
            data = data[key]
        else:
            return None
    return data


def fmt(value: Any, unit: str = "", digits: int = 2) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        text = f"{value:,.{digits}f}" if abs(value) < 100 else f"{value:,.0f}"
    else:
        text = f"{value:,}" if isinstance(value, int) else str(value)
    return f"{text} {unit}".strip()


def ratio(a: Any, b: Any) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return round(float(a) / float(b), 2)


def largest(*values: Any) -> float | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def compact(data: Any) -> str:
    def strip(x: Any) -> Any:
        if isinstance(x, dict):
            return {
                k: strip(v)
                for k, v in x.items()
                if k not in ("quantiles_ms", "machine", "profiles")
            }
        return x

    return json.dumps(strip(data), indent=1, ensure_ascii=False)[:3000]


def machine_of(report: Any) -> dict[str, Any]:
    """A report's machine block (``benchmarks/report_file.py``): python, platform, cpus, when...

    Reports written before every script shared ``report_file.machine()`` kept
    some of these at the top level (run_all's suite: ``cpus``; bench_brain:
    ``when``, ``python`` and ``machine`` as a string; bench_bundle and
    bench_codec: ``when``/``python``/``platform``/``cpus``), and bench_executor
    and bench_gui named the load ``load_average_1m_at_end``. Committed reports
    of that time are still rendered, so both places are read here, and only here.
    """
    if not isinstance(report, dict):
        return {}
    old = {k: report[k] for k in ("python", "platform", "cpus", "when") if k in report}
    block = report.get("machine")
    return {**old, **block} if isinstance(block, dict) else old
