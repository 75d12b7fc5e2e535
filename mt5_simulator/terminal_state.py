"""The simulated terminal's state: the locked state dir, store, engine, market source, sockets.

One :class:`TerminalState` is opened per run by
:class:`mt5_simulator.server.SimulatedTerminal` (all or nothing) and closed
when the loop ends. It also holds the run-time settings the other parts share
(faults, pause, clock offset, fault counters), the clock, and the crash used
by fault injection.
"""

from __future__ import annotations

import itertools
import os
import random
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import zmq
from loguru import logger

from mt5_simulator.endpoints import check_endpoint
from mt5_simulator.engine.account import Account
from mt5_simulator.engine.conditions import Conditions
from mt5_simulator.engine.market import (
    Pacing,
    RandomWalk,
    ReplayError,
    ReplayTick,
    parse_replay,
)
from mt5_simulator.engine.symbols import default_instruments
from mt5_simulator.engine.trading import TradingEngine
from mt5_simulator.settings import SettingsError, SimulatorSettings
from mt5_simulator.state_lock import StateLock
from mt5_simulator.store import Store

#: exit status of an injected crash (the contract's generic failure code)
CRASH_EXIT_CODE = 1
#: the envelope frames a reply goes back with: (identity,) or (identity, b"") for REQ
Route = tuple[bytes, ...]


def check_settings(settings: SimulatorSettings) -> None:
    """Refuse endpoints and symbols the terminal cannot serve, before anything is opened."""
    for endpoint in (settings.command_endpoint, settings.events_endpoint):
        check_endpoint(endpoint, settings.allow_remote)
    unknown = [s for s in settings.symbols if s not in default_instruments()]
    if unknown:
        raise SettingsError(f"unknown symbols: {', '.join(unknown)}")


class TerminalState:
    """Settings, state lock, store, trading engine, market source and the two sockets.

    Constructing it opens everything (reads the replay, locks the state dir,
    loads the account, binds both sockets): all or nothing. The plain
    attributes after the sockets are the run-time state that SIM_CONTROL,
    the request dispatch, the event feed and the loop share.
    """

    def __init__(
        self,
        settings: SimulatorSettings,
        *,
        clock: Callable[[], float],
    ) -> None:
        s = settings
        self.settings = settings
        self._clock = clock
        self.clock_offset_ms = 0
        replay = _replay_ticks(Path(s.replay), set(s.symbols)) if s.replay else None
        self._lock = StateLock(s.resolved_state_dir())
        self._lock.acquire()
        self._store: Store | None = None  # None again once closed: nothing is saved after
        try:
            self._open_locked(replay)
        except BaseException:
            if self._store is not None:
                self._store.close()
                self._store = None
            self._lock.release()
            raise

    def _open_locked(self, replay: list[ReplayTick] | None) -> None:
        s = self.settings
        state_dir = s.resolved_state_dir()
        self._store = store = Store.in_dir(state_dir)
        self.store = store
        loaded = store.load_account()
        if loaded is None:
            account = Account(s.login, s.server, s.currency, s.balance, s.leverage, s.mode)
            next_ticket = 1_000_001
            store.create_account(account, next_ticket)
        else:
            account, next_ticket = loaded
            if account.mode != s.mode:
                logger.warning(
                    "state in {} holds a {} account; keeping it (settings ask for {})",
                    state_dir,
                    account.mode,
                    s.mode,
                )
        instruments = {name: default_instruments()[name] for name in s.symbols}
        rng = random.Random(s.seed)
        self.engine = TradingEngine(
            instruments,
            account,
            rng=rng,
            conditions=Conditions(
                market_hours=s.market_hours,
                slippage_points=s.slippage_points,
                max_trades_per_second=s.max_trades_per_second,
                commission_per_lot=s.commission_per_lot,
                stop_out_level=s.stop_out_level,
            ),
            positions=store.load_positions(),
            orders=store.load_orders(),
            next_ticket=next_ticket,
        )
        self.walk = RandomWalk(instruments.values(), rng)
        saved = store.load_quotes()
        for name in instruments:
            if name in saved:
                bid, ask, _ = saved[name]
                self.walk.seed_mid(name, (bid + ask) / 2.0)
        #: the replay's remaining ticks, or None for the random walk
        self.replay: Iterator[ReplayTick] | None = None
        self.pacing = Pacing(s.tick_rate)
        if replay is not None:
            ticks = replay
            self.replay = iter(ticks)
            if s.replay_speed > 0 and ticks:
                first = ticks[0].time_msc
                offsets = [max(0, tick.time_msc - first) for tick in ticks]
                # A file out of time order is replayed in file order at its latest pace.
                offsets = list(itertools.accumulate(offsets, max))
                self.pacing = Pacing(s.tick_rate, offsets, s.replay_speed)
        self.faults = s.faults
        self.paused = False
        self.trades_done = 0  # counted for crash_after_trades
        self.trades_seen = 0  # counted for crash_before_trade
        ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
        router = ctx.socket(zmq.ROUTER)
        pub = ctx.socket(zmq.PUB)
        for sock in (router, pub):
            sock.setsockopt(zmq.LINGER, 0)
        pub.setsockopt(zmq.SNDHWM, 100_000)
        try:
            router.bind(s.command_endpoint)
            pub.bind(s.events_endpoint)
        except zmq.ZMQError:
            router.close()
            pub.close()
            ctx.term()
            raise
        self.ctx, self.router, self.pub = ctx, router, pub

    def close(self, *, save_quotes: bool) -> None:
        """Close the sockets, the store and the lock; save the last quotes first if asked."""
        try:
            if save_quotes:
                self.save_quotes()
        finally:
            self.router.close(0)
            self.pub.close(0)
            self.ctx.term()
            if self._store is not None:
                self._store.close()
            self._lock.release()
            self._store = None
            logger.info("fx-mt5sim stopped")

    def save_quotes(self) -> None:
        if self._store is None:
            return
        quotes = {s: (q.bid, q.ask, q.time_msc) for s, q in self.engine.quotes.items()}
        if quotes:
            self._store.save_quotes(quotes)

    def now(self) -> int:
        return int(self._clock() * 1000) + self.clock_offset_ms


def _replay_ticks(path: Path, symbols: set[str]) -> list[ReplayTick]:
    """The whole replay file, read at start so a bad line stops the start, not the loop."""
    try:
        with path.open(encoding="utf-8") as handle:
            return [tick for tick in parse_replay(handle) if tick.symbol in symbols]
    except OSError as exc:
        raise SettingsError(f"cannot read replay file {path}: {exc.strerror}") from None
    except ReplayError as exc:
        raise SettingsError(f"replay file {path}: {exc}") from None


def crash(reason: str) -> None:
    """End the process at once, as a crashing terminal would (fault injection)."""
    sys.stderr.write(f"fx-mt5sim: {reason}\n")
    sys.stderr.flush()
    os._exit(CRASH_EXIT_CODE)
