"""Random sequences of trades and quotes keep the account consistent, in memory and on disk."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fx_protocol.terminal_wire import Trade, TradeOutcome
from fx_protocol.vocabulary import Action
from mt5_simulator.engine.book import Changeset
from mt5_simulator.store import Store
from tests.mt5_simulator.engine_fixtures import NOW, make_engine, trade

SYMBOLS = ["EURUSD", "USDJPY", "XAUUSD"]

operation = st.one_of(
    st.tuples(
        st.just("open"),
        st.sampled_from(SYMBOLS),
        st.sampled_from(["BUY", "SELL"]),
        st.sampled_from([0.01, 0.05, 0.1, 0.3, 1.0]),
    ),
    st.tuples(st.just("close"), st.integers(0, 10), st.sampled_from([None, 0.01, 0.05, 0.2])),
    st.tuples(st.just("move"), st.sampled_from(SYMBOLS), st.floats(-0.004, 0.004)),
    st.tuples(
        st.just("pending"),
        st.sampled_from(SYMBOLS),
        st.sampled_from(["BUY_LIMIT", "SELL_LIMIT", "BUY_STOP", "SELL_STOP"]),
        st.floats(0.0005, 0.003),
    ),
    st.tuples(st.just("stops"), st.integers(0, 10), st.floats(0.0005, 0.005)),
    st.tuples(st.just("close_all"), st.sampled_from([None, *SYMBOLS])),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(mode=st.sampled_from(["hedging", "netting"]), ops=st.lists(operation, max_size=40))
def test_random_operations_keep_the_books_consistent(mode: str, ops: list[tuple[Any, ...]]) -> None:
    """Balance equals the start plus every deal's profit, volumes stay on the step, netting
    keeps one position per symbol, and the store reloads exactly the engine's positions/orders."""
    engine = make_engine(mode, balance=100_000.0)
    engine.conditions.commission_per_lot = 3.5
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.in_dir(Path(tmp))
        store.create_account(engine.account, engine.next_ticket)
        profits = 0.0
        now = NOW

        def commit(changes: Changeset | None, outcome: TradeOutcome | None = None) -> None:
            nonlocal profits
            if changes is None:
                return
            profits += sum(d.profit + d.commission for d in changes.deals)
            store.commit(changes, engine.account, engine.next_ticket, outcome)

        def send(request: Trade) -> None:
            outcome, changes = engine.trade(request, now)
            commit(changes, outcome)

        for op in ops:
            now += 1000
            tickets = sorted(engine.positions)
            if op[0] == "open":
                _, symbol, side, volume = op
                request = trade(Action.OPEN_POSITION, symbol=symbol, order_type=side, volume=volume)
                send(request)
            elif op[0] == "close" and tickets:
                _, index, volume = op
                request = trade(Action.CLOSE_POSITION, ticket=tickets[index % len(tickets)],
                                volume=volume)  # fmt: skip
                send(request)
            elif op[0] == "move":
                _, symbol, change = op
                quote = engine.quotes[symbol]
                spec = engine.instruments[symbol]
                bid = spec.normalize_price(quote.bid * (1 + change))
                ask = spec.normalize_price(bid + spec.spread_points * spec.point)
                commit(engine.on_quote(symbol, bid, ask, now))
                # Nothing the new quote reaches may be left standing.
                for p in engine.positions.values():
                    if p.symbol == symbol and p.is_buy:
                        assert not (p.sl and bid <= p.sl)
                        assert not (p.tp and bid >= p.tp)
                    elif p.symbol == symbol:
                        assert not (p.sl and ask >= p.sl)
                        assert not (p.tp and ask <= p.tp)
                for o in engine.orders.values():
                    if o.symbol == symbol:
                        assert not {
                            "BUY_LIMIT": ask <= o.price,
                            "BUY_STOP": ask >= o.price,
                            "SELL_LIMIT": bid >= o.price,
                            "SELL_STOP": bid <= o.price,
                        }[o.order_type]
            elif op[0] == "pending":
                _, symbol, kind, distance = op
                quote = engine.quotes[symbol]
                below = kind in ("BUY_LIMIT", "SELL_STOP")
                price = quote.bid * (1 - distance) if below else quote.ask * (1 + distance)
                request = trade(Action.PLACE_ORDER, symbol=symbol, order_type=kind, volume=0.05,
                                price=price)  # fmt: skip
                send(request)
            elif op[0] == "stops" and tickets:
                _, index, distance = op
                position = engine.positions[tickets[index % len(tickets)]]
                quote = engine.quotes[position.symbol]
                if position.is_buy:
                    sl, tp = quote.bid * (1 - distance), quote.bid * (1 + distance)
                else:
                    sl, tp = quote.ask * (1 + distance), quote.ask * (1 - distance)
                request = trade(Action.MODIFY_POSITION, ticket=position.ticket, sl=sl, tp=tp)
                send(request)
            elif op[0] == "close_all":
                request = trade(Action.CLOSE_ALL, symbol=op[1])
                send(request)

            assert abs(engine.account.balance - (100_000.0 + profits)) < 0.01 * (len(ops) + 1)
            for position in engine.positions.values():
                spec = engine.instruments[position.symbol]
                assert position.volume > 0
                assert spec.volume_valid(position.volume)
            if mode == "netting":
                symbols = [p.symbol for p in engine.positions.values()]
                assert len(symbols) == len(set(symbols))

        reloaded = {p.ticket: p for p in store.load_positions()}
        assert reloaded == engine.positions
        assert {o.ticket: o for o in store.load_orders()} == engine.orders
        account, next_ticket = store.load_account()  # type: ignore[misc]
        assert account.balance == engine.account.balance
        assert next_ticket == engine.next_ticket
        deal_tickets = [d.ticket for d in store.deals()]
        assert deal_tickets == sorted(set(deal_tickets))
        store.close()
