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

The terminal is composed of parts, one module each, built when it starts;
each part's constructor names what it uses:

- :class:`~mt5_simulator.terminal_state.TerminalState` (settings, clock):
  opens and closes the state dir, store, engine, market source and both
  sockets, and holds the run-time settings the parts share (faults, pause,
  clock offset, fault counters);
- :class:`~mt5_simulator.event_feed.EventFeed` (state, instance): ticks and
  published events; owns the event sequence and the subscribed symbols;
- :class:`~mt5_simulator.control_handler.ControlHandler` (state, feed):
  SIM_CONTROL;
- :class:`~mt5_simulator.request_dispatch.RequestDispatch` (state, feed,
  control): requests and replies; owns the delayed replies.

:class:`SimulatedTerminal` builds them and adds the lifecycle and the serving
loop. :func:`check_endpoint` lives in :mod:`mt5_simulator.endpoints` and is
re-exported here.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

import msgspec
import zmq
from loguru import logger

from fx_protocol.terminal_wire import (
    ErrorReply,
    HeartbeatEvent,
    decode_reply,
)
from mt5_simulator.control import (
    SimControlReply,
    decode_sim_reply,
)
from mt5_simulator.control_handler import ControlHandler
from mt5_simulator.endpoints import check_endpoint
from mt5_simulator.engine.trading import TradingEngine
from mt5_simulator.event_feed import EventFeed
from mt5_simulator.request_dispatch import RequestDispatch
from mt5_simulator.settings import SimulatorSettings
from mt5_simulator.terminal_state import CRASH_EXIT_CODE, TerminalState, check_settings

__all__ = ["CRASH_EXIT_CODE", "SimulatedTerminal", "check_endpoint"]

_MAX_POLL_MS = 50
_MAX_TICK_BATCH = 128  # small, so requests wait at most ~128 ticks behind a burst
_MAX_REQUEST_BATCH = 256
_QUOTE_SAVE_S = 5.0
_STOP_OUT_CHECK_S = 0.1


class SimulatedTerminal:
    """A simulated MT5 terminal + EA: ROUTER for requests, PUB for events, SQLite state."""

    def __init__(
        self,
        settings: SimulatorSettings,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        check_settings(settings)
        self.settings = settings
        self.instance = secrets.token_hex(8)
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._state: TerminalState | None = None  # the parts exist from start() on
        self._feed: EventFeed | None = None
        self._dispatch: RequestDispatch | None = None
        self._failure: BaseException | None = None

    @property
    def engine(self) -> TradingEngine:
        """The trading engine of the running terminal (exists once started)."""
        if self._state is None:
            raise AttributeError("engine: start() first")
        return self._state.engine

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
        assert self._state is not None, "start() first"
        body = {"type": "SIM_CONTROL", "requestId": "ctl-" + secrets.token_hex(4)}
        for name, value in fields.items():
            body[_camel(name)] = _camelize(value)
        with self._state.ctx.socket(zmq.DEALER) as dealer:
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

    def _open(self) -> None:
        """Open the state (all or nothing), then build the parts around it."""
        state = TerminalState(self.settings, clock=self._clock)
        feed = EventFeed(state, self.instance)
        control = ControlHandler(state, feed)
        self._dispatch = RequestDispatch(state, feed, control)
        self._state, self._feed = state, feed

    def _serve(self) -> None:
        assert self._state is not None
        assert self._feed is not None
        assert self._dispatch is not None
        state, feed, dispatch = self._state, self._feed, self._dispatch
        engine = state.engine
        router = state.router
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
            feed.initial_quotes()
            logger.info(
                "fx-mt5sim serving command={} events={} instance={}",
                self.settings.command_endpoint,
                self.settings.events_endpoint,
                self.instance,
            )
            while not self._stop.is_set():
                mono = time.monotonic()
                pacing = state.pacing
                ticking = (pacing.paced or pacing.rate > 0) and not state.paused
                wait_s = min(next_heartbeat, next_account) - mono
                if ticking:
                    wait_s = min(wait_s, pacing.wake_at(emitted) - (mono - started))
                if dispatch.delayed:
                    wait_s = min(wait_s, dispatch.delayed[0][0] - mono)
                timeout = max(0, min(_MAX_POLL_MS, int(wait_s * 1000) + 1)) if wait_s > 0 else 0
                if poller.poll(timeout):
                    for _ in range(_MAX_REQUEST_BATCH):
                        try:
                            frames = router.recv_multipart(zmq.NOBLOCK)
                        except zmq.Again:
                            break
                        dispatch.handle(frames)
                mono = time.monotonic()
                if dispatch.delayed:
                    dispatch.flush_delayed(mono)
                if ticking:
                    due = pacing.due(mono - started) - emitted
                    rate = pacing.rate
                    if not pacing.paced and due > rate:  # over a second behind: skip, no burst
                        emitted += due - int(rate)
                        due = int(rate)
                    batch = min(due, _MAX_TICK_BATCH)
                    if batch > 0:
                        feed.emit_ticks(batch)
                        emitted += batch
                else:
                    # Paused: keep the schedule where it was, so resuming does not burst.
                    started = mono - pacing.at(emitted - 1)
                now = state.now()
                if engine.orders:
                    expired = engine.expire(now)
                    if expired is not None:
                        feed.apply(expired, now)
                if engine.positions and mono >= next_stop_out_check:
                    next_stop_out_check = mono + _STOP_OUT_CHECK_S
                    stopped_out = engine.stop_out(now)
                    if stopped_out is not None:
                        feed.apply(stopped_out, now)
                if mono >= next_heartbeat:
                    next_heartbeat = mono + self.settings.heartbeat_ms / 1000.0
                    if state.faults.heartbeats:
                        feed.publish(
                            HeartbeatEvent(instance=self.instance, seq=0, health=feed.health(now))
                        )
                if mono >= next_account:
                    next_account = mono + self.settings.account_update_ms / 1000.0
                    if engine.positions:
                        info = engine.account_info()
                        if info.equity != last_equity:
                            last_equity = info.equity
                            feed.publish_account(now)
                if mono >= next_quote_save:
                    next_quote_save = mono + _QUOTE_SAVE_S
                    state.save_quotes()
        except BaseException as exc:  # the owner of this thread logs its failure
            self._failure = exc
            logger.opt(exception=exc).critical("fx-mt5sim loop failed: {}", exc)
        finally:
            state.close(save_quotes=self._failure is None)


def _camelize(value: Any) -> Any:
    """Nested dict keys to camelCase too (``set_symbol={"trade_mode": ...}``)."""
    if isinstance(value, dict):
        return {_camel(str(k)): _camelize(v) for k, v in value.items()}
    return value


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
