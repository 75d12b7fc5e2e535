"""The EA's trade checks against the simulated terminal's trading engine, on the same state.

``harness/trading_driver.cpp`` runs the EA's Trading.mqh against an in-memory
terminal whose server accepts every request, so any refusal comes from the
EA's own checks. The simulator (``mt5_simulator.engine``) defines the
behaviour the EA must match: for one symbol spec, quote, position, pending
order and set of permissions, a refusal by the EA must carry the retcode the
simulator answers, and a request the EA lets through must be one the
simulator carries out (or refuses for a reason only a server knows: money,
limits). The request that reached OrderSend is checked as well: normalised
volume and prices, filling mode from SYMBOL_FILLING_MODE, the command id as
comment.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fx_protocol.retcodes import Retcode
from fx_protocol.terminal_wire import Trade
from fx_protocol.vocabulary import Action
from mt5_simulator.engine.account import Account
from mt5_simulator.engine.book import PendingOrder, Position
from mt5_simulator.engine.conditions import Conditions
from mt5_simulator.engine.market import Quote
from mt5_simulator.engine.symbols import ALWAYS, Instrument
from mt5_simulator.engine.trading import TradingEngine

NOW_MS = 1_700_000_000_000
POSITION_TICKET = 1000
ORDER_TICKET = 2000
#: refusals only a trade server can give; the EA leaves them to the server
SERVER_ONLY = {
    Retcode.NO_MONEY,
    Retcode.LIMIT_POSITIONS,
    Retcode.LIMIT_ORDERS,
    Retcode.MARKET_CLOSED,
}
_FILLING_FOK, _FILLING_IOC = 0, 1  # ENUM_ORDER_TYPE_FILLING values in the harness


class TradingDriver:
    """Trading.mqh and the request path behind a pipe; MQL5/Files is ``files``."""

    def __init__(self, binary: Path, files: Path) -> None:
        env = dict(os.environ, FX_MQL5_FILES=str(files))
        self.process = subprocess.Popen(
            [str(binary)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
        )

    def run(self, case: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(json.dumps(case).encode().hex() + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, f"the trading driver died on {case}"
        result: dict[str, Any] = json.loads(bytes.fromhex(line.strip()))
        return result

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture(scope="module")
def driver(
    trading_binary: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TradingDriver]:
    d = TradingDriver(trading_binary, tmp_path_factory.mktemp("mql5-files"))
    yield d
    d.close()


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    """One symbol, one open position and one pending order, permissions, and a TRADE."""
    digits = draw(st.sampled_from([2, 3, 5]))
    point = 10.0**-digits
    mid = {2: 2350.0, 3: 151.5, 5: 1.085}[digits]
    spread = draw(st.integers(1, 30))
    bid = round(mid, digits)
    ask = round(bid + spread * point, digits)
    step = draw(st.sampled_from([0.01, 0.1, 1.0]))
    symbol = {
        "name": "EURUSD",
        "digits": digits,
        "stopsLevel": draw(st.sampled_from([0, 10, 20])),
        "freezeLevel": draw(st.sampled_from([0, 5, 10])),
        "fillingModes": draw(st.sampled_from([0, 1, 2, 3, 3, 3])),
        "tradeMode": draw(
            st.sampled_from(["FULL", "LONGONLY", "SHORTONLY", "CLOSEONLY", "DISABLED"])
        ),
        "volumeMin": step,
        "volumeMax": draw(st.sampled_from([50.0, 100.0])),
        "volumeStep": step,
        "bid": bid,
        "ask": ask,
    }

    def near(reference: float) -> float:
        return round(reference + draw(st.integers(-60, 60)) * point, digits)

    def maybe_stop(reference: float) -> float:
        return draw(st.sampled_from([0.0, near(reference)]))

    position_buy = draw(st.booleans())
    position = {
        "ticket": POSITION_TICKET,
        "symbol": "EURUSD",
        "side": "BUY" if position_buy else "SELL",
        "volume": draw(st.sampled_from([step, 2 * step, 5 * step])),
        "priceOpen": near(bid),
        "sl": maybe_stop(bid),
        "tp": maybe_stop(bid),
        "magic": 7,
    }
    order_type = draw(st.sampled_from(["BUY_LIMIT", "SELL_LIMIT", "BUY_STOP", "SELL_STOP"]))
    order = {
        "ticket": ORDER_TICKET,
        "symbol": "EURUSD",
        "orderType": order_type,
        "volume": step,
        "priceOpen": near(bid),
        "magic": 7,
    }
    action = draw(st.sampled_from(list(Action)))
    request: dict[str, Any] = {
        "type": "TRADE",
        "requestId": "r1",
        "commandId": "c" + str(draw(st.integers(0, 10**9))),
        "action": action.value,
        "deviation": draw(st.sampled_from([0, 10, 50])),
    }
    volumes = st.sampled_from(
        [step, step, 3 * step, 3 * step, step / 10, 1.5 * step, 0.1 + 0.2, 150.0, 1e-7]
    )
    if action in (Action.OPEN_POSITION, Action.PLACE_ORDER, Action.CLOSE_ALL):
        request["symbol"] = draw(st.sampled_from(["EURUSD", "EURUSD", "EURUSD", "GBPUSD"]))
    if action is Action.OPEN_POSITION:
        request["orderType"] = draw(st.sampled_from(["BUY", "SELL", "BUY", "SELL", "BUY_LIMIT"]))
        request["volume"] = draw(volumes)
        if draw(st.booleans()):
            request["price"] = near(ask)
    if action is Action.PLACE_ORDER:
        request["orderType"] = draw(
            st.sampled_from(["BUY_LIMIT", "SELL_LIMIT", "BUY_STOP", "SELL_STOP", "BUY"])
        )
        request["volume"] = draw(volumes)
        request["price"] = near(bid)
        if draw(st.booleans()):
            request["expirationMsc"] = NOW_MS + draw(st.sampled_from([-1000, 60_000]))
    if action in (Action.OPEN_POSITION, Action.PLACE_ORDER, Action.MODIFY_POSITION):
        for key in ("sl", "tp"):
            if draw(st.booleans()):
                request[key] = maybe_stop(bid)
    if action in (Action.CLOSE_POSITION, Action.MODIFY_POSITION):
        request["ticket"] = draw(st.sampled_from([POSITION_TICKET, POSITION_TICKET, 999]))
    if action is Action.CANCEL_ORDER:
        request["ticket"] = draw(st.sampled_from([ORDER_TICKET, ORDER_TICKET, 999]))
    if action is Action.CLOSE_POSITION and draw(st.booleans()):
        request["volume"] = draw(volumes)
    if action is Action.CLOSE_POSITION and draw(st.booleans()):
        request["price"] = near(bid)
    flags = st.sampled_from([True] * 15 + [False])
    state = {
        "nowMs": NOW_MS,
        "connected": draw(flags),
        "terminalTradeAllowed": draw(flags),
        "eaTradeAllowed": draw(flags),
        "accountTradeAllowed": draw(flags),
        "symbols": [symbol],
        "positions": [position],
        "orders": [order],
    }
    return {"config": {"magicFilter": 0, "maxLot": 0}, "state": state, "request": request}


def simulate(case: dict[str, Any]) -> Any:
    """The simulator's outcome for the same state and request."""
    state, s = case["state"], case["state"]["symbols"][0]
    spec = Instrument(
        name=s["name"],
        digits=s["digits"],
        contract_size=100_000,
        volume_min=s["volumeMin"],
        volume_max=s["volumeMax"],
        volume_step=s["volumeStep"],
        base_currency="EUR",
        profit_currency="USD",
        margin_currency="USD",
        margin_calc="FOREX",
        start_price=s["bid"],
        spread_points=10,
        volatility=0.0,
        stops_level=s["stopsLevel"],
        freeze_level=s["freezeLevel"],
        filling_modes=s["fillingModes"],
        trade_mode=s["tradeMode"],
        sessions=ALWAYS,
    )
    p, o = state["positions"][0], state["orders"][0]
    engine = TradingEngine(
        {spec.name: spec},
        Account(1, "sim", "USD", 1e12, 100, "hedging"),
        rng=random.Random(0),
        conditions=Conditions(
            connected=state["connected"],
            terminal_trade_allowed=state["terminalTradeAllowed"],
            ea_trade_allowed=state["eaTradeAllowed"],
            account_trade_allowed=state["accountTradeAllowed"],
        ),
        positions=[
            Position(
                p["ticket"],
                p["symbol"],
                p["side"] == "BUY",
                p["volume"],
                p["priceOpen"],
                p["sl"],
                p["tp"],
                p["magic"],
                "",
                NOW_MS,
            )
        ],
        orders=[
            PendingOrder(
                o["ticket"],
                o["symbol"],
                o["orderType"],
                o["volume"],
                o["priceOpen"],
                0.0,
                0.0,
                o["magic"],
                "",
                NOW_MS,
            )
        ],
    )
    if s["bid"] > 0:  # bid 0 in the case = no quote at all
        engine.quotes[spec.name] = Quote(s["bid"], s["ask"], NOW_MS)
    r = case["request"]
    request = Trade(
        request_id=r["requestId"],
        command_id=r["commandId"],
        action=Action(r["action"]),
        symbol=r.get("symbol"),
        order_type=r.get("orderType"),
        volume=r.get("volume"),
        price=r.get("price"),
        sl=r.get("sl"),
        tp=r.get("tp"),
        ticket=r.get("ticket"),
        deviation=r["deviation"],
        expiration_msc=r.get("expirationMsc", 0),
    )
    outcome, _ = engine.trade(request, NOW_MS)
    return outcome


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=cases())
def test_ea_checks_match_the_simulator(driver: TradingDriver, case: dict[str, Any]) -> None:
    """Same state, same request: the EA refuses with the simulator's retcode or lets it through."""
    ea = driver.run(case)
    assert "outcome" in ea, ea
    expected = simulate(case)
    outcome, sent = ea["outcome"], ea["sent"]
    action = case["request"]["action"]
    if action == Action.CLOSE_ALL.value:
        # per item, a refusal by the EA must be the simulator's; a pass must succeed there
        sim_items = {item.ticket: item.retcode for item in expected.closed}
        assert {item["ticket"] for item in outcome["closed"]} == set(sim_items)
        for item in outcome["closed"]:
            if item["retcode"] != Retcode.DONE:
                assert item["retcode"] == sim_items[item["ticket"]], (case, outcome, expected)
            else:
                assert sim_items[item["ticket"]] in (Retcode.DONE, *SERVER_ONLY), (case, expected)
        return
    if not sent:
        assert outcome["retcode"] == expected.retcode, (case, outcome, expected)
        assert outcome["success"] == (expected.retcode in (Retcode.NO_CHANGES,))
        return
    assert expected.retcode in (Retcode.DONE, Retcode.PLACED, *SERVER_ONLY), (
        case,
        outcome,
        expected,
    )
    (request,) = sent
    if action != Action.CANCEL_ORDER.value:  # a removal carries no comment
        assert request["comment"] == case["request"]["commandId"]
    symbol = case["state"]["symbols"][0]
    if action in (
        Action.OPEN_POSITION.value,
        Action.PLACE_ORDER.value,
        Action.CLOSE_POSITION.value,
    ):
        if expected.retcode in (Retcode.DONE, Retcode.PLACED):
            assert request["volume"] == pytest.approx(expected.volume, abs=1e-12)
        steps = request["volume"] / symbol["volumeStep"]
        assert abs(steps - round(steps)) < 1e-9
    if action in (Action.OPEN_POSITION.value, Action.CLOSE_POSITION.value):
        modes = symbol["fillingModes"]
        assert request["filling"] == (_FILLING_FOK if modes & 1 else _FILLING_IOC)
    for key in ("price", "sl", "tp"):
        value = request[key]
        assert value == round(value, symbol["digits"]), (key, value)


