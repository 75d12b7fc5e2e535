"""The exposure the mirror reports between refreshes: fills noted by our own commands."""

from executor_app.terminal_mirror import TerminalMirror


def tickets(mirror: TerminalMirror) -> dict[int, float]:
    positions, _ = mirror.holdings()
    return {h.ticket: h.volume for h in positions}


def test_a_close_takes_off_a_fill_no_refresh_has_shown() -> None:
    """Opened and closed between refreshes: no longer counted (a stale count refused new risk)."""
    mirror = TerminalMirror()
    mirror.note_opened(7, "EURUSD", 0.1)
    mirror.note_opened(8, "EURUSD", 0.2)
    mirror.note_closed(7, 0.1)
    assert tickets(mirror) == {8: 0.2}


def test_a_partial_close_keeps_the_rest() -> None:
    """Closing part of a noted fill keeps the remaining volume counted."""
    mirror = TerminalMirror()
    mirror.note_opened(7, "EURUSD", 0.3)
    mirror.note_closed(7, 0.1)
    assert tickets(mirror) == {7: 0.2}


def test_an_unknown_closed_volume_keeps_the_fill() -> None:
    """A close that reports no volume leaves the fill counted: over-counting is the safe error."""
    mirror = TerminalMirror()
    mirror.note_opened(7, "EURUSD", 0.3)
    mirror.note_closed(7, 0.0)
    mirror.note_closed(99, 1.0)
    assert tickets(mirror) == {7: 0.3}
