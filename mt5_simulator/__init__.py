"""``fx-mt5sim``: a simulated MetaTrader 5 terminal speaking the EA protocol.

- :mod:`mt5_simulator.engine`: the pure trade-server core (instruments, quotes,
  account, trading rules and retcodes); no I/O.
- :mod:`mt5_simulator.store`: all SQL (SQLite, WAL) of the persisted account.
- :mod:`mt5_simulator.server`: the ZeroMQ loop and :class:`SimulatedTerminal`,
  the in-process runner other packages' tests use.
- :mod:`mt5_simulator.control`: the simulator-only ``SIM_CONTROL`` request.
- :mod:`mt5_simulator.settings` and :mod:`mt5_simulator.cli`: settings and the program.

See ``docs/simulator.md``.
"""
