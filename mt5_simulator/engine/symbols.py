"""Instrument specifications with the values a typical MT5 retail broker uses.

The fields mirror ``SymbolInfo*`` properties of MT5: digits and point,
contract size, volume min/step/max, stops and freeze levels (in points),
allowed filling modes, trade mode and trade sessions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Literal

TradeMode = Literal["FULL", "LONGONLY", "SHORTONLY", "CLOSEONLY", "DISABLED"]
MarginCalc = Literal["FOREX", "CFD"]

#: SYMBOL_FILLING_MODE bits
FILLING_FOK = 1
FILLING_IOC = 2

_MINUTES_PER_DAY = 24 * 60
_MS_PER_MINUTE = 60_000
# 1970-01-01 was a Thursday; MT5 numbers Sunday as 0.
_EPOCH_WEEKDAY = 4


@dataclass(frozen=True)
class Session:
    """One trading window: ``weekday`` (0 = Sunday, MT5's numbering), minutes from midnight."""

    weekday: int
    start_minute: int
    end_minute: int


def forex_week() -> tuple[Session, ...]:
    """Monday 00:00 to Friday 23:55 server time, as most FX brokers quote."""
    return tuple(Session(day, 0, 23 * 60 + 55) for day in range(1, 6))


def metals_week() -> tuple[Session, ...]:
    """Gold: Monday to Friday with the daily one-hour break at 23:00."""
    return tuple(
        Session(day, 60 if day > 1 else 0, 23 * 60 if day < 5 else 22 * 60) for day in range(1, 6)
    )


ALWAYS = tuple(Session(day, 0, _MINUTES_PER_DAY) for day in range(7))


@dataclass(frozen=True)
class Instrument:
    """A tradable symbol's specification (MT5 ``SYMBOL_*`` properties)."""

    name: str
    digits: int
    contract_size: float
    volume_min: float
    volume_max: float
    volume_step: float
    base_currency: str
    profit_currency: str
    margin_currency: str
    margin_calc: MarginCalc
    #: start price of the random walk and its typical spread, in points
    start_price: float
    spread_points: int
    #: standard deviation of one tick's relative price move
    volatility: float
    stops_level: int = 0
    freeze_level: int = 0
    filling_modes: int = FILLING_FOK | FILLING_IOC
    trade_mode: TradeMode = "FULL"
    sessions: tuple[Session, ...] = field(default_factory=forex_week)

    @property
    def point(self) -> float:
        return float(10.0**-self.digits)

    def normalize_price(self, price: float) -> float:
        """Round to the symbol's digits, as ``NormalizeDouble(price, _Digits)`` does."""
        return round(price, self.digits)

    def volume_valid(self, volume: float) -> bool:
        """MT5's volume rule: within min..max and a whole multiple of the step."""
        if not math.isfinite(volume) or volume < self.volume_min - 1e-9:
            return False
        if volume > self.volume_max + 1e-9:
            return False
        steps = volume / self.volume_step
        return abs(steps - round(steps)) < 1e-6

    def normalize_volume(self, volume: float) -> float:
        """Remove float noise from a volume that is already a multiple of the step."""
        step_digits = max(0, -math.floor(math.log10(self.volume_step)))
        return round(round(volume / self.volume_step) * self.volume_step, step_digits)

    def is_open(self, now_msc: int) -> bool:
        """Whether ``now_msc`` (server time) falls inside a trade session."""
        minutes = now_msc // _MS_PER_MINUTE
        weekday = (minutes // _MINUTES_PER_DAY + _EPOCH_WEEKDAY) % 7
        minute = minutes % _MINUTES_PER_DAY
        return any(
            s.weekday == weekday and s.start_minute <= minute < s.end_minute for s in self.sessions
        )

    def with_changes(self, **changes: object) -> Instrument:
        return replace(self, **changes)  # type: ignore[arg-type]


def default_instruments() -> dict[str, Instrument]:
    """EURUSD, GBPUSD, USDJPY, XAUUSD, USDCHF with typical ECN-account values."""
    specs = [
        Instrument(
            name="EURUSD",
            digits=5,
            contract_size=100_000,
            volume_min=0.01,
            volume_max=100.0,
            volume_step=0.01,
            base_currency="EUR",
            profit_currency="USD",
            margin_currency="EUR",
            margin_calc="FOREX",
            start_price=1.08500,
            spread_points=10,
            volatility=0.00002,
            stops_level=10,
            freeze_level=5,
        ),
        Instrument(
            name="GBPUSD",
            digits=5,
            contract_size=100_000,
            volume_min=0.01,
            volume_max=100.0,
            volume_step=0.01,
            base_currency="GBP",
            profit_currency="USD",
            margin_currency="GBP",
            margin_calc="FOREX",
            start_price=1.26500,
            spread_points=14,
            volatility=0.000025,
            stops_level=10,
            freeze_level=5,
        ),
        Instrument(
            name="USDJPY",
            digits=3,
            contract_size=100_000,
            volume_min=0.01,
            volume_max=100.0,
            volume_step=0.01,
            base_currency="USD",
            profit_currency="JPY",
            margin_currency="USD",
            margin_calc="FOREX",
            start_price=151.500,
            spread_points=12,
            volatility=0.00002,
            stops_level=10,
            freeze_level=5,
        ),
        Instrument(
            name="USDCHF",
            digits=5,
            contract_size=100_000,
            volume_min=0.01,
            volume_max=100.0,
            volume_step=0.01,
            base_currency="USD",
            profit_currency="CHF",
            margin_currency="USD",
            margin_calc="FOREX",
            start_price=0.88500,
            spread_points=15,
            volatility=0.00002,
            stops_level=10,
            freeze_level=5,
        ),
        Instrument(
            name="XAUUSD",
            digits=2,
            contract_size=100,
            volume_min=0.01,
            volume_max=50.0,
            volume_step=0.01,
            base_currency="XAU",
            profit_currency="USD",
            margin_currency="USD",
            margin_calc="CFD",
            start_price=2350.00,
            spread_points=25,
            volatility=0.00004,
            stops_level=20,
            freeze_level=10,
            filling_modes=FILLING_FOK | FILLING_IOC,
            sessions=metals_week(),
        ),
    ]
    return {spec.name: spec for spec in specs}
