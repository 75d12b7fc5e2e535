# ruff: noqa: E501 - markdown table rows: long lines are the output
"""The profiles section: py-spy's busy frames per process, ours and innermost."""

from __future__ import annotations

from typing import Any

from .values import dig, fmt


def section(lines: list[str], r: dict[str, Any]) -> None:
    rows = []
    for where, data in (
        ("e2e, sustained window", dig(r, "e2e", "profiles")),
        ("ticks, top rate", dig(dig(r, "ticks", "rates", -1), "profiles")),
    ):
        for proc, p in (data or {}).items():
            rows.append((where, proc, p.get("top") or {}))
    if not rows:
        return
    lines += ["## Profiles (py-spy)", ""]
    lines.append(
        "py-spy at 250 Hz with idle stacks, all threads; a sample whose innermost frame is "
        "a wait (select, ZeroMQ poll, an idle database or pool worker) counts as idle; in "
        "the brain, which runs uvloop, the loop's own C code (its epoll wait and socket "
        "work) shows as `Runner.run` and is counted idle too, so the brain's busy share is "
        "its Python only. Per process: the "
        "share of busy samples, the innermost frames of the busy ones, and our functions "
        "by share of busy samples on the stack. Raw collapsed stacks in "
        "`benchmarks/results/raw/profiles/` (not committed)."
    )
    lines.append("")
    for where, proc, top in rows:
        if not isinstance(top, dict):
            continue
        lines += [f"**{proc}, {where}**: busy in {fmt(top.get('busy_pct'))}% of samples.", ""]
        lines += [
            "| innermost frame | % of busy | our function on the stack | % of busy |",
            "|---|---:|---|---:|",
        ]
        leaves, ours = top.get("leaves") or [], top.get("ours") or []
        for i in range(max(len(leaves), len(ours))):
            a = leaves[i] if i < len(leaves) else ("", None)
            b = ours[i] if i < len(ours) else ("", None)
            lines.append(
                f"| `{a[0]}` | {fmt(a[1])} | `{b[0]}` | {fmt(b[1])} |"
                if a[0] and b[0]
                else f"| {('`' + a[0] + '`') if a[0] else ''} | {fmt(a[1]) if a[0] else ''} | {('`' + b[0] + '`') if b[0] else ''} | {fmt(b[1]) if b[0] else ''} |"
            )
        lines.append("")
