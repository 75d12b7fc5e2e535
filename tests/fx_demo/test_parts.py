"""The demo's pure parts: tally, console text, settings, credentials, display check, prices."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from fx_demo import credentials
from fx_demo.console import Console, outcome_line, status_block, status_line
from fx_demo.display import gui_problem
from fx_demo.settings import SettingsError, fields, load_settings
from fx_demo.strategy import LIMITS, REFUSED_SYMBOL, SYMBOLS, stop_levels
from fx_demo.tally import Outcome, Tally
from fx_demo.watch import Quote, Watch

DOC = Path(__file__).parents[2] / "docs" / "demo.md"


def test_tally_counts_and_median() -> None:
    """Executed, rejected (by reason) and other outcomes are counted; median of latencies."""
    tally = Tally()
    for latency in (3.0, 1.0, 2.0):
        tally.on_sent()
        tally.on_final(Outcome("open", "executed", latency_ms=latency))
    tally.on_sent()
    tally.on_final(Outcome("bad", "rejected", "SYMBOL_NOT_ALLOWED (safety)"), "SYMBOL_NOT_ALLOWED")
    tally.on_sent()
    tally.on_final(Outcome("slow", "no answer"))
    assert (tally.sent, tally.executed, tally.rejected, tally.other) == (5, 3, 1, 1)
    assert tally.median_latency_ms == 2.0
    assert tally.last_latency_ms == 2.0
    text = "\n".join(tally.summary_lines())
    assert "rejected           1  (SYMBOL_NOT_ALLOWED x1)" in text
    assert "median latency     2.0 ms" in text
    assert "other outcomes     1" in text


def test_empty_tally_has_no_round_trip() -> None:
    """Nothing executed: no round trip and no median."""
    tally = Tally()
    assert tally.round_trips == 0
    assert tally.median_latency_ms is None
    assert "median latency     -" in "\n".join(tally.summary_lines())


def test_status_block_and_lines() -> None:
    """The live block shows counts, account, prices and the recent commands."""
    tally, watch = Tally(), Watch(equity=10_000.5, balance=10_000.0, currency="USD")
    watch.positions, watch.orders, watch.online, watch.trading_state = 2, 1, True, "ACTIVE"
    watch.quotes["EURUSD"] = Quote(1.085, 1.0851)
    tally.on_sent()
    tally.on_final(Outcome("open BUY 0.02 EURUSD", "executed", "#7 @ 1.08510", 2.4))
    marks = {"executed": "✓", "rejected": "✗"}
    block = "\n".join(status_block(tally, watch, 75, marks, "Ctrl+C stops the demo"))
    assert "running 01:15   executor online, trading ACTIVE" in block
    assert "equity 10,000.50 USD" in block
    assert "positions 2" in block
    assert "EURUSD 1.085/1.0851" in block
    assert "✓ open BUY 0.02 EURUSD" in block
    assert "executed #7 @ 1.08510  2 ms" in block
    assert status_line(tally, watch) == (
        "status: sent 1, executed 1, rejected 0, last latency 2.4 ms, positions 2, "
        "equity 10,000.50 USD"
    )
    assert outcome_line(Outcome("x", "rejected", "RATE_LIMIT (safety)")).startswith("x x ")


def test_console_plain_and_live() -> None:
    """A pipe gets one line per command; a terminal gets the block redrawn in place."""
    plain = io.StringIO()
    console = Console(plain, live=False)
    console.outcome(Outcome("open", "executed", "#1", 1.0))
    console.refresh(Tally(), Watch(), 1.0)  # too soon for a status line
    assert plain.getvalue().count("\n") == 1
    live = io.StringIO()
    console = Console(live, live=True)
    console.refresh(Tally(), Watch(), 1.0)
    console.refresh(Tally(), Watch(), 2.0)
    assert live.getvalue().count("\x1b[J") == 2
    assert "\x1b[" in live.getvalue().split("\x1b[J")[1]


def test_settings_precedence(tmp_path: Path) -> None:
    """Defaults < TOML [demo] < FX_DEMO_* < flags."""
    config = tmp_path / "demo.toml"
    config.write_text("[demo]\nport = 9001\nseed = 3\npace = 0.1\n")
    settings = load_settings(config, {"pace": 2.0}, {"FX_DEMO_SEED": "4", "FX_DEMO_HEADLESS": "1"})
    assert (settings.port, settings.seed, settings.pace, settings.headless) == (9001, 4, 2.0, True)
    assert load_settings(None, {}, {}).port == 8080
    assert load_settings(None, {}, {"FX_DEMO_RUN_FOR": "2.5"}).run_for == 2.5


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"FX_DEMO_PORT": "70000"}, "port"),
        ({"FX_DEMO_HEADLESS": "maybe"}, "FX_DEMO_HEADLESS"),
        ({"FX_DEMO_RUN_FOR": "0"}, "run_for"),
    ],
)
def test_bad_settings_name_the_setting(environ: dict[str, str], message: str) -> None:
    """A wrong value is a SettingsError naming the setting."""
    with pytest.raises(SettingsError, match=message):
        load_settings(None, {}, environ)


def test_credentials_round_trip(tmp_path: Path) -> None:
    """Saved credentials load back; a missing or broken file gives None."""
    assert credentials.load(tmp_path) is None
    saved = credentials.Credentials(
        "ex-1", "key", "fxt_x", "admin", credentials.new_admin_password()
    )
    credentials.save(tmp_path, saved)
    assert credentials.load(tmp_path) == saved
    (tmp_path / credentials.FILE_NAME).write_text("{")
    assert credentials.load(tmp_path) is None


def test_admin_passwords_are_fresh_and_long() -> None:
    """Three groups of five characters, different every time."""
    passwords = {credentials.new_admin_password() for _ in range(50)}
    assert len(passwords) == 50
    assert all(len(p) == 17 and p.count("-") == 2 for p in passwords)


def test_gui_problem() -> None:
    """Linux without a display cannot show the GUI; with one (or Windows) it can."""
    assert "no display" in (gui_problem({}, "linux") or "")
    assert gui_problem({"DISPLAY": ":0"}, "linux") is None
    assert gui_problem({}, "win32") is None


def test_stop_levels_straddle_the_price() -> None:
    """BUY: SL below the bid, TP above; SELL the other way round; rounded to the digits."""
    quote = Quote(2350.00, 2350.25)
    sl, tp = stop_levels("BUY", quote, "XAUUSD", 0.3)
    assert sl < quote.bid < tp
    assert (sl, tp) == (2342.95, 2357.05)
    sl, tp = stop_levels("SELL", quote, "XAUUSD", 0.3)
    assert tp < quote.ask < sl


def test_refused_symbol_is_not_allowed() -> None:
    """The demo's refused command really is outside its limits."""
    assert REFUSED_SYMBOL not in LIMITS["allowed_symbols"]
    assert set(SYMBOLS) == set(LIMITS["allowed_symbols"])