def _base_case(action: Action, **request: Any) -> dict[str, Any]:
    """EURUSD 1.08500/1.08510, stops level 10, freeze level 5, FOK|IOC, all permissions."""
    symbol = {
        "name": "EURUSD", "digits": 5, "stopsLevel": 10, "freezeLevel": 5, "fillingModes": 3,
        "tradeMode": "FULL", "volumeMin": 0.01, "volumeMax": 100.0, "volumeStep": 0.01,
        "bid": 1.085, "ask": 1.0851,
    }  # fmt: skip
    state = {
        "nowMs": NOW_MS, "connected": True, "terminalTradeAllowed": True, "eaTradeAllowed": True,
        "accountTradeAllowed": True, "symbols": [symbol],
        "positions": [{"ticket": POSITION_TICKET, "symbol": "EURUSD", "side": "BUY",
                       "volume": 0.1, "priceOpen": 1.08, "sl": 0.0, "tp": 0.0, "magic": 7}],
        "orders": [{"ticket": ORDER_TICKET, "symbol": "EURUSD", "orderType": "BUY_LIMIT",
                    "volume": 0.1, "priceOpen": 1.07, "magic": 7}],
    }  # fmt: skip
    body = {"type": "TRADE", "requestId": "r", "commandId": "c-fixed", "action": action.value,
            "deviation": 10, **request}  # fmt: skip
    return {"config": {"magicFilter": 0, "maxLot": 0}, "state": state, "request": body}


