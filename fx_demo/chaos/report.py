"""The Markdown rendering of a drill report (the JSON is the source)."""

from __future__ import annotations

from typing import Any


def markdown(report: dict[str, Any]) -> str:
    cfg = report["config"]
    lines = [
        f"# Fault soak: {report['submitted']} commands, {len(report['faults'])} faults",
        "",
        f"- started {report['started']}, wall time {report['wall_seconds']} s "
        f"({report['host']['cpus']} CPUs, Python {report['host']['python']})",
        f"- seed {cfg['seed']}, concurrency {cfg['concurrency']}, "
        f"max outstanding {cfg['max_outstanding']}",
        f"- brain commands {report['brain_commands']}, terminal deals {report['deals']}, "
        f"brain fills {report['fills']}",
        f"- settle after faults: all final in {report['settle']['final_s']} s, "
        f"fills = deals after {report['settle']['fills_s']} s",
        f"- **violations: {len(report['violations'])}**",
        "",
        "## Final statuses",
        "",
        "| status | commands |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in sorted(report["statuses"].items())],
        "",
        "## Reject reasons",
        "",
        "| reason | commands |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in sorted(report["reasons"].items())],
        "",
        "## Workload",
        "",
        "| kind | submitted |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in sorted(report["workload"].items())],
        "",
        "## Faults by kind",
        "",
        "| kind | count |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in sorted(report["fault_kinds"].items())],
        "",
        f"HALTED windows: {len(report['halt_windows'])} "
        f"({sum(h['commands'] for h in report['halt_windows'])} risk commands inside).",
        "",
    ]
    if report.get("rechecked"):
        again = report["rechecked"]
        lines += [
            "## Rechecked",
            "",
            f"Invariants re-run on the kept data (`soak.py --recheck`): {again['why']}. "
            f"At run time the checker reported {again['violations_at_run_time']} "
            f"({', '.join(again['rules_at_run_time'])}).",
            "",
        ]
    if report["harness_errors"]:
        lines += ["## Harness errors", "", *[f"- {e}" for e in report["harness_errors"][:50]], ""]
    if report["violations"]:
        lines += ["## Violations", ""]
        lines += [
            f"- `{v['rule']}` command {v['command_id']} deal {v['deal']}: {v['detail'][:300]}"
            for v in report["violations"][:200]
        ]
        lines.append("")
    lines += [
        "## Fault log",
        "",
        "| # | kind | at command | t (s) | held (s) | recovery (s) | detail |",
        "|---|---|---|---|---|---|---|",
        *[
            f"| {f['index']} | {f['kind']} | {f['at_command']} | {f['started_s']} | "
            f"{f['seconds']} | {f['recovered_s']} | {f['detail']} |"
            for f in report["faults"]
        ],
        "",
    ]
    return "\n".join(lines)
