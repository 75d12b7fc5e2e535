"""What the demo strategy did: commands sent, their outcomes, latencies. No I/O.

The strategy records each command as it is sent and again when it is final;
the console and the closing summary read from here.
"""

from __future__ import annotations

import statistics
from collections import Counter, deque
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Outcome:
    """One finished command, as the activity feed shows it."""

    label: str
    status: str
    detail: str = ""
    latency_ms: float | None = None


@dataclass
class Tally:
    """Counters of the demo run; ``latencies_ms`` are submit→executed, brain-measured."""

    sent: int = 0
    executed: int = 0
    rejected: int = 0
    other: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    recent: deque[Outcome] = field(default_factory=lambda: deque(maxlen=8))

    def on_sent(self) -> None:
        self.sent += 1

    def on_final(self, outcome: Outcome, reason: str | None = None) -> None:
        if outcome.status == "executed":
            self.executed += 1
            if outcome.latency_ms is not None:
                self.latencies_ms.append(outcome.latency_ms)
        elif outcome.status == "rejected":
            self.rejected += 1
            self.reasons[reason or "?"] += 1
        else:  # expired, cancelled, or no answer in time
            self.other += 1
        self.recent.append(outcome)

    @property
    def last_latency_ms(self) -> float | None:
        return self.latencies_ms[-1] if self.latencies_ms else None

    @property
    def median_latency_ms(self) -> float | None:
        return statistics.median(self.latencies_ms) if self.latencies_ms else None

    @property
    def round_trips(self) -> int:
        """Commands that went brain → executor → terminal and back, executed."""
        return self.executed

    def summary_lines(self) -> list[str]:
        """The closing summary, one fact per line."""
        median = self.median_latency_ms
        reasons = ", ".join(f"{code} x{n}" for code, n in sorted(self.reasons.items()))
        lines = [
            f"commands sent      {self.sent}",
            f"executed           {self.executed}",
            f"rejected           {self.rejected}" + (f"  ({reasons})" if reasons else ""),
        ]
        if self.other:
            lines.append(f"other outcomes     {self.other}  (expired, cancelled or unanswered)")
        lines.append(
            "median latency     "
            + ("-" if median is None else f"{median:.1f} ms")
            + "  (submit -> executed, measured by the brain)"
        )
        return lines
