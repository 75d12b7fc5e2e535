"""The store alone, on a real SQLite file: group commit, forward-only status, migrations."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from brain_server.store import NewCommand, Store, StoreError
from fx_protocol.brain_wire import CommandAck, ExecutionResult, ExecutionResultBody
from fx_protocol.commands import TradeCommand
from fx_protocol.vocabulary import Action, CommandStatus, OrderType, Priority
from tests.brain_server.fake_executor import now

BUY = TradeCommand(action=Action.OPEN_POSITION, symbol="EURUSD", type=OrderType.BUY, volume=0.1)


def new(executor_id: str, key: str | None = None, i: int = 0) -> NewCommand:
    return NewCommand(
        executor_id=executor_id,
        command=BUY,
        priority=Priority.NORMAL,
        expiry_ms=None,
        strategy_id=None,
        idempotency_key=key,
        origin="test",
        now_ms=1_000 + i,
        random80=bytes([i]) * 10,
    )


def test_submit_many_outcomes_are_independent(tmp_path: Path) -> None:
    """One refused submit in a batch leaves the others stored; a repeated key gives the first."""
    store = Store(tmp_path / "b.db")
    executor_id, _ = store.add_executor("x", 1)
    outcomes = store.submit_many(
        [
            new(executor_id, "k", 1),
            new("ex-nobody", None, 2),
            new(executor_id, "k", 3),
            new(executor_id, None, 4),
        ]
    )
    assert isinstance(outcomes[1], StoreError)
    assert outcomes[1].reason == "UNKNOWN_EXECUTOR"
    first, again, other = outcomes[0], outcomes[2], outcomes[3]
    assert not isinstance(first, StoreError)
    assert not isinstance(again, StoreError)
    assert not isinstance(other, StoreError)
    assert first[1] is True
    assert again == (first[0], False)
    assert other[1] is True
    assert len(store.list_commands()) == 2
    store.close()


def test_status_never_moves_backwards(tmp_path: Path) -> None:
    """An ACK arriving after the result does not pull an executed command back."""
    store = Store(tmp_path / "b.db")
    executor_id, _ = store.add_executor("x", 1)
    row, _ = store.submit_command(**{k: getattr(new(executor_id), k) for k in NewCommand.__slots__})
    store.claim_delivery(executor_id, "s-1", fresh=True, first_seq=1, limit=10, now_ms=2_000)
    body = ExecutionResultBody(success=True, status="executed", ticket=5)
    result = ExecutionResult(
        timestamp=now(), seq=1, command_id=row.id, executor_id=executor_id, result=body
    )
    assert store.apply_reliable(executor_id, result, 3_000).changes
    late_ack = CommandAck(seq=2, command_id=row.id, timestamp=now())
    applied = store.apply_reliable(executor_id, late_ack, 4_000)
    assert applied.changes == []
    assert applied.ack_seq == 2
    current = store.get_command(row.id)
    assert current is not None
    assert current.status is CommandStatus.EXECUTED
    store.close()


def test_migrations_are_idempotent_and_wal(tmp_path: Path) -> None:
    """Opening a database twice migrates once; the journal mode is WAL."""
    Store(tmp_path / "b.db").close()
    store = Store(tmp_path / "b.db")
    version = store.schema_version()
    store.close()
    assert version >= 1
    with closing(sqlite3.connect(tmp_path / "b.db")) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert raw.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == 1
