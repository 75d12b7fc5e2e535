"""All SQL of the simulated terminal: one SQLite file in WAL mode, one writer.

Tables: ``account`` (one row), ``positions``, ``orders``, ``deals`` and
``commands`` (processed command id → outcome JSON). A trade's rows and its
command record are written in ONE transaction (:meth:`Store.commit`), so a
kill -9 at any instant leaves either both or neither: a deal never exists
without the record that makes its command id a duplicate
(``docs/simulator.md`` § Persistence). ``synchronous=NORMAL`` in WAL mode
survives a process crash; only a power loss could drop the latest commits.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import msgspec

from fx_protocol.terminal_wire import TerminalDeal, TradeOutcome
from mt5_simulator.engine.account import Account
from mt5_simulator.engine.book import Changeset, PendingOrder, Position

DB_NAME = "mt5sim.sqlite3"

_MIGRATIONS = [
    """
    CREATE TABLE account (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        login INTEGER NOT NULL,
        server TEXT NOT NULL,
        currency TEXT NOT NULL,
        balance REAL NOT NULL,
        leverage INTEGER NOT NULL,
        mode TEXT NOT NULL,
        next_ticket INTEGER NOT NULL
    );
    CREATE TABLE positions (
        ticket INTEGER PRIMARY KEY,
        symbol TEXT NOT NULL,
        side TEXT NOT NULL,
        volume REAL NOT NULL,
        price_open REAL NOT NULL,
        sl REAL NOT NULL,
        tp REAL NOT NULL,
        magic INTEGER NOT NULL,
        comment TEXT NOT NULL,
        time_msc INTEGER NOT NULL
    );
    CREATE TABLE orders (
        ticket INTEGER PRIMARY KEY,
        symbol TEXT NOT NULL,
        order_type TEXT NOT NULL,
        volume REAL NOT NULL,
        price REAL NOT NULL,
        sl REAL NOT NULL,
        tp REAL NOT NULL,
        magic INTEGER NOT NULL,
        comment TEXT NOT NULL,
        time_setup_msc INTEGER NOT NULL,
        expiration_msc INTEGER NOT NULL
    );
    CREATE TABLE deals (
        ticket INTEGER PRIMARY KEY,
        order_ticket INTEGER NOT NULL,
        position_id INTEGER NOT NULL,
        symbol TEXT NOT NULL,
        side TEXT NOT NULL,
        entry TEXT NOT NULL,
        volume REAL NOT NULL,
        price REAL NOT NULL,
        profit REAL NOT NULL,
        commission REAL NOT NULL,
        swap REAL NOT NULL,
        magic INTEGER NOT NULL,
        comment TEXT NOT NULL,
        reason TEXT NOT NULL,
        time_msc INTEGER NOT NULL
    );
    CREATE TABLE commands (
        command_id TEXT PRIMARY KEY,
        outcome TEXT NOT NULL,
        time_msc INTEGER NOT NULL
    );
    CREATE TABLE quotes (
        symbol TEXT PRIMARY KEY,
        bid REAL NOT NULL,
        ask REAL NOT NULL,
        time_msc INTEGER NOT NULL
    );
    """,
]

_outcome_decoder = msgspec.json.Decoder(TradeOutcome)
_encoder = msgspec.json.Encoder()


class StoreError(RuntimeError):
    """The state directory cannot be used; the message says why."""


class Store:
    """The simulator's database. Only the server thread writes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # The server loop is the only writer; the same connection moves
            # to its thread, so sqlite3's thread check is lifted.
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._migrate()
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open state database {path}: {exc}") from None

    @classmethod
    def in_dir(cls, state_dir: Path) -> Store:
        return cls(state_dir / DB_NAME)

    def close(self) -> None:
        self._db.close()

    def _migrate(self) -> None:
        (version,) = self._db.execute("PRAGMA user_version").fetchone()
        for number, script in enumerate(_MIGRATIONS[version:], start=version + 1):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for statement in script.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version={number}")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    # ------------------------------------------------------------ loading

    def load_account(self) -> tuple[Account, int] | None:
        """The stored account and the next ticket number, or None for a new state dir."""
        row = self._db.execute(
            "SELECT login, server, currency, balance, leverage, mode, next_ticket FROM account"
        ).fetchone()
        if row is None:
            return None
        login, server, currency, balance, leverage, mode, next_ticket = row
        return Account(login, server, currency, balance, leverage, mode), int(next_ticket)

    def create_account(self, account: Account, next_ticket: int) -> None:
        with self._transaction():
            self._db.execute(
                "INSERT INTO account VALUES (1, ?, ?, ?, ?, ?, ?, ?)",
                (
                    account.login,
                    account.server,
                    account.currency,
                    account.balance,
                    account.leverage,
                    account.mode,
                    next_ticket,
                ),
            )

    def load_positions(self) -> list[Position]:
        rows = self._db.execute(
            "SELECT ticket, symbol, side, volume, price_open, sl, tp, magic, comment, time_msc "
            "FROM positions ORDER BY ticket"
        ).fetchall()
        return [
            Position(t, s, side == "BUY", v, p, sl, tp, m, c, tm)
            for (t, s, side, v, p, sl, tp, m, c, tm) in rows
        ]

    def load_orders(self) -> list[PendingOrder]:
        rows = self._db.execute(
            "SELECT ticket, symbol, order_type, volume, price, sl, tp, magic, comment, "
            "time_setup_msc, expiration_msc FROM orders ORDER BY ticket"
        ).fetchall()
        return [PendingOrder(*row) for row in rows]

    def load_quotes(self) -> dict[str, tuple[float, float, int]]:
        rows = self._db.execute("SELECT symbol, bid, ask, time_msc FROM quotes").fetchall()
        return {symbol: (bid, ask, time_msc) for symbol, bid, ask, time_msc in rows}

    # ------------------------------------------------------------ commands

    def outcome(self, command_id: str) -> TradeOutcome | None:
        row = self._db.execute(
            "SELECT outcome FROM commands WHERE command_id = ?", (command_id,)
        ).fetchone()
        return None if row is None else _outcome_decoder.decode(row[0])

    def command_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM commands").fetchone()[0])

    # ------------------------------------------------------------ writing

    def commit(
        self,
        changes: Changeset,
        account: Account,
        next_ticket: int,
        outcome: TradeOutcome | None = None,
    ) -> None:
        """Write an operation's rows and (for a TRADE) its command record atomically."""
        with self._transaction():
            db = self._db
            for ticket, position in changes.positions.items():
                if position is None:
                    db.execute("DELETE FROM positions WHERE ticket = ?", (ticket,))
                else:
                    db.execute(
                        "INSERT OR REPLACE INTO positions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            position.ticket,
                            position.symbol,
                            position.side,
                            position.volume,
                            position.price_open,
                            position.sl,
                            position.tp,
                            position.magic,
                            position.comment,
                            position.time_msc,
                        ),
                    )
            for ticket, order in changes.orders.items():
                if order is None:
                    db.execute("DELETE FROM orders WHERE ticket = ?", (ticket,))
                else:
                    db.execute(
                        "INSERT OR REPLACE INTO orders VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            order.ticket,
                            order.symbol,
                            order.order_type,
                            order.volume,
                            order.price,
                            order.sl,
                            order.tp,
                            order.magic,
                            order.comment,
                            order.time_setup_msc,
                            order.expiration_msc,
                        ),
                    )
            if changes.deals:
                db.executemany(
                    "INSERT INTO deals VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            d.ticket,
                            d.order,
                            d.position_id,
                            d.symbol,
                            d.side,
                            d.entry,
                            d.volume,
                            d.price,
                            d.profit,
                            d.commission,
                            d.swap,
                            d.magic,
                            d.comment,
                            d.reason,
                            d.time_msc,
                        )
                        for d in changes.deals
                    ],
                )
            db.execute(
                "UPDATE account SET balance = ?, next_ticket = ? WHERE id = 1",
                (account.balance, next_ticket),
            )
            if outcome is not None:
                db.execute(
                    "INSERT INTO commands VALUES (?, ?, ?)",
                    (outcome.command_id, _encoder.encode(outcome).decode(), outcome.time_msc),
                )

    def save_quotes(self, quotes: dict[str, tuple[float, float, int]]) -> None:
        with self._transaction():
            self._db.executemany(
                "INSERT OR REPLACE INTO quotes VALUES (?, ?, ?, ?)",
                [(symbol, bid, ask, t) for symbol, (bid, ask, t) in quotes.items()],
            )

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)

    # ------------------------------------------------------------ reading

    def deals(self, after_ticket: int = 0, limit: int | None = None) -> list[TerminalDeal]:
        """Deals with ticket > ``after_ticket``, oldest first."""
        sql = (
            "SELECT ticket, order_ticket, position_id, symbol, side, entry, volume, price, "
            "profit, commission, swap, magic, comment, reason, time_msc FROM deals "
            "WHERE ticket > ? ORDER BY ticket"
        )
        params: tuple[int, ...] = (after_ticket,)
        if limit is not None:
            sql += " LIMIT ?"
            params = (after_ticket, limit)
        return [_deal(row) for row in self._db.execute(sql, params)]


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any exception."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("COMMIT" if exc_type is None else "ROLLBACK")


_DEAL_FIELDS = (
    "ticket", "order", "position_id", "symbol", "side", "entry", "volume", "price",
    "profit", "commission", "swap", "magic", "comment", "reason", "time_msc",
)  # fmt: skip


def _deal(row: tuple[Any, ...]) -> TerminalDeal:
    return TerminalDeal(**dict(zip(_DEAL_FIELDS, row, strict=True)))


def read_deals(state_dir: Path) -> Iterator[TerminalDeal]:
    """Deals of a state dir opened read-only, safe beside a running simulator."""
    path = state_dir / DB_NAME
    if not path.exists():
        raise StoreError(f"no simulator state in {state_dir}")
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open {path}: {exc}") from None
    with closing(db):
        try:
            rows = db.execute(
                "SELECT ticket, order_ticket, position_id, symbol, side, entry, volume, price, "
                "profit, commission, swap, magic, comment, reason, time_msc FROM deals "
                "ORDER BY ticket"
            ).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read deals from {path}: {exc}") from None
    yield from (_deal(row) for row in rows)
