"""The journal: atomic command + answer, outbox order, deals once, state, survives reopen."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from executor_app.journal import SENDING, Journal
from fx_protocol.brain_wire import CommandAck, decode_from_executor

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def ack(command_id: str):  # type: ignore[no-untyped-def]
    return lambda seq: CommandAck(seq=seq, command_id=command_id, timestamp=NOW)


def record(journal: Journal, command_id: str) -> int:
    entry = journal.record_command(
        command_id=command_id,
        signal=b"{}",
        status=SENDING,
        now=NOW,
        action="OPEN_POSITION",
        symbol="EURUSD",
        volume=0.1,
        expires_at=None,
        answer=ack(command_id),
        answer_kind="COMMAND_ACK",
    )
    assert entry is not None
    return entry.seq


def test_command_and_answer_share_one_transaction(tmp_path: Path) -> None:
    """A recorded command has its answer's seq, and the outbox holds that exact message."""
    journal = Journal(tmp_path / "j.sqlite3")
    seq = record(journal, "c1")
    row = journal.command("c1")
    assert row is not None
    assert row.answer_seq == seq
    assert row.status == SENDING
    entry = journal.outbox_entry(seq)
    assert entry is not None
    message = decode_from_executor(entry.payload)
    assert isinstance(message, CommandAck)
    assert message.seq == seq


def test_seqs_are_durable_and_increasing_across_reopen(tmp_path: Path) -> None:
    """After a reopen the next seq continues above the last one; open commands are found."""
    path = tmp_path / "j.sqlite3"
    journal = Journal(path)
    assert [record(journal, f"c{i}") for i in range(3)] == [1, 2, 3]
    journal.close()
    journal = Journal(path)
    assert record(journal, "c9") == 4
    assert [e.seq for e in journal.outbox_after(2)] == [3, 4]
    assert [r.command_id for r in journal.open_commands()] == ["c0", "c1", "c2", "c9"]


def test_outcome_closes_an_open_command(tmp_path: Path) -> None:
    """Recording an outcome removes the command from the open list."""
    journal = Journal(tmp_path / "j.sqlite3")
    record(journal, "c1")
    journal.record_outcome("c1", status="executed", now=NOW, result={"ticket": 5})
    assert journal.open_commands() == []
    assert journal.recent_commands()[0]["status"] == "executed"


def test_deal_reported_once_and_last_ticket_is_numeric_max(tmp_path: Path) -> None:
    """A deal ticket is recorded once; the last deal is the numeric maximum."""
    journal = Journal(tmp_path / "j.sqlite3")
    assert journal.record_deal(9, None, NOW, ack("x")) is not None
    assert journal.record_deal(9, None, NOW, ack("x")) is None
    journal.record_deal(10, None, NOW, None)
    journal.record_deal(8, None, NOW, None)
    assert journal.last_deal_ticket() == 10


def test_a_deal_seen_twice_queues_one_fill_under_its_own_seq(tmp_path: Path) -> None:
    """The second sighting of a deal writes nothing: no outbox entry, no seq used up."""
    path = tmp_path / "j.sqlite3"
    journal = Journal(path)
    record(journal, "c1")
    first = journal.record_deal(7, "c1", NOW, ack("c1"))
    assert first is not None
    assert first.seq == 2
    assert journal.record_deal(7, "c1", NOW, ack("c1")) is None
    assert journal.last_seq == 2
    assert [e.seq for e in journal.outbox_after(0)] == [1, 2]
    journal.close()
    assert Journal(path).record_deal(7, None, NOW, None) is None


def test_command_known_matches_command(tmp_path: Path) -> None:
    """The cheap existence check agrees with the full row lookup."""
    journal = Journal(tmp_path / "j.sqlite3")
    record(journal, "c1")
    assert journal.command_known("c1")
    assert journal.command("c1") is not None
    assert not journal.command_known("c2")
    assert journal.command("c2") is None


def test_last_deal_counts_the_stored_baseline(tmp_path: Path) -> None:
    """The baseline (or an older journal's stored maximum) counts beside recorded deals."""
    journal = Journal(tmp_path / "j.sqlite3")
    assert journal.last_deal_ticket() is None
    journal.set_state("last_deal", "50")
    journal.record_deal(20, None, NOW, None)
    assert journal.last_deal_ticket() == 50
    journal.record_deal(60, None, NOW, None)
    assert journal.last_deal_ticket() == 60


def test_state_values_round_trip(tmp_path: Path) -> None:
    """Named state values persist across a reopen."""
    path = tmp_path / "j.sqlite3"
    Journal(path).set_state("k", "v1")
    journal = Journal(path)
    assert journal.get_state("k") == "v1"
    journal.set_state("k", "v2")
    assert journal.get_state("k") == "v2"


def test_seq_continues_above_what_the_brain_has(tmp_path: Path) -> None:
    """A replaced journal numbers new messages above the brain's last seq."""
    journal = Journal(tmp_path / "j.sqlite3")
    assert journal.skip_seq_to(40)
    assert not journal.skip_seq_to(10)
    assert record(journal, "c1") == 41


def test_prune_keeps_unacked_and_recent(tmp_path: Path) -> None:
    """Only acknowledged messages older than the cut-off are forgotten."""
    journal = Journal(tmp_path / "j.sqlite3")
    for i in range(4):
        record(journal, f"c{i}")
    assert journal.prune_outbox(acked_seq=2, before=NOW) == 0  # all are as new as NOW
    later = NOW.replace(year=NOW.year + 1)
    assert journal.prune_outbox(acked_seq=2, before=later) == 2
    assert [e.seq for e in journal.outbox_after(0)] == [3, 4]
