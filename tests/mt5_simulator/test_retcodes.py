"""Each MT5 retcode the simulated trade server returns, under MT5's condition for it."""

from __future__ import annotations

import pytest

from fx_protocol.retcodes import Retcode
from fx_protocol.vocabulary import Action
from mt5_simulator.engine.symbols import default_instruments
from tests.mt5_simulator.engine_fixtures import NOW, buy, make_engine, sell, trade

# 2026-11-21 is a Saturday: every forex session is closed.
SATURDAY = NOW + 3 * 24 * 3600 * 1000


def test_market_buy_is_done_at_the_ask() -> None:
    """A market BUY fills at the ask with DONE, and the command id becomes the comment."""
    engine = make_engine()
    outcome, changes = engine.trade(buy(volume=0.1, command_id="cmdA"), NOW)
    assert outcome.retcode == Retcode.DONE
    assert outcome.success
    assert outcome.price == 1.08510
    assert outcome.order == outcome.position
    (deal,) = changes.deals
    assert (deal.side, deal.entry, deal.comment, deal.volume) == ("BUY", "IN", "cmdA", 0.1)
    assert engine.positions[outcome.position].comment == "cmdA"


def test_market_sell_is_done_at_the_bid() -> None:
    """A market SELL fills at the bid."""
    outcome, _ = make_engine().trade(sell(), NOW)
    assert (outcome.retcode, outcome.price) == (Retcode.DONE, 1.08500)


@pytest.mark.parametrize("volume", [0.001, 0.015, 100.01, 250.0])
def test_invalid_volume(volume: float) -> None:
    """Below the minimum, off the step, or above the maximum volume gives 10014."""
    outcome, changes = make_engine().trade(buy(volume=volume), NOW)
    assert outcome.retcode == Retcode.INVALID_VOLUME
    assert changes.empty


def test_volume_on_the_step_is_normalised() -> None:
    """Float noise on a valid multiple of the step is removed (0.1 + 0.2 is stored as 0.3)."""
    outcome, _ = make_engine().trade(buy(volume=0.1 + 0.2), NOW)
    assert (outcome.retcode, outcome.volume) == (Retcode.DONE, 0.3)


@pytest.mark.parametrize(
    "request_",
    [
        trade(Action.OPEN_POSITION, symbol="NOPE", order_type="BUY", volume=0.1),
        trade(Action.OPEN_POSITION, symbol="EURUSD", volume=0.1),
        trade(Action.OPEN_POSITION, symbol="EURUSD", order_type="BUY_LIMIT", volume=0.1),
        trade(Action.OPEN_POSITION, order_type="BUY", volume=0.1),
        trade(Action.PLACE_ORDER, symbol="EURUSD", order_type="BUY_LIMIT", volume=0.1),
        trade(Action.PLACE_ORDER, symbol="EURUSD", order_type="BUY", volume=0.1, price=1.08),
        trade(Action.CLOSE_POSITION),
        trade(Action.MODIFY_POSITION, ticket=5),
        trade(Action.CANCEL_ORDER),
        trade(Action.CANCEL_ORDER, ticket=424242),
    ],
)
def test_invalid_request(request_: object) -> None:
    """A request missing what its action needs, or naming an unknown symbol/order, gives 10013."""
    outcome, _ = make_engine().trade(request_, NOW)  # type: ignore[arg-type]
    assert outcome.retcode == Retcode.INVALID
    assert not outcome.success


def test_price_off_without_quotes() -> None:
    """No quote for the symbol yet gives 10021 PRICE_OFF."""
    engine = make_engine()
    del engine.quotes["GBPUSD"]
    outcome, _ = engine.trade(buy("GBPUSD"), NOW)
    assert outcome.retcode == Retcode.PRICE_OFF


def test_requote_beyond_deviation() -> None:
    """A price further than `deviation` points from the market gives 10004 with current prices."""
    outcome, changes = make_engine().trade(buy(price=1.08400, deviation=10), NOW)
    assert outcome.retcode == Retcode.REQUOTE
    assert (outcome.bid, outcome.ask) == (1.08500, 1.08510)
    assert changes.empty


def test_within_deviation_is_done() -> None:
    """A requested price within `deviation` points fills at the market price."""
    outcome, _ = make_engine().trade(buy(price=1.08500, deviation=10), NOW)
    assert (outcome.retcode, outcome.price) == (Retcode.DONE, 1.08510)