_EU = {"symbol": "EURUSD"}
_BUY = {**_EU, "orderType": "BUY", "volume": 0.1}
_SELL_STOP = {**_BUY, "orderType": "SELL_STOP", "price": 1.08}
_LATER, _EARLIER = NOW_MS + 3_600_000, NOW_MS - 1
_NAMED_CASES = [
    (Action.OPEN_POSITION, _BUY, {}, None),
    (Action.OPEN_POSITION, {**_EU, "orderType": "SELL", "volume": 0.1 + 0.2}, {}, None),
    (Action.OPEN_POSITION, {**_BUY, "volume": 0.015}, {}, 10014),
    (Action.OPEN_POSITION, _BUY, {"bid": 0.0}, 10021),
    (Action.OPEN_POSITION, {**_BUY, "sl": 1.08495}, {}, 10016),
    (Action.OPEN_POSITION, {**_BUY, "price": 1.084}, {}, 10004),
    (Action.PLACE_ORDER, {**_BUY, "orderType": "BUY_LIMIT", "price": 1.0851}, {}, 10015),
    (Action.PLACE_ORDER, {**_SELL_STOP, "expirationMsc": _EARLIER}, {}, 10022),
    (Action.PLACE_ORDER, {**_SELL_STOP, "expirationMsc": _LATER}, {}, None),
    (Action.MODIFY_POSITION, {"ticket": POSITION_TICKET, "sl": 0.0}, {}, 10025),
    (Action.CLOSE_POSITION, {"ticket": POSITION_TICKET, "volume": 0.2}, {}, 10038),
]  # fmt: skip