def test_every_setting_is_documented() -> None:
    """docs/demo.md names every flag and FX_DEMO_* variable."""
    text = DOC.read_text(encoding="utf-8")
    for name in fields():
        assert f"--{name.replace('_', '-')}" in text, name
        assert f"FX_DEMO_{name.upper()}" in text, name


def test_a_data_dir_keeps_its_credentials(tmp_path: Path) -> None:
    """--data-dir: the first run registers, the next one reuses the same credentials."""
    from fx_demo.cli import Demo
    from fx_demo.console import Console
    from fx_demo.settings import DemoSettings
    from fx_demo.stack import Stack

    settings = DemoSettings(data_dir=str(tmp_path), headless=True)
    first = Demo(settings, False, Console(io.StringIO(), live=False))
    made = first.credentials(Stack(root=tmp_path))
    again = Demo(settings, False, Console(io.StringIO(), live=False))
    stack = Stack(root=tmp_path)
    assert again.credentials(stack) == made
    assert (stack.executor_id, stack.api_key, stack.token) == (
        made.executor_id,
        made.api_key,
        made.token,
    )
    assert again.keep


def test_live_lines_fit_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a narrow terminal every redrawn line is cut to its width, colour codes aside."""
    import os

    monkeypatch.setattr("shutil.get_terminal_size", lambda *_a: os.terminal_size((41, 20)))
    stream = io.StringIO()
    console = Console(stream, live=True)
    tally = Tally()
    tally.on_final(Outcome("open BUY 0.02 EURUSD sl 1.08 tp 1.09", "executed", "#1 @ 1.08", 3.0))
    console.refresh(tally, Watch(), 1.0)
    for line in stream.getvalue().split("\x1b[J")[1].splitlines():
        visible = re.sub(r"\x1b\[[0-9;]*m", "", line)
        assert len(visible) <= 40, visible
