"""Positions, closes, netting, SL/TP and pending triggers, CLOSE_ALL and account arithmetic."""

from __future__ import annotations

import random

import pytest

from fx_protocol.retcodes import Retcode
from fx_protocol.vocabulary import Action
from mt5_simulator.engine.trading import TradingEngine
from tests.mt5_simulator.engine_fixtures import NOW, buy, make_engine, sell, trade


def test_partial_close_keeps_the_rest_open() -> None:
    """Closing part of a position books that part's profit and leaves the remainder."""
    engine = make_engine()
    opened, _ = engine.trade(buy(volume=0.5), NOW)
    engine.on_quote("EURUSD", 1.08610, 1.08620, NOW)  # bid 100 points above the 1.08510 fill
    close = trade(Action.CLOSE_POSITION, ticket=opened.position, volume=0.2)
    outcome, changes = engine.trade(close, NOW)
    assert (outcome.retcode, outcome.volume, outcome.price) == (Retcode.DONE, 0.2, 1.08610)
    (deal,) = changes.deals
    assert (deal.entry, deal.side, deal.position_id) == ("OUT", "SELL", opened.position)
    assert deal.profit == pytest.approx(20.0)  # 0.2 lot * 100k * 0.0010
    assert engine.positions[opened.position].volume == pytest.approx(0.3)
    assert engine.account.balance == pytest.approx(10_020.0)


def test_partial_close_volume_must_be_on_the_step() -> None:
    """A partial volume that is not a multiple of the volume step gives 10014."""
    engine = make_engine()
    opened, _ = engine.trade(buy(volume=0.5), NOW)
    close = trade(Action.CLOSE_POSITION, ticket=opened.position, volume=0.155)
    assert engine.trade(close, NOW)[0].retcode == Retcode.INVALID_VOLUME


def test_hedging_keeps_opposite_positions() -> None:
    """On a hedging account a SELL beside a BUY opens a second position."""
    engine = make_engine("hedging")
    first, _ = engine.trade(buy(volume=0.3), NOW)
    second, _ = engine.trade(sell(volume=0.1), NOW)
    assert first.position != second.position
    assert sorted(p.side for p in engine.positions.values()) == ["BUY", "SELL"]


def test_hedged_volume_needs_margin_for_the_larger_leg_only() -> None:
    """MT5's default hedged margin: 0.3 buy + 0.1 sell cost the same margin as 0.3 buy."""
    engine = make_engine("hedging")
    engine.trade(buy(volume=0.3), NOW)
    alone = engine.margin()
    engine.trade(sell(volume=0.1), NOW)
    assert engine.margin() == alone


def test_netting_merges_same_direction() -> None:
    """On a netting account a second BUY grows the one position at the average price."""
    engine = make_engine("netting")
    first, _ = engine.trade(buy(volume=0.1), NOW)
    engine.on_quote("EURUSD", 1.08600, 1.08610, NOW)
    second, changes = engine.trade(buy(volume=0.1), NOW)
    assert second.position == first.position
    (position,) = engine.positions.values()
    assert position.volume == pytest.approx(0.2)
    assert position.price_open == pytest.approx(1.08560)
    assert changes.deals[0].entry == "IN"


def test_netting_opposite_reduces_closes_and_reverses() -> None:
    """On netting an opposite deal reduces (OUT), closes, or reverses (INOUT) the position."""
    engine = make_engine("netting")
    opened, _ = engine.trade(buy(volume=0.3), NOW)
    _, reduced = engine.trade(sell(volume=0.1), NOW)
    assert reduced.deals[0].entry == "OUT"
    assert engine.positions[opened.position].volume == pytest.approx(0.2)
    _, reversed_ = engine.trade(sell(volume=0.5), NOW)
    assert reversed_.deals[0].entry == "INOUT"
    position = engine.positions[opened.position]
    assert position.side == "SELL"
    assert position.volume == pytest.approx(0.3)
    _, closed = engine.trade(buy(volume=0.3), NOW)
    assert closed.deals[0].entry == "OUT"
    assert not engine.positions


def test_stop_loss_triggers_on_a_tick() -> None:
    """A bid at or below a BUY's SL closes it at that bid with reason SL and a "[sl …]" comment."""
    engine = make_engine()
    opened, _ = engine.trade(buy(volume=0.1, sl=1.08400, magic=7), NOW)
    assert engine.on_quote("EURUSD", 1.08401, 1.08411, NOW) is None
    changes = engine.on_quote("EURUSD", 1.08398, 1.08408, NOW + 5)
    assert changes is not None
    (deal,) = changes.deals
    assert (deal.reason, deal.entry, deal.price, deal.magic) == ("SL", "OUT", 1.08398, 7)
    assert deal.comment == "[sl 1.08400]"
    assert deal.profit == pytest.approx(-11.2)
    assert [t.kind for t in changes.transactions] == ["DEAL_ADD"]
    assert opened.position not in engine.positions