def test_slippage_beyond_deviation_requotes_and_within_fills() -> None:
    """With slippage, deviation 0 requotes some fills; a wide one always fills within bounds."""
    engine = make_engine(seed=3)
    engine.conditions.slippage_points = 20
    codes = {engine.trade(buy(deviation=0), NOW)[0].retcode for _ in range(40)}
    assert Retcode.REQUOTE in codes
    for _ in range(20):
        outcome, _ = engine.trade(buy(deviation=50), NOW)
        assert outcome.retcode == Retcode.DONE
        assert 1.08510 - 10 * 1e-5 - 1e-9 <= outcome.price <= 1.08510 + 20 * 1e-5 + 1e-9


@pytest.mark.parametrize(
    ("side", "sl", "tp"),
    [
        ("BUY", 1.08505, 0.0),  # SL above the bid
        ("BUY", 1.08495, 0.0),  # SL within the 10-point stops level
        ("BUY", 0.0, 1.08505),  # TP within the stops level
        ("SELL", 1.08515, 0.0),  # SL within the stops level above the ask
        ("SELL", 0.0, 1.08520),  # TP above the ask
    ],
)
def test_invalid_stops(side: str, sl: float, tp: float) -> None:
    """SL/TP on the wrong side or closer than the stops level gives 10016."""
    request = buy(sl=sl, tp=tp) if side == "BUY" else sell(sl=sl, tp=tp)
    outcome, _ = make_engine().trade(request, NOW)
    assert outcome.retcode == Retcode.INVALID_STOPS


def test_valid_stops_are_kept() -> None:
    """Stops beyond the stops level are accepted and rounded to the symbol's digits."""
    engine = make_engine()
    outcome, _ = engine.trade(buy(sl=1.083999999, tp=1.0870000001), NOW)
    assert outcome.retcode == Retcode.DONE
    position = engine.positions[outcome.position]
    assert (position.sl, position.tp) == (1.084, 1.087)


@pytest.mark.parametrize(
    ("order_type", "price"),
    [
        ("BUY_LIMIT", 1.08600),  # above the ask
        ("BUY_LIMIT", 1.08505),  # within the stops level
        ("BUY_STOP", 1.08400),  # below the ask
        ("SELL_LIMIT", 1.08400),  # below the bid
        ("SELL_STOP", 1.08600),  # above the bid
        ("SELL_STOP", 1.08495),  # within the stops level
    ],
)
def test_invalid_pending_price(order_type: str, price: float) -> None:
    """A pending price on the wrong side of the market or within the stops level gives 10015."""
    request = trade(
        Action.PLACE_ORDER, symbol="EURUSD", order_type=order_type, volume=0.1, price=price
    )
    outcome, _ = make_engine().trade(request, NOW)
    assert outcome.retcode == Retcode.INVALID_PRICE


def test_trade_disabled_for_symbol_and_account() -> None:
    """Trade mode DISABLED, or an account without trading rights, gives 10017."""
    engine = make_engine()
    spec = engine.instruments["EURUSD"]
    engine.instruments["EURUSD"] = spec.with_changes(trade_mode="DISABLED")
    assert engine.trade(buy(), NOW)[0].retcode == Retcode.TRADE_DISABLED
    engine = make_engine()
    engine.conditions.account_trade_allowed = False
    assert engine.trade(buy(), NOW)[0].retcode == Retcode.TRADE_DISABLED


def test_market_closed_by_session_and_by_hand() -> None:
    """Outside the trade sessions, or with the symbol closed by a test, gives 10018."""
    engine = make_engine()
    engine.conditions.market_hours = "sessions"
    assert engine.trade(buy(), SATURDAY)[0].retcode == Retcode.MARKET_CLOSED
    assert engine.trade(buy(), NOW)[0].retcode == Retcode.DONE
    engine.conditions.closed_symbols.add("EURUSD")
    assert engine.trade(buy(), NOW)[0].retcode == Retcode.MARKET_CLOSED


