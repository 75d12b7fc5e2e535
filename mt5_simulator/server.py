"""The simulated terminal's I/O loop: ZeroMQ ROUTER + PUB around the trading engine.

Use it in-process from any test (real sockets, a real SQLite file)::

    from mt5_simulator.server import SimulatedTerminal
    from mt5_simulator.settings import SimulatorSettings, FaultSettings

    settings = SimulatorSettings(
        command_endpoint=f"tcp://127.0.0.1:{port1}",
        events_endpoint=f"tcp://127.0.0.1:{port2}",
        state_dir=str(tmp_path / "mt5"),
        seed=7,
        tick_rate=50,                    # ticks/s across symbols; 0 = only setQuote
        symbols=("EURUSD", "XAUUSD"),
        mode="hedging", balance=10_000, leverage=100, currency="USD",
        heartbeat_ms=200,
        faults=FaultSettings(reply_delay_ms=0),
    )
    with SimulatedTerminal(settings) as terminal:   # start() binds, then serves in a thread
        terminal.control(set_quote={"symbol": "EURUSD", "bid": 1.1, "ask": 1.1001})
        ...                                          # talk to it with a DEALER and a SUB
    # stop() closes both sockets: the ports are free again

``start()`` binds both sockets in the calling thread (so a busy port raises
``zmq.ZMQError`` there) and then serves from a daemon thread; ``stop()``
asks the loop to finish, saves the last quotes and closes everything.
``serve_forever()`` runs the same loop in the calling thread (the CLI does).
``control(**fields)`` sends one ``SIM_CONTROL`` request (field names, nested
ones too, in snake_case or camelCase; see :mod:`mt5_simulator.control`) and
returns the decoded ``SimControlReply`` (``ValueError`` if it was refused).
``instance`` is this run's random instance id, as in every event;
``failure`` is the exception that ended the loop early, if any (also logged).

The loop: poll the ROUTER, decode each request once, hand it to the engine,
commit what changed (with the command record, one transaction), reply, then
publish the resulting events; between requests emit the ticks that are due at
``tick_rate`` in batches, heartbeats every ``heartbeat_ms`` and pending-order
expirations (``docs/simulator.md``).
"""

from __future__ import annotations

import heapq
import itertools
import os
import random
import secrets
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace as dc_replace
from pathlib import Path
from typing import Any

import msgspec
import zmq
from loguru import logger

from fx_protocol.errors import ProtocolError
from fx_protocol.terminal_wire import (
    AccountInfo,
    AccountUpdateEvent,
    CommandStatusReply,
    DealsList,
    ErrorReply,
    GetAccount,
    GetDeals,
    GetOrders,
    GetPositions,
    GetSymbols,
    HeartbeatEvent,
    Ping,
    Pong,
    QueryCommand,
    Subscribe,
    Subscribed,
    TerminalEvent,
    TerminalHealth,
    TerminalReply,
    TickEvent,
    Trade,
    TradeReply,
    TradeTransactionEvent,
    decode_reply,
    encode,
    event_topic,
)
from mt5_simulator.control import (
    ControlState,
    SimControl,
    SimControlReply,
    decode_sim_reply,
    decode_sim_request,
)
from mt5_simulator.engine import views
from mt5_simulator.engine.account import Account
from mt5_simulator.engine.book import Changeset
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

__all__ = ["CRASH_EXIT_CODE", "SimulatedTerminal", "check_endpoint"]

#: exit status of an injected crash (the contract's generic failure code)
CRASH_EXIT_CODE = 1
_MAX_POLL_MS = 50
_MAX_TICK_BATCH = 128  # small, so requests wait at most ~128 ticks behind a burst
_MAX_REQUEST_BATCH = 256
_QUOTE_SAVE_S = 5.0
_SNDMORE = int(zmq.SNDMORE)
_TICK_TOPICS = {name: b"tick." + name.encode() for name in default_instruments()}
_STOP_OUT_CHECK_S = 0.1
#: the envelope frames a reply goes back with: (identity,) or (identity, b"") for REQ
Route = tuple[bytes, ...]
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")