def test_take_profit_triggers_for_a_sell() -> None:
    """An ask at or below a SELL's TP closes it at that ask with reason TP."""
    engine = make_engine()
    engine.trade(sell(volume=0.2, tp=1.08300), NOW)
    changes = engine.on_quote("EURUSD", 1.08290, 1.08300, NOW + 5)
    assert changes is not None
    (deal,) = changes.deals
    assert (deal.reason, deal.side, deal.price) == ("TP", "BUY", 1.08300)
    assert deal.profit == pytest.approx(40.0)


@pytest.mark.parametrize(
    ("order_type", "price", "bid", "ask"),
    [
        ("BUY_LIMIT", 1.08400, 1.08390, 1.08400),
        ("SELL_LIMIT", 1.08600, 1.08600, 1.08610),
        ("BUY_STOP", 1.08600, 1.08595, 1.08605),
        ("SELL_STOP", 1.08400, 1.08395, 1.08405),
    ],
)
def test_pending_order_triggers(order_type: str, price: float, bid: float, ask: float) -> None:
    """Each pending type fills when the market reaches it, as a position under its ticket."""
    engine = make_engine()
    placed, changes = engine.trade(
        trade(
            Action.PLACE_ORDER,
            symbol="EURUSD",
            order_type=order_type,
            volume=0.1,
            price=price,
            command_id="pend1",
        ),
        NOW,
    )
    assert placed.retcode == Retcode.PLACED
    assert [t.kind for t in changes.transactions] == ["ORDER_ADD"]
    fired = engine.on_quote("EURUSD", bid, ask, NOW + 10)
    assert fired is not None
    (deal,) = fired.deals
    assert (deal.entry, deal.order, deal.comment) == ("IN", placed.order, "pend1")
    assert placed.order in engine.positions
    assert not engine.orders


def test_pending_order_expires() -> None:
    """A pending order with an expiration is deleted once the clock passes it."""
    engine = make_engine()
    placed, _ = engine.trade(
        trade(
            Action.PLACE_ORDER,
            symbol="EURUSD",
            order_type="BUY_LIMIT",
            volume=0.1,
            price=1.08,
            expiration_msc=NOW + 60_000,
        ),
        NOW,
    )
    assert engine.next_expiration() == NOW + 60_000
    assert engine.expire(NOW + 59_999) is None
    changes = engine.expire(NOW + 60_000)
    assert changes is not None
    assert [t.kind for t in changes.transactions] == ["ORDER_DELETE"]
    assert placed.order not in engine.orders


def test_cancel_order() -> None:
    """CANCEL_ORDER deletes a pending order with DONE."""
    engine = make_engine()
    limit = dict(symbol="EURUSD", order_type="SELL_LIMIT", volume=0.1, price=1.09)
    placed, _ = engine.trade(trade(Action.PLACE_ORDER, **limit), NOW)
    outcome, changes = engine.trade(trade(Action.CANCEL_ORDER, ticket=placed.order), NOW)
    assert outcome.retcode == Retcode.DONE
    assert changes.orders == {placed.order: None}


def test_close_all_by_symbol_and_magic() -> None:
    """CLOSE_ALL closes the matching positions and deletes matching orders, listing each."""
    engine = make_engine()
    a, _ = engine.trade(buy("EURUSD", magic=1), NOW)
    b, _ = engine.trade(sell("EURUSD", magic=2), NOW)
    c, _ = engine.trade(buy("XAUUSD", magic=1), NOW)
    limit = dict(symbol="EURUSD", order_type="BUY_LIMIT", volume=0.1, price=1.08, magic=1)
    o, _ = engine.trade(trade(Action.PLACE_ORDER, **limit), NOW)
    outcome, _changes = engine.trade(trade(Action.CLOSE_ALL, symbol="EURUSD", magic=1), NOW)
    assert outcome.retcode == Retcode.DONE
    assert sorted(item.ticket for item in outcome.closed) == sorted([a.position, o.order])
    assert all(item.retcode == Retcode.DONE for item in outcome.closed)
    assert set(engine.positions) == {b.position, c.position}
    everything, _ = engine.trade(trade(Action.CLOSE_ALL), NOW)
    assert len(everything.closed) == 2
    assert not engine.positions


def test_close_all_reports_partial_failure() -> None:
    """When some items cannot be closed CLOSE_ALL answers DONE_PARTIAL with each item's retcode."""
    engine = make_engine()
    engine.trade(buy("EURUSD"), NOW)
    engine.trade(buy("XAUUSD"), NOW)
    engine.conditions.closed_symbols.add("XAUUSD")
    outcome, _ = engine.trade(trade(Action.CLOSE_ALL), NOW)
    assert outcome.retcode == Retcode.DONE_PARTIAL
    assert sorted(i.retcode for i in outcome.closed) == [Retcode.DONE, Retcode.MARKET_CLOSED]


