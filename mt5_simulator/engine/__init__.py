"""The simulated terminal's pure core: instruments, quotes, account, trading.

Nothing here does I/O. Time (epoch milliseconds) and randomness
(``random.Random``) are passed in by the caller, so every behaviour can be
replayed in a test without sockets or files (``docs/simulator.md``).
"""
