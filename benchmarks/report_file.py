"""A benchmark's JSON report: the machine it ran on, and writing it to its file.

Every script of ``benchmarks/`` puts :func:`machine` under the ``"machine"``
key of its report and writes the report with :func:`write_report`, so
``performance_doc`` finds the same keys in every report.
"""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages: the machine is shared, a report says how busy."""
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict[str, Any]:
    """Python, platform, CPU count, the load average and the time, as of this call."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": load_average(),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def write_report(path: Path, report: dict[str, Any], indent: int = 2, echo: bool = True) -> None:
    """``report`` as JSON in ``path`` (folders created); ``echo`` prints it on stdout too."""
    text = json.dumps(report, indent=indent, ensure_ascii=False) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if echo:
        print(text, end="")
