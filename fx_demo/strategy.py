"""The demo strategy: small orders with SL/TP through :class:`fx_client.BrainClient`.

Each round, on one of :data:`SYMBOLS` in turn, it opens a position with
SL/TP, places a pending limit order, modifies the position's SL/TP, cancels
the pending order, closes part of the position, sends one command that a
local safety limit of the executor refuses, opens and closes an opposite
position and finally closes the rest: every action of the contract, at a
gentle pace. Outcomes go to a :class:`~fx_demo.tally.Tally`.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import websockets

from fx_client import Action, BrainClient, BrainError, CommandView
from fx_demo.tally import Outcome, Tally
from fx_demo.watch import Quote, Watch
from fx_protocol.errors import ProtocolError

SYMBOLS = ("EURUSD", "GBPUSD", "XAUUSD")
#: quoted by the simulator but not in the demo's ``allowed_symbols``: the executor refuses it
REFUSED_SYMBOL = "USDJPY"
DIGITS = {"EURUSD": 5, "GBPUSD": 5, "USDJPY": 3, "XAUUSD": 2}
#: the executor limits the demo runs with (``[limits]`` of its config)
LIMITS: dict[str, Any] = {
    "allowed_symbols": list(SYMBOLS),
    "max_volume_per_order": 1.0,
    "max_total_volume_per_symbol": 2.0,
    "max_open_positions": 20,
    "max_orders_per_minute": 120,
    "max_price_deviation_pct": 0.5,
}
STRATEGY_ID = "fx-demo"
VOLUME = 0.02
RESULT_TIMEOUT = 20.0


def fmt(symbol: str, price: float) -> str:
    """A price with the symbol's digits, as a trader reads it."""
    return f"{price:.{DIGITS.get(symbol, 5)}f}"


def stop_levels(side: str, quote: Quote, symbol: str, distance_pct: float) -> tuple[float, float]:
    """SL and TP ``distance_pct`` % away from the price a ``side`` position closes at."""
    digits = DIGITS.get(symbol, 5)
    if side == "BUY":
        return (
            round(quote.bid * (1 - distance_pct / 100), digits),
            round(quote.bid * (1 + distance_pct / 100), digits),
        )
    return (
        round(quote.ask * (1 + distance_pct / 100), digits),
        round(quote.ask * (1 - distance_pct / 100), digits),
    )


class EventFeed:
    """Follows the brain's events stream into a :class:`Watch`; reconnects when it breaks."""

    def __init__(self, brain: BrainClient, executor_id: str, watch: Watch) -> None:
        self.brain = brain
        self.executor_id = executor_id
        self.watch = watch
        self._changed = asyncio.Event()

    async def run(self) -> None:
        for delay in _backoff():
            try:
                async for event in self.brain.events(self.executor_id):
                    self.watch.apply(event)
                    self._changed.set()
            except (OSError, websockets.WebSocketException, ProtocolError, TimeoutError):
                pass  # the brain went away for a moment: follow it again
            await asyncio.sleep(delay)

    async def changed(self) -> None:
        """Until the next event."""
        self._changed.clear()
        await self._changed.wait()


def _backoff() -> itertools.chain[float]:
    return itertools.chain((0.2, 0.5, 1.0), itertools.repeat(2.0))


