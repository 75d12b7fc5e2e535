"""Long fault drill: the real brain, simulated terminal and executor under seeded faults.

    uv run python benchmarks/soak.py --commands 100000 --faults 300 --seed 1

Writes ``docs/soak/soak-<commands>-<seed>.json`` and ``.md`` (and ``latest.*``) with the
figures and every violation; exits 1 if any invariant broke. See docs/reliability.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from pathlib import Path

from fx_demo.chaos.harness import Harness, RunConfig
from fx_demo.chaos.report import markdown

OUT = Path(__file__).resolve().parent.parent / "docs" / "soak"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=100_000, help="commands to submit")
    parser.add_argument("--faults", type=int, default=300, help="faults to inject")
    parser.add_argument("--seed", type=int, default=1, help="seed of workload and faults")
    parser.add_argument("--concurrency", type=int, default=8, help="REST submissions in flight")
    parser.add_argument("--max-outstanding", type=int, default=200, help="non-final cap")
    parser.add_argument("--halt-windows", type=int, default=5, help="HALTED windows")
    parser.add_argument(
        "--max-seconds", type=float, default=0.0, help="stop submitting after this long"
    )
    parser.add_argument("--out", type=Path, default=OUT, help="report directory")
    parser.add_argument("--keep", type=Path, default=None, help="keep logs and data here")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)
    if args.commands < 1 or args.faults < 0:
        parser.error("--commands must be >= 1 and --faults >= 0")
    config = RunConfig(
        commands=args.commands,
        faults=args.faults,
        seed=args.seed,
        concurrency=args.concurrency,
        max_outstanding=args.max_outstanding,
        halt_windows=args.halt_windows,
        settle_timeout=600.0,
        max_seconds=args.max_seconds,
        root=args.keep,
        keep=args.keep is not None,
        verbose=not args.quiet,
    )
    # SIGTERM unwinds like Ctrl-C so the stack's programs are stopped, not orphaned.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    report = asyncio.run(Harness(config).run())
    args.out.mkdir(parents=True, exist_ok=True)
    stem = f"soak-{args.commands}-{args.seed}"
    for name in (stem, "latest"):
        (args.out / f"{name}.json").write_text(json.dumps(report, indent=1) + "\n", "utf-8")
        (args.out / f"{name}.md").write_text(markdown(report), "utf-8")
    print(
        f"soak: {report['submitted']} commands, {len(report['faults'])} faults, "
        f"{len(report['violations'])} violations, {report['wall_seconds']} s -> {args.out}"
    )
    return 1 if report["violations"] else 0


if __name__ == "__main__":
    sys.exit(main())
