"""The brain's ``sent`` mark is committed without an fsync: a power cut may roll it back.

``claim_delivery`` (brain_server/store/commands.py) marks commands ``sent`` with
``synchronous=NORMAL``. A crash of the process keeps that commit; a power cut can take
it, with every commit after it (WAL order), so the brain comes back with a command it
had sent still ``pending`` and without the executor's answers. This drill makes exactly
that database, from a consistent copy taken while the command was pending, and checks
that the command is then delivered again and traded once (docs/reliability.md § The
sent mark).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from fx_demo.stack import Stack

pytestmark = pytest.mark.slow

BUY = {"action": "OPEN_POSITION", "symbol": "EURUSD", "type": "BUY", "volume": 0.01}
LIMITS = {"max_open_positions": 0, "max_orders_per_minute": 0, "max_total_volume_per_symbol": 50}


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy of a live WAL database (SQLite's backup API)."""
    with sqlite3.connect(source) as live, sqlite3.connect(target) as copy:
        live.backup(copy)
    copy.close()
    live.close()


def put_back(copy: Path, database: Path) -> None:
    """Replace a stopped brain's database (and its WAL) with ``copy``."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    copy_database(copy, database)


def status_in(database: Path, command_id: str) -> str:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        row = db.execute("SELECT status FROM commands WHERE id = ?", (command_id,)).fetchone()
    db.close()
    return str(row[0])


def test_command_whose_sent_mark_was_lost_is_delivered_again_and_trades_once() -> None:
    """Sent, executed, then the brain loses the mark and all after it: one deal, executed."""
    with Stack(limits=LIMITS) as stack:
        executor = stack.programs["executor"]
        executor.stop()
        command_id = stack.submit(BUY)["commandId"]
        before_mark = stack.root / "brain-before-mark.sqlite3"
        copy_database(stack.brain_db, before_mark)
        assert status_in(before_mark, command_id) == "pending"

        stack.start_executor()
        first = stack.wait_command(command_id, {"executed"}, timeout=30)
        assert len([d for d in stack.deals() if d.get("comment") == command_id]) == 1

        # The power cut: the brain dies, and its database is as it was before the mark.
        stack.kill("brain")
        put_back(before_mark, stack.brain_db)
        assert status_in(stack.brain_db, command_id) == "pending"
        stack.start_brain()

        view = stack.wait_command(command_id, {"executed"}, timeout=30)
        assert view["result"]["ticket"] == first["result"]["ticket"]
        assert view["sentAt"] is not None
        # The lost mark was noticed one way or the other: the command was sent again and
        # the executor answered it from its journal, or the executor's resent answer
        # reached the brain first and marked it sent.
        redelivered = executor.count(f"duplicate TRADE_SIGNAL {command_id} ignored")
        noticed = stack.programs["brain"].count(f"{command_id} was answered while pending")
        assert redelivered + noticed >= 1
        deals = [d for d in stack.deals() if d.get("comment") == command_id]
        assert len(deals) == 1, deals
        assert [line for line in executor.lines if " ERROR " in line] == []