def test_sessions_follow_the_week() -> None:
    """Forex trades Monday to Friday; gold pauses for its daily hour at 23:00."""
    specs = default_instruments()
    assert specs["EURUSD"].is_open(NOW)
    assert not specs["EURUSD"].is_open(SATURDAY)
    wednesday_2330 = NOW + 11 * 3600 * 1000 + 30 * 60 * 1000
    assert specs["EURUSD"].is_open(wednesday_2330)
    assert not specs["XAUUSD"].is_open(wednesday_2330)


def test_no_money() -> None:
    """A position whose margin exceeds the free margin gives 10019."""
    engine = make_engine(balance=1_000.0)
    outcome, _ = engine.trade(buy(volume=1.0), NOW)  # needs ~1085 USD at 1:100
    assert outcome.retcode == Retcode.NO_MONEY
    assert engine.trade(buy(volume=0.5), NOW)[0].retcode == Retcode.DONE


def test_too_many_requests() -> None:
    """More trade requests per second than allowed gives 10024; the next second is free again."""
    engine = make_engine()
    engine.conditions.max_trades_per_second = 2
    codes = [engine.trade(buy(), NOW)[0].retcode for _ in range(3)]
    assert codes == [Retcode.DONE, Retcode.DONE, Retcode.TOO_MANY_REQUESTS]
    assert engine.trade(buy(), NOW + 1000)[0].retcode == Retcode.DONE


def test_invalid_fill() -> None:
    """A symbol that allows neither FOK nor IOC leaves no valid filling: 10030."""
    engine = make_engine()
    engine.instruments["EURUSD"] = engine.instruments["EURUSD"].with_changes(filling_modes=0)
    assert engine.trade(buy(), NOW)[0].retcode == Retcode.INVALID_FILL


def test_position_closed() -> None:
    """Closing or modifying a position that no longer exists gives 10036."""
    engine = make_engine()
    opened, _ = engine.trade(buy(), NOW)
    close = trade(Action.CLOSE_POSITION, ticket=opened.position)
    assert engine.trade(close, NOW)[0].retcode == Retcode.DONE
    again = trade(Action.CLOSE_POSITION, ticket=opened.position)
    assert engine.trade(again, NOW)[0].retcode == Retcode.POSITION_CLOSED
    modify = trade(Action.MODIFY_POSITION, ticket=opened.position, sl=1.08)
    assert engine.trade(modify, NOW)[0].retcode == Retcode.POSITION_CLOSED


def test_invalid_close_volume() -> None:
    """Closing more than the position's volume gives 10038."""
    engine = make_engine()
    opened, _ = engine.trade(buy(volume=0.1), NOW)
    close = trade(Action.CLOSE_POSITION, ticket=opened.position, volume=0.2)
    assert engine.trade(close, NOW)[0].retcode == Retcode.INVALID_CLOSE_VOLUME


def test_invalid_expiration() -> None:
    """A pending order expiring in the past gives 10022."""
    request = trade(
        Action.PLACE_ORDER,
        symbol="EURUSD",
        order_type="BUY_LIMIT",
        volume=0.1,
        price=1.08,
        expiration_msc=NOW - 1,
    )
    assert make_engine().trade(request, NOW)[0].retcode == Retcode.INVALID_EXPIRATION


def test_frozen_near_stop_loss() -> None:
    """Within the freeze level of the SL a position can be neither modified nor closed: 10029."""
    engine = make_engine()
    opened, _ = engine.trade(buy(sl=1.08400), NOW)
    engine.on_quote("EURUSD", 1.08403, 1.08413, NOW)  # 3 points above the SL, freeze level 5
    modify = trade(Action.MODIFY_POSITION, ticket=opened.position, sl=1.08300)
    assert engine.trade(modify, NOW)[0].retcode == Retcode.FROZEN
    close = trade(Action.CLOSE_POSITION, ticket=opened.position)
    assert engine.trade(close, NOW)[0].retcode == Retcode.FROZEN


def test_frozen_pending_order() -> None:
    """A pending order within the freeze level of the market cannot be deleted: 10029."""
    engine = make_engine()
    placed, _ = engine.trade(
        trade(
            Action.PLACE_ORDER, symbol="EURUSD", order_type="BUY_LIMIT", volume=0.1, price=1.08490
        ),
        NOW,
    )
    assert placed.retcode == Retcode.PLACED
    engine.on_quote("EURUSD", 1.08483, 1.08493, NOW)  # ask 3 points above the limit
    cancel = trade(Action.CANCEL_ORDER, ticket=placed.order)
    assert engine.trade(cancel, NOW)[0].retcode == Retcode.FROZEN


