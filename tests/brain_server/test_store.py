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


def test_answer_to_a_pending_command_marks_it_sent_first(tmp_path: Path) -> None:
    """The sent mark was lost (power cut): the executor's ACK and RESULT still apply."""
    store = Store(tmp_path / "b.db")
    executor_id, _ = store.add_executor("x", 1)
    row, _ = store.submit_command(**{k: getattr(new(executor_id), k) for k in NewCommand.__slots__})
    ack = CommandAck(seq=1, command_id=row.id, timestamp=now())
    body = ExecutionResultBody(success=True, status="executed", ticket=5)
    result = ExecutionResult(
        timestamp=now(), seq=2, command_id=row.id, executor_id=executor_id, result=body
    )
    acked, executed = store.apply_reliable_many(executor_id, [ack, result], 3_000)
    assert [(c.previous, c.row.status) for c in acked.changes] == [
        (CommandStatus.PENDING, CommandStatus.SENT),
        (CommandStatus.SENT, CommandStatus.ACKNOWLEDGED),
    ]
    assert acked.warning is not None
    assert "sent mark was lost" in acked.warning
    assert [c.row.status for c in executed.changes] == [CommandStatus.EXECUTED]
    current = store.get_command(row.id)
    assert current is not None
    assert current.status is CommandStatus.EXECUTED
    assert current.sent_ms == 3_000
    assert current.result == body
    store.close()


def test_only_the_delivery_claim_commits_without_fsync(tmp_path: Path) -> None:
    """The claim's transaction runs at synchronous=NORMAL; submits and results stay FULL."""
    store = Store(tmp_path / "b.db")
    executor_id, _ = store.add_executor("x", 1)
    statements: list[str] = []
    store._db.set_trace_callback(statements.append)
    row, _ = store.submit_command(**{k: getattr(new(executor_id), k) for k in NewCommand.__slots__})
    assert not any("synchronous" in s for s in statements)
    statements.clear()
    store.claim_delivery(executor_id, "s-1", fresh=True, first_seq=1, limit=10, now_ms=2_000)
    pragmas = [s for s in statements if "synchronous" in s or s in ("BEGIN IMMEDIATE", "COMMIT")]
    assert pragmas == [
        "PRAGMA synchronous=NORMAL",
        "BEGIN IMMEDIATE",
        "COMMIT",
        "PRAGMA synchronous=FULL",
    ]
    statements.clear()
    ack = CommandAck(seq=1, command_id=row.id, timestamp=now())
    store.apply_reliable(executor_id, ack, 3_000)
    assert not any("synchronous" in s for s in statements)
    store._db.set_trace_callback(None)
    assert store._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
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
