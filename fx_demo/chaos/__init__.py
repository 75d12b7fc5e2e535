"""Fault drills of the real programs: a TCP fault proxy, a seeded workload and fault plan,
and invariants checked against the simulated terminal's deal ledger and the brain's store.

Used by ``tests/faults/`` (CI-sized run) and ``benchmarks/soak.py`` (long runs); see
``docs/reliability.md``.
"""