@pytest.mark.parametrize(("action", "request_fields", "state_changes", "retcode"), _NAMED_CASES)
def test_named_cases_match_the_simulator(
    driver: TradingDriver,
    action: Action,
    request_fields: dict[str, Any],
    state_changes: dict[str, Any],
    retcode: int | None,
) -> None:
    """Hand-picked cases: the retcode both answer, or what the EA sends to the server."""
    case = _base_case(action, **request_fields)
    case["state"]["symbols"][0].update(state_changes)
    ea, expected = driver.run(case), simulate(case)
    if retcode is not None:
        assert ea["outcome"]["retcode"] == expected.retcode == retcode
        assert ea["sent"] == []
        return
    assert expected.retcode in (Retcode.DONE, Retcode.PLACED)
    (sent,) = ea["sent"]
    assert sent["volume"] == pytest.approx(expected.volume, abs=1e-12)
    assert sent["comment"] == "c-fixed"
    if action is Action.OPEN_POSITION:
        assert sent["filling"] == _FILLING_FOK
        assert ea["outcome"]["position"] == ea["outcome"]["order"]  # hedging: position id = order
    if "expirationMsc" in request_fields:
        assert sent["typeTime"] == 2  # ORDER_TIME_SPECIFIED
        assert (
            sent["expiration"] == request_fields["expirationMsc"] // 1000
        )  # server time = UTC here


def test_ioc_when_the_symbol_has_no_fok(driver: TradingDriver) -> None:
    """SYMBOL_FILLING_MODE without FOK: the market order goes out as IOC."""
    case = _base_case(Action.OPEN_POSITION, symbol="EURUSD", orderType="BUY", volume=0.1)
    case["state"]["symbols"][0]["fillingModes"] = 2
    (sent,) = driver.run(case)["sent"]
    assert sent["filling"] == _FILLING_IOC


def test_hard_lot_limit_and_magic_filter(driver: TradingDriver) -> None:
    """The EA's own limits refuse before sending: 10014 over MaxLotPerOrder, 10006 off-magic."""
    case = _base_case(Action.OPEN_POSITION, symbol="EURUSD", orderType="BUY", volume=2.0)
    case["config"]["maxLot"] = 1.0
    ea = driver.run(case)
    assert (ea["outcome"]["retcode"], ea["sent"]) == (10014, [])
    case = _base_case(Action.CLOSE_POSITION, ticket=POSITION_TICKET)
    case["config"]["magicFilter"] = 8
    ea = driver.run(case)
    assert (ea["outcome"]["retcode"], ea["sent"]) == (10006, [])
    case = _base_case(Action.CLOSE_ALL)
    case["config"]["magicFilter"] = 8
    ea = driver.run(case)
    assert (ea["outcome"]["retcode"], ea["outcome"]["closed"], ea["sent"]) == (10009, [], [])
