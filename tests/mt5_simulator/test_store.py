"""The SQLite store: one transaction per trade, migrations, reloading, read-only dumps."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from mt5_simulator.store import DB_NAME, Store, StoreError, read_deals
from tests.mt5_simulator.engine_fixtures import NOW, buy, make_engine


def test_trade_rows_and_command_record_commit_together(tmp_path: Path) -> None:
    """If the command record cannot be written, the deal and position are rolled back too."""
    engine = make_engine()
    store = Store.in_dir(tmp_path)
    store.create_account(engine.account, engine.next_ticket)
    outcome, changes = engine.trade(buy(command_id="same"), NOW)
    store.commit(changes, engine.account, engine.next_ticket, outcome)
    again, more = engine.trade(buy(command_id="same"), NOW)  # bypasses the duplicate check
    with pytest.raises(sqlite3.IntegrityError):
        store.commit(more, engine.account, engine.next_ticket, again)
    assert [d.ticket for d in store.deals()] == [outcome.deal]
    assert [p.ticket for p in store.load_positions()] == [outcome.position]
    store.close()


def test_reopen_keeps_everything_and_migrates_once(tmp_path: Path) -> None:
    """A reopened store has the schema version, account, positions, outcome and ticket counter."""
    engine = make_engine()
    store = Store.in_dir(tmp_path)
    store.create_account(engine.account, engine.next_ticket)
    outcome, changes = engine.trade(buy(command_id="keep-1", sl=1.08), NOW)
    store.commit(changes, engine.account, engine.next_ticket, outcome)
    store.save_quotes({"EURUSD": (1.1, 1.1001, NOW)})
    store.close()
    reopened = Store.in_dir(tmp_path)
    loaded = reopened.load_account()
    assert loaded is not None
    assert loaded[1] == engine.next_ticket
    assert reopened.outcome("keep-1") == outcome
    assert reopened.outcome("never") is None
    assert reopened.load_positions() == list(engine.positions.values())
    assert reopened.load_quotes() == {"EURUSD": (1.1, 1.1001, NOW)}
    with sqlite3.connect(tmp_path / DB_NAME) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (1,)
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    reopened.close()


def test_deals_page_after_ticket(tmp_path: Path) -> None:
    """deals(after, limit) pages by ticket, oldest first."""
    engine = make_engine()
    store = Store.in_dir(tmp_path)
    store.create_account(engine.account, engine.next_ticket)
    deals = []
    for i in range(5):
        outcome, changes = engine.trade(buy(command_id=f"p{i}"), NOW)
        store.commit(changes, engine.account, engine.next_ticket, outcome)
        deals.append(outcome.deal)
    assert [d.ticket for d in store.deals(deals[1], 2)] == deals[2:4]
    assert [d.ticket for d in read_deals(tmp_path)] == deals
    store.close()


def test_unusable_paths_are_store_errors(tmp_path: Path) -> None:
    """A state path under a file, or a dump of an empty directory, is a StoreError."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StoreError):
        Store.in_dir(blocker / "state")
    with pytest.raises(StoreError, match="no simulator state"):
        list(read_deals(tmp_path))