def test_usdjpy_profit_is_converted_to_the_account_currency() -> None:
    """JPY profit is converted to USD through USDJPY's price."""
    engine = make_engine()
    opened, _ = engine.trade(buy("USDJPY", volume=1.0), NOW)  # at 151.512
    engine.on_quote("USDJPY", 152.012, 152.024, NOW)
    profit = engine.position_profit(engine.positions[opened.position])
    # 0.5 JPY * 100,000 = 50,000 JPY ≈ 328.9 USD at 152.018
    assert profit == pytest.approx(50_000 / 152.018, abs=0.01)


def test_margin_and_account_figures() -> None:
    """Margin is lots*contract/leverage in base currency, converted; equity follows price."""
    engine = make_engine()
    engine.trade(buy("EURUSD", volume=1.0), NOW)
    info = engine.account_info()
    assert info.margin == pytest.approx(1000 * 1.08505, abs=0.01)
    assert info.equity == pytest.approx(10_000 - 10.0)  # one spread of 10 points on 1 lot
    assert info.free_margin == pytest.approx(info.equity - info.margin)
    assert info.margin_level == pytest.approx(info.equity / info.margin * 100, abs=0.01)
    engine.trade(buy("XAUUSD", volume=0.1), NOW)
    gold = 0.1 * 100 * 2350.125 / 100
    assert engine.account_info().margin == pytest.approx(1000 * 1.08505 + gold, abs=0.01)


def test_stop_out_closes_the_worst_position() -> None:
    """Below the 50 % margin level the most losing position is closed with reason SO."""
    engine = make_engine(balance=1_200.0)
    loser, _ = engine.trade(buy("EURUSD", volume=1.0), NOW)  # margin ~1085
    engine.trade(buy("USDJPY", volume=0.01), NOW)
    assert engine.stop_out(NOW) is None
    engine.on_quote("EURUSD", 1.07800, 1.07810, NOW)  # -710 USD: margin level ~45 %
    changes = engine.stop_out(NOW)
    assert changes is not None
    (deal,) = changes.deals
    assert (deal.reason, deal.position_id) == ("SO", loser.position)
    assert deal.comment.startswith("[so ")
    assert loser.position not in engine.positions
    assert len(engine.positions) == 1


def test_commission_is_charged_on_entry_and_exit() -> None:
    """With a commission per lot each deal carries it and the balance pays it at once."""
    engine = make_engine()
    engine.conditions.commission_per_lot = 3.5
    opened, changes = engine.trade(buy(volume=2.0), NOW)
    assert changes.deals[0].commission == -7.0
    assert engine.account.balance == 9_993.0
    _, closed = engine.trade(trade(Action.CLOSE_POSITION, ticket=opened.position), NOW)
    assert closed.deals[0].commission == -7.0
    assert engine.account.balance == pytest.approx(9_993.0 - 7.0 - 20.0)  # spread 10 points


def test_netting_addition_replaces_only_the_stops_it_names() -> None:
    """Adding to a netted position with only an SL keeps the position's TP."""
    engine = make_engine("netting")
    opened, _ = engine.trade(buy(volume=0.1, sl=1.08, tp=1.09), NOW)
    engine.trade(buy(volume=0.1, sl=1.081), NOW)
    position = engine.positions[opened.position]
    assert (position.sl, position.tp) == (1.081, 1.09)


def test_modified_stop_fires_on_the_next_tick() -> None:
    """A stop added by MODIFY_POSITION is watched from the next tick on."""
    engine = make_engine()
    opened, _ = engine.trade(buy(), NOW)
    assert engine.on_quote("EURUSD", 1.08300, 1.08310, NOW) is None
    engine.trade(trade(Action.MODIFY_POSITION, ticket=opened.position, sl=1.08200), NOW)
    changes = engine.on_quote("EURUSD", 1.08190, 1.08200, NOW)
    assert changes is not None
    assert changes.deals[0].reason == "SL"


def test_positions_loaded_at_start_are_watched() -> None:
    """An engine built from stored positions and orders fires their stops and triggers."""
    engine = make_engine()
    _opened, _ = engine.trade(buy(tp=1.0900), NOW)
    placed, _ = engine.trade(
        trade(Action.PLACE_ORDER, symbol="XAUUSD", order_type="SELL_STOP", volume=0.01,
              price=2340.0),
        NOW,
    )  # fmt: skip
    restarted = TradingEngine(
        engine.instruments,
        engine.account,
        rng=random.Random(1),
        positions=engine.positions.values(),
        orders=engine.orders.values(),
        next_ticket=engine.next_ticket,
    )
    fired = restarted.on_quote("EURUSD", 1.09000, 1.09010, NOW)
    assert fired is not None
    assert fired.deals[0].reason == "TP"
    assert restarted.on_quote("XAUUSD", 2339.9, 2340.1, NOW) is not None
    assert placed.order in restarted.positions
