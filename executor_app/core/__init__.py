"""The executor's pure core: safety checks, trading state, brain session, reconciliation.

Nothing here does I/O. Time, ids and market data are passed in by the runtime
(``executor_app.runtime``), so every rule is tested with a clock that moves
only when told.
"""
