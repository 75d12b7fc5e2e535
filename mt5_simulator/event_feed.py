"""What the terminal publishes on its PUB socket: ticks, trade transactions, account updates.

Also the health carried by heartbeats and PONG
(``docs/simulator.md``). :class:`EventFeed` is built per run with the opened
:class:`~mt5_simulator.terminal_state.TerminalState` (engine, store, PUB
socket, market source, pause flag, clock) and the run's instance id; it owns
the event sequence number, the subscribed symbols and the last tick time.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec
import zmq
from loguru import logger

from fx_protocol.terminal_wire import (
    AccountUpdateEvent,
    TerminalEvent,
    TerminalHealth,
    TickEvent,
    TradeTransactionEvent,
    encode,
    event_topic,
)
from mt5_simulator.engine.book import Changeset
from mt5_simulator.engine.symbols import default_instruments
from mt5_simulator.terminal_state import TerminalState

_SNDMORE = int(zmq.SNDMORE)
_TICK_TOPICS = {name: b"tick." + name.encode() for name in default_instruments()}


class EventFeed:
    """Ticks into the engine and out on PUB; committing and publishing what they changed."""

    def __init__(self, state: TerminalState, instance: str) -> None:
        self._state = state
        self._engine = state.engine
        self._store = state.store
        self._pub = state.pub
        self.instance = instance
        #: the symbols whose ticks are published (SUBSCRIBE replaces them)
        self.published = set(state.engine.instruments)
        self._seq = 0
        self._last_tick_msc = 0

    def initial_quotes(self) -> None:
        """Give every symbol a quote at once, so trading works before the first timed tick.

        A replay defines the prices itself: until its file quotes a symbol, that
        symbol has no price (10021 PRICE_OFF), as in a terminal before its first tick.
        """
        if self._state.replay is not None:
            return
        saved = self._store.load_quotes()
        now = self._state.now()
        for name, spec in self._engine.instruments.items():
            if name in saved:
                bid, ask, _ = saved[name]
            else:
                half = spec.spread_points * spec.point / 2.0
                bid = spec.normalize_price(spec.start_price - half)
                ask = spec.normalize_price(bid + spec.spread_points * spec.point)
            self.tick(name, bid, ask, now)

    def emit_ticks(self, count: int) -> None:
        state = self._state
        now = state.now()
        if state.replay is not None:
            ticks = []
            for _ in range(count):
                tick = next(state.replay, None)
                if tick is None:
                    break
                ticks.append((tick.symbol, tick.bid, tick.ask))
            self._quote_all(ticks, now)
            if len(ticks) < count:
                state.replay = iter(())
                state.paused = True
                logger.info("replay finished; quotes stay at their last values")
            return
        next_tick = state.walk.next_tick
        self._quote_all([next_tick() for _ in range(count)], now)

    def tick(self, symbol: str, bid: float, ask: float, now: int) -> None:
        self._quote_all(((symbol, bid, ask),), now)

    def _quote_all(self, quotes: Iterable[tuple[str, float, float]], now: int) -> None:
        """Each quote into the engine and out on PUB; what a quote triggers is committed first.

        Tens of thousands a second: what stays the same for a batch (conditions,
        sockets) is looked up once, not per tick.
        """
        engine = self._engine
        conditions = engine.conditions
        if not conditions.connected:
            return  # a terminal cut off from its trade server receives no ticks
        sessions = conditions.market_hours == "sessions"
        closed = conditions.closed_symbols
        instruments = engine.instruments
        on_quote = engine.on_quote
        published = self.published
        instance = self.instance
        send = self._pub.send
        for symbol, bid, ask in quotes:
            if symbol in closed or (sessions and not instruments[symbol].is_open(now)):
                continue  # no quotes while the market is closed, as on a real feed
            changes = on_quote(symbol, bid, ask, now)
            self._last_tick_msc = now
            if symbol in published:
                self._seq += 1
                event = TickEvent(
                    instance=instance, seq=self._seq, symbol=symbol, bid=bid, ask=ask, time_msc=now
                )
                # Two plain sends with a precomputed flag: send_multipart's per-call
                # flag arithmetic was a third of the cost of a tick (benchmarks/bench_mt5sim.py).
                send(_TICK_TOPICS.get(symbol) or b"tick." + symbol.encode(), _SNDMORE)
                send(encode(event))
            if changes is not None:
                self.apply(changes, now)  # publishes with the next seq, in order

    def apply(self, changes: Changeset, now: int) -> None:
        """Commit what a tick or the clock changed, then publish it."""
        self._store.commit(changes, self._engine.account, self._engine.next_ticket)
        self.publish_changes(changes, now)

    def publish_changes(self, changes: Changeset, now: int) -> None:
        for t in changes.transactions:
            self.publish(TradeTransactionEvent(
                instance=self.instance, seq=0, kind=t.kind, symbol=t.symbol, order=t.order,
                position=t.position, deal=t.deal, time_msc=t.time_msc,
            ))  # fmt: skip
        if not changes.empty:
            self.publish_account(now)

    def publish_account(self, now: int) -> None:
        self.publish(
            AccountUpdateEvent(
                instance=self.instance, seq=0, account=self._engine.account_info(), time_msc=now
            )
        )

    def publish(self, event: TerminalEvent) -> None:
        self._seq += 1
        event = msgspec.structs.replace(event, seq=self._seq)
        topic = event_topic(event)
        self._pub.send_multipart([topic, encode(event)])

    def health(self, now: int) -> TerminalHealth:
        c = self._engine.conditions
        return TerminalHealth(
            connected=c.connected, trade_allowed=c.terminal_trade_allowed,
            ea_trade_allowed=c.ea_trade_allowed, last_tick_msc=self._last_tick_msc,
            instance=self.instance, time_msc=now,
        )  # fmt: skip