def check_endpoint(endpoint: str, allow_remote: bool) -> str | None:
    """A warning for a non-loopback endpoint when allowed; raises SettingsError when not."""
    scheme, _, rest = endpoint.partition("://")
    if scheme in ("ipc", "inproc"):
        return None
    if scheme != "tcp" or ":" not in rest:
        raise SettingsError(f"endpoint {endpoint!r} must look like tcp://127.0.0.1:PORT")
    host = rest.rsplit(":", 1)[0]
    if host in _LOOPBACK_HOSTS:
        return None
    if not allow_remote:
        raise SettingsError(
            f"endpoint {endpoint!r} is not loopback; pass --allow-remote to expose the terminal"
        )
    return f"endpoint {endpoint} is reachable from other machines: anyone there can trade"


class SimulatedTerminal:
    """A simulated MT5 terminal + EA: ROUTER for requests, PUB for events, SQLite state."""

    def __init__(
        self,
        settings: SimulatorSettings,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        for endpoint in (settings.command_endpoint, settings.events_endpoint):
            check_endpoint(endpoint, settings.allow_remote)
        unknown = [s for s in settings.symbols if s not in default_instruments()]
        if unknown:
            raise SettingsError(f"unknown symbols: {', '.join(unknown)}")
        self.settings = settings
        self.instance = secrets.token_hex(8)
        self._clock = clock
        self._clock_offset_ms = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._ctx: zmq.Context[zmq.Socket[bytes]] | None = None
        self._router: zmq.Socket[bytes] | None = None
        self._pub: zmq.Socket[bytes] | None = None
        self._store: Store | None = None
        self._failure: BaseException | None = None

    # ------------------------------------------------------------ lifecycle

    def __enter__(self) -> SimulatedTerminal:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Open the state, bind both sockets, then serve from a background thread."""
        self._open()
        self._thread = threading.Thread(target=self._serve, name="fx-mt5sim", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the loop, close the sockets and the database. Safe to call twice."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def request_stop(self) -> None:
        """Ask the loop to end (signal handlers call this)."""
        self._stop.set()

    def serve_forever(self, on_ready: Callable[[], None] | None = None) -> None:
        """Open, bind and serve in the calling thread until :meth:`request_stop`."""
        self._open()
        if on_ready is not None:
            on_ready()
        self._serve()
        if self._failure is not None:
            raise self._failure

    @property
    def failure(self) -> BaseException | None:
        """The exception that ended the serving loop early, if one did (it is also logged)."""
        return self._failure

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def control(self, timeout_ms: int = 5000, **fields: Any) -> SimControlReply:
        """Send one SIM_CONTROL request over a fresh DEALER and return the reply."""
        assert self._ctx is not None, "start() first"
        body = {"type": "SIM_CONTROL", "requestId": "ctl-" + secrets.token_hex(4)}
        for name, value in fields.items():
            body[_camel(name)] = _camelize(value)
        with self._ctx.socket(zmq.DEALER) as dealer:
            dealer.setsockopt(zmq.LINGER, 0)
            dealer.connect(self.settings.command_endpoint)
            dealer.send(msgspec.json.encode(body))
            if not dealer.poll(timeout_ms):
                raise TimeoutError("no SIM_CONTROL reply")
            raw = dealer.recv()
        if b'"type":"ERROR"' in raw:
            error = decode_reply(raw)
            assert isinstance(error, ErrorReply)
            raise ValueError(f"SIM_CONTROL refused at {error.field}: {error.message}")
        return decode_sim_reply.decode(raw)

    # ------------------------------------------------------------ setup

    def _open(self) -> None:
        """Read the replay, lock the state dir, load the account, bind: all or nothing."""
        s = self.settings
        replay = _replay_ticks(Path(s.replay), set(s.symbols)) if s.replay else None
        self._lock = StateLock(s.resolved_state_dir())
        self._lock.acquire()
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
        self._rng = random.Random(s.seed)
        self.engine = TradingEngine(
            instruments,
            account,
            rng=self._rng,
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
        self._walk = RandomWalk(instruments.values(), self._rng)
        saved = store.load_quotes()
        for name in instruments:
            if name in saved:
                bid, ask, _ = saved[name]
                self._walk.seed_mid(name, (bid + ask) / 2.0)
        self._replay: Iterator[ReplayTick] | None = None
        self._pacing = Pacing(s.tick_rate)
        if replay is not None:
            ticks = replay
            self._replay = iter(ticks)
            if s.replay_speed > 0 and ticks:
                first = ticks[0].time_msc
                offsets = [max(0, tick.time_msc - first) for tick in ticks]
                # A file out of time order is replayed in file order at its latest pace.
                offsets = list(itertools.accumulate(offsets, max))
                self._pacing = Pacing(s.tick_rate, offsets, s.replay_speed)
        self._faults = s.faults
        self._paused = False
        self._published = set(instruments)
        self._seq = 0
        self._last_tick_msc = 0
        self._trades_done = 0
        self._trades_seen = 0
        self._delayed: list[tuple[float, int, Route, bytes]] = []
        self._tiebreak = itertools.count()  # keeps equal-time delayed replies in order
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
        self._ctx, self._router, self._pub = ctx, router, pub

    # ------------------------------------------------------------ loop

    def _serve(self) -> None:
        assert self._router is not None
        router = self._router
        poller = zmq.Poller()
        poller.register(router, zmq.POLLIN)
        started = time.monotonic()
        emitted = 0
        next_heartbeat = started
        next_account = started
        next_quote_save = started + _QUOTE_SAVE_S
        next_stop_out_check = started
        last_equity: float | None = None
        try:
            self._initial_quotes()
            logger.info(
                "fx-mt5sim serving command={} events={} instance={}",
                self.settings.command_endpoint,
                self.settings.events_endpoint,
                self.instance,
            )
            while not self._stop.is_set():
                mono = time.monotonic()
                pacing = self._pacing
                ticking = (pacing.paced or pacing.rate > 0) and not self._paused
                wait_s = min(next_heartbeat, next_account) - mono
                if ticking:
                    wait_s = min(wait_s, pacing.at(emitted) - (mono - started))
                if self._delayed:
                    wait_s = min(wait_s, self._delayed[0][0] - mono)
                timeout = max(0, min(_MAX_POLL_MS, int(wait_s * 1000) + 1)) if wait_s > 0 else 0
                if poller.poll(timeout):
                    for _ in range(_MAX_REQUEST_BATCH):
                        try:
                            frames = router.recv_multipart(zmq.NOBLOCK)
                        except zmq.Again:
                            break
                        self._handle(frames)
                mono = time.monotonic()
                if self._delayed:
                    self._flush_delayed(mono)
                if ticking:
                    due = pacing.due(mono - started) - emitted
                    rate = pacing.rate
                    if not pacing.paced and due > rate:  # over a second behind: skip, no burst
                        emitted += due - int(rate)
                        due = int(rate)
                    batch = min(due, _MAX_TICK_BATCH)
                    if batch > 0:
                        self._emit_ticks(batch)
                        emitted += batch
                else:
                    # Paused: keep the schedule where it was, so resuming does not burst.
                    started = mono - pacing.at(emitted - 1)
                now = self._now()
                if self.engine.orders:
                    expired = self.engine.expire(now)
                    if expired is not None:
                        self._apply(expired, now)
                if self.engine.positions and mono >= next_stop_out_check:
                    next_stop_out_check = mono + _STOP_OUT_CHECK_S
                    stopped_out = self.engine.stop_out(now)
                    if stopped_out is not None:
                        self._apply(stopped_out, now)
                if mono >= next_heartbeat:
                    next_heartbeat = mono + self.settings.heartbeat_ms / 1000.0
                    if self._faults.heartbeats:
                        self._publish(
                            HeartbeatEvent(instance=self.instance, seq=0, health=self._health(now))
                        )
                if mono >= next_account:
                    next_account = mono + self.settings.account_update_ms / 1000.0
                    if self.engine.positions:
                        info = self.engine.account_info()
                        if info.equity != last_equity:
                            last_equity = info.equity
                            self._publish_account(now)
                if mono >= next_quote_save:
                    next_quote_save = mono + _QUOTE_SAVE_S
                    self._save_quotes()
        except BaseException as exc:  # the owner of this thread logs its failure
            self._failure = exc
            logger.opt(exception=exc).critical("fx-mt5sim loop failed: {}", exc)
        finally:
            self._close()

    def _close(self) -> None:
        try:
            if self._failure is None:
                self._save_quotes()
        finally:
            if self._router is not None:
                self._router.close(0)
            if self._pub is not None:
                self._pub.close(0)
            if self._ctx is not None:
                self._ctx.term()
            if self._store is not None:
                self._store.close()
            self._lock.release()
            self._router = self._pub = None
            self._store = None
            logger.info("fx-mt5sim stopped")

    def _now(self) -> int:
        return int(self._clock() * 1000) + self._clock_offset_ms

    # ------------------------------------------------------------ requests

    def _handle(self, frames: list[bytes]) -> None:
        # DEALER clients send [payload] (the ROUTER adds the identity); a REQ socket
        # adds an empty delimiter, which is kept so REQ-based tools work too.
        route: Route = (frames[0],)
        if len(frames) == 3 and frames[1] == b"":
            route = (frames[0], b"")
            frames = [frames[0], frames[2]]
        if len(frames) != 2:
            self._reply(
                route,
                ErrorReply(
                    request_id="?",
                    code="BAD_REQUEST",
                    message="expected exactly one frame per request",
                ),
            )
            return
        payload = frames[1]
        try:
            request = decode_sim_request(payload)
        except ProtocolError as exc:
            self._reply(
                route,
                ErrorReply(
                    request_id=_salvage_request_id(payload),
                    code="BAD_REQUEST",
                    message=exc.message,
                    field=exc.field,
                ),
            )
            return
        if isinstance(request, Trade):
            self._trade(route, request)
            return
        try:
            reply = self._answer(request)
        except Exception as exc:
            logger.opt(exception=exc).error("request {} failed", type(request).__name__)
            reply = ErrorReply(
                request_id=request.request_id,
                code="INTERNAL",
                message="internal error; see the simulator log",
            )
        if reply is not None:
            self._reply(route, reply)

    def _reply(self, route: Route, reply: TerminalReply | SimControlReply) -> None:
        data = encode(reply)
        delay = self._faults.reply_delay_ms
        if delay > 0:
            due = time.monotonic() + delay / 1000.0
            heapq.heappush(self._delayed, (due, next(self._tiebreak), route, data))
            return
        assert self._router is not None
        self._router.send_multipart([*route, data])

    def _flush_delayed(self, mono: float) -> None:
        assert self._router is not None
        while self._delayed and self._delayed[0][0] <= mono:
            _, _, route, data = heapq.heappop(self._delayed)
            self._router.send_multipart([*route, data])

    def _trade(self, route: Route, request: Trade) -> None:
        assert self._store is not None
        store = self._store
        previous = store.outcome(request.command_id)
        if previous is not None:
            self._reply(
                route,
                TradeReply(request_id=request.request_id, duplicate=True, outcome=previous),
            )
            return
        now = self._now()
        faults = self._faults
        self._trades_seen += 1
        if faults.crash_before_trade and self._trades_seen >= faults.crash_before_trade:
            _crash("crash before trade (fault injection)")
        if faults.reject_next > 0:
            outcome = self.engine.rejection(
                request, faults.reject_retcode, "rejected by fault injection", now
            )
            changes = Changeset()
            self._faults = msgspec.structs.replace(faults, reject_next=faults.reject_next - 1)
        else:
            outcome, changes = self.engine.trade(request, now)
        # One transaction: the rows and the command record (docs/simulator.md § Persistence).
        store.commit(changes, self.engine.account, self.engine.next_ticket, outcome)
        logger.debug(
            "{} {} {} -> {} {}",
            request.command_id,
            request.action.value,
            request.symbol or request.ticket or "",
            outcome.retcode,
            outcome.message,
        )
        self._trades_done += 1
        if faults.crash_after_trades and self._trades_done >= faults.crash_after_trades:
            _crash("crash after trade (fault injection)")
        if self._faults.drop_trade_replies > 0:
            self._faults = msgspec.structs.replace(
                self._faults, drop_trade_replies=self._faults.drop_trade_replies - 1
            )
            logger.info("dropping the reply to {} (fault injection)", request.command_id)
        else:
            self._reply(route, TradeReply(request_id=request.request_id, outcome=outcome))
        self._publish_changes(changes, now)

    def _answer(self, request: Any) -> TerminalReply | SimControlReply | None:
        engine = self.engine
        rid = request.request_id
        if isinstance(request, Ping):
            return Pong(request_id=rid, health=self._health(self._now()))
        if isinstance(request, GetAccount):
            return AccountInfo(request_id=rid, account=engine.account_info())
        if isinstance(request, QueryCommand):
            assert self._store is not None
            outcome = self._store.outcome(request.command_id)
            return CommandStatusReply(
                request_id=rid,
                command_id=request.command_id,
                known=outcome is not None,
                outcome=outcome,
            )
        if isinstance(request, GetPositions):
            return views.positions_list(engine, request)
        if isinstance(request, GetOrders):
            return views.orders_list(engine, request)
        if isinstance(request, GetDeals):
            assert self._store is not None
            deals = self._store.deals(request.after_ticket, request.limit + 1)
            return DealsList(
                request_id=rid, deals=deals[: request.limit], more=len(deals) > request.limit
            )
        if isinstance(request, GetSymbols):
            return views.symbols_info(engine, request)
        if isinstance(request, Subscribe):
            known = [s for s in request.symbols if s in engine.instruments]
            self._published = set(known)
            return Subscribed(
                request_id=rid,
                symbols=known,
                unknown=[s for s in request.symbols if s not in engine.instruments],
            )
        if isinstance(request, SimControl):
            return self._control(request)
        raise TypeError(f"unhandled request {type(request).__name__}")

    def _control(self, request: SimControl) -> SimControlReply | ErrorReply:
        engine, conditions = self.engine, self.engine.conditions
        # Refuse before changing anything: a control request applies whole or not at all.
        if request.set_symbol is not None and request.set_symbol.symbol not in engine.instruments:
            return self._control_error(request, "$.setSymbol.symbol", "unknown symbol")
        if request.set_quote is not None:
            q = request.set_quote
            if q.symbol not in engine.instruments:
                return self._control_error(request, "$.setQuote.symbol", "unknown symbol")
            if q.ask < q.bid:
                return self._control_error(request, "$.setQuote.ask", "ask below bid")
        if request.crash:
            _crash("crash requested by SIM_CONTROL")
        faults = self._faults
        fault_changes = {
            name: getattr(request, name)
            for name in (
                "reply_delay_ms", "drop_trade_replies", "reject_next", "reject_retcode",
                "heartbeats", "crash_after_trades", "crash_before_trade",
            )
            if getattr(request, name) is not None
        }  # fmt: skip
        if fault_changes:
            self._faults = faults = msgspec.structs.replace(faults, **fault_changes)
            if "crash_after_trades" in fault_changes:
                self._trades_done = 0
            if "crash_before_trade" in fault_changes:
                self._trades_seen = 0
        if request.pause_market is not None:
            self._paused = request.pause_market
        if request.advance_clock_ms:
            self._clock_offset_ms += request.advance_clock_ms
        for name in (
            "slippage_points", "max_trades_per_second", "max_positions", "max_orders",
            "stop_out_level", "commission_per_lot",
        ):  # fmt: skip
            value = getattr(request, name)
            if value is not None:
                setattr(conditions, name, value)
        if request.terminal is not None:
            t = request.terminal
            if t.connected is not None:
                conditions.connected = t.connected
            if t.trade_allowed is not None:
                conditions.terminal_trade_allowed = t.trade_allowed
            if t.ea_trade_allowed is not None:
                conditions.ea_trade_allowed = t.ea_trade_allowed
            if t.account_trade_allowed is not None:
                conditions.account_trade_allowed = t.account_trade_allowed
        if request.set_symbol is not None:
            setting = request.set_symbol
            spec = engine.instruments[setting.symbol]
            changes: dict[str, object] = {}
            for name in ("trade_mode", "filling_modes", "stops_level", "freeze_level"):
                value = getattr(setting, name)
                if value is not None:
                    changes[name] = value
            engine.instruments[setting.symbol] = dc_replace(spec, **changes)  # type: ignore[arg-type]
            if setting.market_open is not None:
                if setting.market_open:
                    conditions.closed_symbols.discard(setting.symbol)
                else:
                    conditions.closed_symbols.add(setting.symbol)
            if setting.clear_quote:
                engine.quotes.pop(setting.symbol, None)
        if request.set_quote is not None:
            q = request.set_quote
            spec = engine.instruments[q.symbol]
            self._tick(
                q.symbol, spec.normalize_price(q.bid), spec.normalize_price(q.ask), self._now()
            )
            self._walk.seed_mid(q.symbol, (q.bid + q.ask) / 2.0)
        if request.advance_clock_ms and engine.orders:
            expired = engine.expire(self._now())
            if expired is not None:
                self._apply(expired, self._now())
        return SimControlReply(request_id=request.request_id, state=self._control_state())

    @staticmethod
    def _control_error(request: SimControl, field: str, message: str) -> ErrorReply:
        code = "UNKNOWN_SYMBOL" if message == "unknown symbol" else "BAD_REQUEST"
        return ErrorReply(request_id=request.request_id, code=code, message=message, field=field)

    def _control_state(self) -> ControlState:
        f = self._faults
        return ControlState(
            paused=self._paused, reply_delay_ms=f.reply_delay_ms,
            drop_trade_replies=f.drop_trade_replies, reject_next=f.reject_next,
            reject_retcode=f.reject_retcode, heartbeats=f.heartbeats,
            crash_after_trades=f.crash_after_trades, crash_before_trade=f.crash_before_trade,
            clock_offset_ms=self._clock_offset_ms,
        )  # fmt: skip

    # ------------------------------------------------------------ ticks and events

    def _initial_quotes(self) -> None:
        """Give every symbol a quote at once, so trading works before the first timed tick.

        A replay defines the prices itself: until its file quotes a symbol, that
        symbol has no price (10021 PRICE_OFF), as in a terminal before its first tick.
        """
        if self._replay is not None:
            return
        saved = self._store.load_quotes() if self._store else {}
        now = self._now()
        for name, spec in self.engine.instruments.items():
            if name in saved:
                bid, ask, _ = saved[name]
            else:
                half = spec.spread_points * spec.point / 2.0
                bid = spec.normalize_price(spec.start_price - half)
                ask = spec.normalize_price(bid + spec.spread_points * spec.point)
            self._tick(name, bid, ask, now)

    def _emit_ticks(self, count: int) -> None:
        now = self._now()
        if self._replay is not None:
            for _ in range(count):
                tick = next(self._replay, None)
                if tick is None:
                    self._replay = iter(())
                    self._paused = True
                    logger.info("replay finished; quotes stay at their last values")
                    return
                self._tick(tick.symbol, tick.bid, tick.ask, now)
            return
        walk = self._walk
        for _ in range(count):
            symbol, bid, ask = walk.next_tick()
            self._tick(symbol, bid, ask, now)

    def _tick(self, symbol: str, bid: float, ask: float, now: int) -> None:
        if (
            self.engine.conditions.market_hours == "sessions"
            and not self.engine.instruments[symbol].is_open(now)
        ) or symbol in self.engine.conditions.closed_symbols:
            return  # no quotes while the market is closed, as on a real feed
        if not self.engine.conditions.connected:
            return  # a terminal cut off from its trade server receives no ticks
        changes = self.engine.on_quote(symbol, bid, ask, now)
        self._last_tick_msc = now
        if symbol in self._published:
            self._seq += 1
            assert self._pub is not None
            event = TickEvent(
                instance=self.instance, seq=self._seq, symbol=symbol, bid=bid, ask=ask, time_msc=now
            )
            # Two plain sends with a precomputed flag: send_multipart's per-call
            # flag arithmetic was a third of the cost of a tick (benchmarks/bench_mt5sim.py).
            self._pub.send(_TICK_TOPICS.get(symbol) or b"tick." + symbol.encode(), _SNDMORE)
            self._pub.send(encode(event))
        if changes is not None:
            self._apply(changes, now)

    def _apply(self, changes: Changeset, now: int) -> None:
        """Commit what a tick or the clock changed, then publish it."""
        assert self._store is not None
        self._store.commit(changes, self.engine.account, self.engine.next_ticket)
        self._publish_changes(changes, now)

    def _publish_changes(self, changes: Changeset, now: int) -> None:
        for t in changes.transactions:
            self._publish(TradeTransactionEvent(
                instance=self.instance, seq=0, kind=t.kind, symbol=t.symbol, order=t.order,
                position=t.position, deal=t.deal, time_msc=t.time_msc,
            ))  # fmt: skip
        if not changes.empty:
            self._publish_account(now)

    def _publish_account(self, now: int) -> None:
        self._publish(
            AccountUpdateEvent(
                instance=self.instance, seq=0, account=self.engine.account_info(), time_msc=now
            )
        )

    def _publish(self, event: TerminalEvent) -> None:
        assert self._pub is not None
        self._seq += 1
        event = msgspec.structs.replace(event, seq=self._seq)
        topic = event_topic(event)
        self._pub.send_multipart([topic, encode(event)])

    def _health(self, now: int) -> TerminalHealth:
        c = self.engine.conditions
        return TerminalHealth(
            connected=c.connected, trade_allowed=c.terminal_trade_allowed,
            ea_trade_allowed=c.ea_trade_allowed, last_tick_msc=self._last_tick_msc,
            instance=self.instance, time_msc=now,
        )  # fmt: skip

    def _save_quotes(self) -> None:
        if self._store is None:
            return
        quotes = {s: (q.bid, q.ask, q.time_msc) for s, q in self.engine.quotes.items()}
        if quotes:
            self._store.save_quotes(quotes)


def _salvage_request_id(payload: bytes) -> str:
    """The requestId of an undecodable request if it can be read, else "?"."""
    try:
        data = msgspec.json.decode(payload)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return "?"
    if isinstance(data, dict):
        value = data.get("requestId")
        if isinstance(value, str) and 0 < len(value) <= 40:
            return value
    return "?"


def _replay_ticks(path: Path, symbols: set[str]) -> list[ReplayTick]:
    """The whole replay file, read at start so a bad line stops the start, not the loop."""
    try:
        with path.open(encoding="utf-8") as handle:
            return [tick for tick in parse_replay(handle) if tick.symbol in symbols]
    except OSError as exc:
        raise SettingsError(f"cannot read replay file {path}: {exc.strerror}") from None
    except ReplayError as exc:
        raise SettingsError(f"replay file {path}: {exc}") from None


def _crash(reason: str) -> None:
    sys.stderr.write(f"fx-mt5sim: {reason}\n")
    sys.stderr.flush()
    os._exit(CRASH_EXIT_CODE)


def _camelize(value: Any) -> Any:
    """Nested dict keys to camelCase too (``set_symbol={"trade_mode": ...}``)."""
    if isinstance(value, dict):
        return {_camel(str(k)): _camelize(v) for k, v in value.items()}
    return value


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