class DemoStrategy:
    """See the module docstring. :meth:`run` loops until cancelled."""

    def __init__(
        self,
        brain: BrainClient,
        executor_id: str,
        feed: EventFeed,
        tally: Tally,
        *,
        pace: float,
        on_outcome: Callable[[Outcome], None] = lambda _o: None,
    ) -> None:
        self.brain = brain
        self.executor_id = executor_id
        self.feed = feed
        self.tally = tally
        self.pace = pace
        self.on_outcome = on_outcome
        self._run_id = uuid.uuid4().hex[:8]
        self._seq = itertools.count(1)

    async def run(self) -> None:
        for number in itertools.count():
            try:
                await self.round(SYMBOLS[number % len(SYMBOLS)], number)
            except httpx.HTTPError as exc:
                self._note(Outcome("brain unreachable", "retrying", type(exc).__name__))
                await asyncio.sleep(2.0)

    async def quote(self, symbol: str) -> Quote:
        """The latest quote, waiting for the first tick of ``symbol`` if need be."""
        async with asyncio.timeout(30):
            while (quote := self.feed.watch.quotes.get(symbol)) is None:
                await self.feed.changed()
        return quote

    async def round(self, symbol: str, number: int) -> None:
        """One pass over every action on ``symbol``."""
        digits = DIGITS.get(symbol, 5)
        quote = await self.quote(symbol)
        sl, tp = stop_levels("BUY", quote, symbol, 0.30)
        buy = await self.send(
            f"open BUY {VOLUME} {symbol} sl {fmt(symbol, sl)} tp {fmt(symbol, tp)}",
            {"action": "OPEN_POSITION", "symbol": symbol, "type": "BUY", "volume": VOLUME,
             "stopLoss": sl, "takeProfit": tp},
        )  # fmt: skip
        quote = await self.quote(symbol)
        price = round(quote.bid * 0.998, digits)
        lsl, ltp = round(price * 0.997, digits), round(price * 1.003, digits)
        limit = await self.send(
            f"place BUY_LIMIT 0.01 {symbol} @ {fmt(symbol, price)}",
            {"action": "PLACE_ORDER", "symbol": symbol, "type": "BUY_LIMIT", "volume": 0.01,
             "price": price, "stopLoss": lsl, "takeProfit": ltp},
        )  # fmt: skip
        buy_ticket = _ticket(buy)
        if buy_ticket is not None:
            quote = await self.quote(symbol)
            sl, tp = stop_levels("BUY", quote, symbol, 0.20)
            await self.send(
                f"modify #{buy_ticket} sl {fmt(symbol, sl)} tp {fmt(symbol, tp)}",
                {"action": "MODIFY_POSITION", "ticket": buy_ticket, "stopLoss": sl,
                 "takeProfit": tp},
            )  # fmt: skip
        limit_ticket = _ticket(limit)
        if limit_ticket is not None:
            await self.send(
                f"cancel order #{limit_ticket}", {"action": "CANCEL_ORDER", "ticket": limit_ticket}
            )
        if buy_ticket is not None:
            await self.send(
                f"close 0.01 of #{buy_ticket} (partial)",
                {"action": "CLOSE_POSITION", "ticket": buy_ticket, "volume": 0.01},
            )
        await self._refused(number)
        quote = await self.quote(symbol)
        sl, tp = stop_levels("SELL", quote, symbol, 0.30)
        sell = await self.send(
            f"open SELL 0.01 {symbol} sl {fmt(symbol, sl)} tp {fmt(symbol, tp)}",
            {"action": "OPEN_POSITION", "symbol": symbol, "type": "SELL", "volume": 0.01,
             "stopLoss": sl, "takeProfit": tp},
        )  # fmt: skip
        for ticket in (buy_ticket, _ticket(sell)):
            if ticket is not None:
                await self.send(f"close #{ticket}", {"action": "CLOSE_POSITION", "ticket": ticket})

    async def _refused(self, number: int) -> None:
        """A command the executor's local limits refuse before it can reach the terminal."""
        if number % 2 == 0:
            await self.send(
                f"open BUY 0.01 {REFUSED_SYMBOL} (not an allowed symbol)",
                {"action": "OPEN_POSITION", "symbol": REFUSED_SYMBOL, "type": "BUY",
                 "volume": 0.01},
            )  # fmt: skip
        else:
            await self.send(
                "open BUY 5 EURUSD (over max_volume_per_order)",
                {"action": "OPEN_POSITION", "symbol": "EURUSD", "type": "BUY", "volume": 5.0},
            )

    async def send(self, label: str, command: dict[str, Any]) -> CommandView | None:
        """Submit, wait for the final status, record it; the view, or None without one."""
        await asyncio.sleep(self.pace)
        self.tally.on_sent()
        key = f"{STRATEGY_ID}-{self._run_id}-{next(self._seq)}"
        try:
            submitted = await self.brain.submit(
                self.executor_id, command, strategy_id=STRATEGY_ID, idempotency_key=key
            )
        except BrainError as exc:  # refused by the brain's own validation
            self._final(Outcome(label, "rejected", f"{exc.reason} (brain)"), exc.reason)
            return None
        try:
            view = await self.brain.wait_for_result(submitted.command_id, RESULT_TIMEOUT)
        except TimeoutError:
            self._final(Outcome(label, "no answer", f"not final after {RESULT_TIMEOUT:.0f} s"))
            return None
        self._final(_outcome(label, view), view.reason)
        return view

    def _final(self, outcome: Outcome, reason: str | None = None) -> None:
        self.tally.on_final(outcome, reason)
        self.on_outcome(outcome)

    def _note(self, outcome: Outcome) -> None:
        self.on_outcome(outcome)


def _ticket(view: CommandView | None) -> int | None:
    if view is None or view.status != "executed" or view.result is None:
        return None
    return view.result.ticket


def _outcome(label: str, view: CommandView) -> Outcome:
    status = str(view.status)
    if status == "executed":
        result = view.result
        parts = []
        if result is not None and result.ticket is not None:
            parts.append(f"#{result.ticket}")
        priced = view.command.action in (Action.OPEN_POSITION, Action.CLOSE_POSITION)
        if result is not None and result.price and priced:
            parts.append(f"@ {fmt(view.command.symbol or '', result.price)}")
        latency = None
        if view.executed_at is not None:
            latency = (view.executed_at - view.created_at).total_seconds() * 1000
        return Outcome(label, status, " ".join(parts), latency)
    if status == "rejected":
        detail = f"{view.reason} ({view.source})" if view.source else str(view.reason)
        return Outcome(label, status, detail)
    return Outcome(label, status, view.reason or "")
