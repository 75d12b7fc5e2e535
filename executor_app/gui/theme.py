"""State colours that read on light and dark palettes alike.

Mid-tone red, amber and green with white text on them: each stays legible
as a filled badge on a white or on a near-black window. Everything else
uses the palette's own roles, so the system theme decides.
"""

from __future__ import annotations

from PySide6.QtGui import QColor

from fx_protocol.vocabulary import TradingState

RED = QColor("#c62828")
AMBER = QColor("#b26a00")
GREEN = QColor("#2e7d32")
GREY = QColor("#616161")

STATE_COLOURS = {
    TradingState.ACTIVE: GREEN,
    TradingState.REDUCING: AMBER,
    TradingState.HALTED: RED,
}


def badge_style(colour: QColor) -> str:
    """Style sheet of a filled badge: the colour behind white bold text."""
    return (
        f"background-color: {colour.name()}; color: white; border-radius: 6px; "
        "padding: 6px 14px; font-weight: bold;"
    )


def text_colour(colour: QColor, dark: bool) -> QColor:
    """A readable foreground version of a state colour for table text on this palette."""
    return colour.lighter(170) if dark else colour
