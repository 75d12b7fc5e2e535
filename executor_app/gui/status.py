"""What the tray shows at a glance, derived from the runtime's state (no Qt here).

Precedence, most urgent first: HALTED, then no terminal (nothing can trade),
then the brain link lost (reconnecting), else trading (ACTIVE or REDUCING).
"""

from __future__ import annotations

from enum import StrEnum

import msgspec

from executor_app.core.session import LinkState
from fx_protocol.vocabulary import TradingState


class TrayState(StrEnum):
    """Named after the icon files in ``assets/png``."""

    TRADING = "trading"
    RECONNECTING = "reconnecting"
    HALTED = "halted"
    TERMINAL_UNAVAILABLE = "terminal-unavailable"


class Status(msgspec.Struct, kw_only=True):
    """The few facts the tray and the window header need, kept current by the observer."""

    executor_id: str = ""
    trading_state: TradingState = TradingState.ACTIVE
    reason: str = ""
    brain: LinkState = LinkState.DISCONNECTED
    brain_latency_ms: float | None = None
    terminal_available: bool = False
    terminal_trade_allowed: bool = False
    terminal_latency_ms: float | None = None
    reconciled: bool = False

    def tray_state(self) -> TrayState:
        if self.trading_state is TradingState.HALTED:
            return TrayState.HALTED
        if not self.terminal_available:
            return TrayState.TERMINAL_UNAVAILABLE
        if self.brain is not LinkState.CONNECTED:
            return TrayState.RECONNECTING
        return TrayState.TRADING

    def brain_text(self) -> str:
        text = str(self.brain)
        if self.brain is LinkState.CONNECTED and self.brain_latency_ms is not None:
            text += f" · {self.brain_latency_ms:.1f} ms"
        return text

    def terminal_text(self) -> str:
        if not self.terminal_available:
            return "unavailable"
        text = "connected" if self.terminal_trade_allowed else "connected, algo trading OFF"
        if self.terminal_latency_ms is not None:
            text += f" · {self.terminal_latency_ms:.1f} ms"
        return text

    def tooltip(self) -> str:
        """Multi-line summary for the tray icon's tooltip."""
        state = str(self.trading_state)
        if self.reason:
            state += f" ({self.reason})"
        lines = [
            f"fx-executor {self.executor_id}".rstrip(),
            f"Trading: {state}",
            f"Brain: {self.brain_text()}",
            f"Terminal: {self.terminal_text()}",
        ]
        if not self.reconciled:
            lines.append("Not reconciled with the terminal yet")
        return "\n".join(lines)