@pytest.mark.parametrize(
    ("mode", "side", "code"),
    [
        ("LONGONLY", "SELL", Retcode.LONG_ONLY),
        ("SHORTONLY", "BUY", Retcode.SHORT_ONLY),
        ("CLOSEONLY", "BUY", Retcode.CLOSE_ONLY),
    ],
)
def test_trade_mode_restrictions(mode: str, side: str, code: Retcode) -> None:
    """Long-only, short-only and close-only symbols refuse forbidden openings; closes pass."""
    engine = make_engine()
    opened, _ = engine.trade(buy() if side == "SELL" else sell(), NOW)
    engine.instruments["EURUSD"] = engine.instruments["EURUSD"].with_changes(trade_mode=mode)
    request = buy() if side == "BUY" else sell()
    assert engine.trade(request, NOW)[0].retcode == code
    close = trade(Action.CLOSE_POSITION, ticket=opened.position)
    assert engine.trade(close, NOW)[0].retcode == Retcode.DONE


def test_terminal_permissions() -> None:
    """Algo trading off gives 10027; a lost broker connection gives 10031."""
    engine = make_engine()
    engine.conditions.terminal_trade_allowed = False
    assert engine.trade(buy(), NOW)[0].retcode == Retcode.CLIENT_DISABLES_AT
    engine = make_engine()
    engine.conditions.ea_trade_allowed = False
    assert engine.trade(buy(), NOW)[0].retcode == Retcode.CLIENT_DISABLES_AT
    engine = make_engine()
    engine.conditions.connected = False
    assert engine.trade(buy(), NOW)[0].retcode == Retcode.CONNECTION


def test_position_and_order_limits() -> None:
    """Beyond the account's position or pending-order limit: 10040 and 10033."""
    engine = make_engine()
    engine.conditions.max_positions = 1
    engine.conditions.max_orders = 1
    assert engine.trade(buy(), NOW)[0].retcode == Retcode.DONE
    assert engine.trade(buy(), NOW)[0].retcode == Retcode.LIMIT_POSITIONS
    limit = dict(symbol="EURUSD", order_type="BUY_LIMIT", volume=0.1, price=1.08)
    assert engine.trade(trade(Action.PLACE_ORDER, **limit), NOW)[0].retcode == Retcode.PLACED
    assert engine.trade(trade(Action.PLACE_ORDER, **limit), NOW)[0].retcode == Retcode.LIMIT_ORDERS


def test_modify_with_same_stops_is_no_changes() -> None:
    """Sending the stops a position already has gives 10025 NO_CHANGES (a success class)."""
    engine = make_engine()
    opened, _ = engine.trade(buy(sl=1.08, tp=1.09), NOW)
    modify = trade(Action.MODIFY_POSITION, ticket=opened.position, sl=1.08, tp=1.09)
    outcome, changes = engine.trade(modify, NOW)
    assert outcome.retcode == Retcode.NO_CHANGES
    assert outcome.success
    assert changes.empty


def test_modify_and_remove_stops() -> None:
    """MODIFY_POSITION sets SL/TP; 0 removes one; an omitted one is kept."""
    engine = make_engine()
    opened, _ = engine.trade(buy(sl=1.08, tp=1.09), NOW)
    outcome, _ = engine.trade(trade(Action.MODIFY_POSITION, ticket=opened.position, sl=0.0), NOW)
    assert outcome.retcode == Retcode.DONE
    position = engine.positions[opened.position]
    assert (position.sl, position.tp) == (0.0, 1.09)
    bad = trade(Action.MODIFY_POSITION, ticket=opened.position, tp=1.08505)
    assert engine.trade(bad, NOW)[0].retcode == Retcode.INVALID_STOPS


def test_every_rejection_leaves_the_account_untouched() -> None:
    """A failed request changes nothing: no deal, no position, same ticket counter."""
    engine = make_engine()
    before = engine.next_ticket
    for request in (buy(volume=0.001), buy(price=1.0, deviation=0), buy(sl=2.0)):
        outcome, changes = engine.trade(request, NOW)
        assert not outcome.success
        assert changes.empty
    assert engine.next_ticket == before
    assert not engine.positions
