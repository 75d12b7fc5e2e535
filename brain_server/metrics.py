"""Prometheus text exposition of the brain (``GET /metrics``), written by hand.

Counters and the latency histogram live in memory (reset on restart, as
Prometheus expects); gauges (commands by status, queue depth) are read from
the store at scrape time so they survive restarts.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping

from brain_server.store import StatusChange
from fx_protocol.vocabulary import CommandStatus

#: seconds from submission to the executor's final answer
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Histogram:
    def __init__(self, buckets: tuple[float, ...]) -> None:
        self.buckets = buckets
        self.counts = [0] * (len(buckets) + 1)
        self.total = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self.buckets, value)] += 1
        self.total += value
        self.count += 1

    def lines(self, name: str) -> list[str]:
        out, running = [], 0
        for bound, count in zip(self.buckets, self.counts, strict=False):
            running += count
            out.append(f'{name}_bucket{{le="{bound}"}} {running}')
        out.append(f'{name}_bucket{{le="+Inf"}} {self.count}')
        out.append(f"{name}_sum {self.total:.6f}")
        out.append(f"{name}_count {self.count}")
        return out


class Metrics:
    def __init__(self) -> None:
        self.submitted = 0
        self.transitions: dict[str, int] = {}
        self.latency = Histogram(LATENCY_BUCKETS)
        self.auth_failures = 0
        self.protocol_errors = 0

    def command_changed(self, change: StatusChange) -> None:
        status = change.row.status
        self.transitions[status.value] = self.transitions.get(status.value, 0) + 1
        if status in (CommandStatus.EXECUTED, CommandStatus.REJECTED) and change.row.sent_ms:
            done = change.row.completed_ms or change.row.updated_ms
            self.latency.observe(max(0, done - change.row.created_ms) / 1000)

    def render(
        self,
        commands_by_status: Mapping[str, int],
        executors_online: int,
        executors_total: int,
        queue_depth: int,
        subscribers: int,
        latencies: Mapping[str, float],
    ) -> str:
        lines = [
            "# HELP fx_brain_commands Stored commands by status.",
            "# TYPE fx_brain_commands gauge",
        ]
        for status in CommandStatus:
            lines.append(
                f'fx_brain_commands{{status="{status.value}"}} '
                f"{commands_by_status.get(status.value, 0)}"
            )
        lines += [
            "# HELP fx_brain_command_transitions_total Status changes since start, by new status.",
            "# TYPE fx_brain_command_transitions_total counter",
        ]
        for status in CommandStatus:
            lines.append(
                f'fx_brain_command_transitions_total{{status="{status.value}"}} '
                f"{self.transitions.get(status.value, 0)}"
            )
        lines += [
            "# HELP fx_brain_commands_submitted_total Commands accepted by the API since start.",
            "# TYPE fx_brain_commands_submitted_total counter",
            f"fx_brain_commands_submitted_total {self.submitted}",
            "# HELP fx_brain_command_latency_seconds Submission to final executor answer.",
            "# TYPE fx_brain_command_latency_seconds histogram",
            *self.latency.lines("fx_brain_command_latency_seconds"),
            "# HELP fx_brain_executors_online Executors with a live session.",
            "# TYPE fx_brain_executors_online gauge",
            f"fx_brain_executors_online {executors_online}",
            "# HELP fx_brain_executors Registered, not revoked executors.",
            "# TYPE fx_brain_executors gauge",
            f"fx_brain_executors {executors_total}",
            "# HELP fx_brain_queue_depth Commands waiting to be sent (pending).",
            "# TYPE fx_brain_queue_depth gauge",
            f"fx_brain_queue_depth {queue_depth}",
            "# HELP fx_brain_event_subscribers Open /ws/events streams.",
            "# TYPE fx_brain_event_subscribers gauge",
            f"fx_brain_event_subscribers {subscribers}",
            "# HELP fx_brain_auth_failures_total Failed executor HELLOs and API tokens.",
            "# TYPE fx_brain_auth_failures_total counter",
            f"fx_brain_auth_failures_total {self.auth_failures}",
            "# HELP fx_brain_ws_protocol_errors_total Executor frames that failed to decode.",
            "# TYPE fx_brain_ws_protocol_errors_total counter",
            f"fx_brain_ws_protocol_errors_total {self.protocol_errors}",
            "# HELP fx_brain_executor_rtt_ms Heartbeat round trip per live executor.",
            "# TYPE fx_brain_executor_rtt_ms gauge",
        ]
        for executor_id, value in sorted(latencies.items()):
            lines.append(f'fx_brain_executor_rtt_ms{{executor="{executor_id}"}} {value}')
        return "\n".join(lines) + "\n"
