"""The brain database schema: migrations in code, applied in order, never edited once shipped."""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: the whole first schema
    """
    CREATE TABLE executors (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        api_key_hash TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        revoked_ms INTEGER,
        last_executor_seq INTEGER NOT NULL DEFAULT 0,
        online INTEGER NOT NULL DEFAULT 0,
        session_id TEXT,
        connected_ms INTEGER,
        last_seen_ms INTEGER,
        last_heartbeat_ms INTEGER,
        latency_ms REAL,
        trading_state TEXT,
        halt_reason TEXT,
        terminal_connected INTEGER,
        status_json TEXT,
        status_ms INTEGER,
        -- remote halt/resume the brain must get through: 'halt' | 'resume' | NULL
        halt_request TEXT,
        halt_id TEXT,
        halt_flatten INTEGER NOT NULL DEFAULT 0,
        halt_request_reason TEXT,
        halt_requested_ms INTEGER,
        halt_done_ms INTEGER
    );
    CREATE TABLE executor_sessions (
        id TEXT PRIMARY KEY,
        executor_id TEXT NOT NULL REFERENCES executors(id),
        api_key_hash TEXT NOT NULL,
        ip_address TEXT,
        app_version TEXT,
        connected_ms INTEGER NOT NULL,
        last_heartbeat_ms INTEGER,
        latency_ms REAL,
        disconnected_ms INTEGER,
        status TEXT NOT NULL DEFAULT 'online',
        close_reason TEXT,
        last_brain_seq INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX executor_sessions_by_executor ON executor_sessions(executor_id, connected_ms);
    CREATE TABLE commands (
        id TEXT PRIMARY KEY,
        strategy_id TEXT,
        executor_id TEXT NOT NULL REFERENCES executors(id),
        type TEXT NOT NULL,
        payload TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',
        priority TEXT NOT NULL DEFAULT 'NORMAL',
        priority_rank INTEGER NOT NULL,
        idempotency_key TEXT,
        expiry_ms INTEGER,
        expires_ms INTEGER,
        origin TEXT NOT NULL,
        reason TEXT,
        source TEXT,
        field TEXT,
        message TEXT,
        session_id TEXT,
        seq INTEGER,
        retry_count INTEGER NOT NULL DEFAULT 0,
        created_ms INTEGER NOT NULL,
        sent_ms INTEGER,
        last_sent_ms INTEGER,
        acknowledged_ms INTEGER,
        executed_ms INTEGER,
        completed_ms INTEGER,
        updated_ms INTEGER NOT NULL
    );
    CREATE UNIQUE INDEX commands_idempotency ON commands(idempotency_key)
        WHERE idempotency_key IS NOT NULL;
    CREATE INDEX commands_queue ON commands(executor_id, status, priority_rank DESC, created_ms);
    CREATE INDEX commands_created ON commands(created_ms DESC);
    CREATE INDEX commands_status ON commands(status);
    CREATE TABLE results (
        command_id TEXT PRIMARY KEY REFERENCES commands(id),
        executor_id TEXT NOT NULL,
        status TEXT NOT NULL,
        success INTEGER NOT NULL,
        ticket INTEGER,
        price REAL,
        volume REAL,
        slippage REAL,
        retcode INTEGER,
        body TEXT NOT NULL,
        received_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL
    );
    CREATE TABLE fills (
        executor_id TEXT NOT NULL,
        deal INTEGER NOT NULL,
        order_ticket INTEGER NOT NULL,
        position_id INTEGER NOT NULL,
        symbol TEXT NOT NULL,
        side TEXT NOT NULL,
        entry TEXT NOT NULL,
        volume REAL NOT NULL,
        price REAL NOT NULL,
        profit REAL NOT NULL,
        magic INTEGER NOT NULL,
        reason TEXT NOT NULL,
        command_id TEXT,
        time_ms INTEGER NOT NULL,
        body TEXT NOT NULL,
        received_ms INTEGER NOT NULL,
        PRIMARY KEY (executor_id, deal)
    );
    CREATE INDEX fills_by_command ON fills(command_id);
    CREATE TABLE positions (
        executor_id TEXT PRIMARY KEY,
        body TEXT NOT NULL,
        updated_ms INTEGER NOT NULL
    );
    CREATE TABLE accounts (
        executor_id TEXT PRIMARY KEY,
        body TEXT NOT NULL,
        updated_ms INTEGER NOT NULL
    );
    CREATE TABLE ticks (
        executor_id TEXT NOT NULL,
        symbol TEXT NOT NULL,
        bid REAL NOT NULL,
        ask REAL NOT NULL,
        spread INTEGER NOT NULL,
        volume INTEGER NOT NULL,
        time_ms INTEGER NOT NULL,
        PRIMARY KEY (executor_id, symbol)
    );
    CREATE TABLE api_tokens (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        token_hash TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        revoked_ms INTEGER,
        last_used_ms INTEGER
    );
    CREATE TABLE admin_credentials (
        username TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        updated_ms INTEGER NOT NULL
    );
    CREATE TABLE webhooks (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        executor_id TEXT NOT NULL REFERENCES executors(id),
        secret_hash TEXT NOT NULL UNIQUE,
        created_ms INTEGER NOT NULL,
        revoked_ms INTEGER
    );
    CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at_ms INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT,
        detail TEXT
    );
    CREATE INDEX audit_log_at ON audit_log(at_ms DESC);
    """,
    # 2: web admin sessions (brain_server/admin); the cookie's secret is kept only as a hash
    """
    CREATE TABLE admin_sessions (
        id_hash TEXT PRIMARY KEY,
        username TEXT NOT NULL,
        csrf_token TEXT NOT NULL,
        address TEXT,
        user_agent TEXT,
        created_ms INTEGER NOT NULL,
        last_seen_ms INTEGER NOT NULL,
        expires_ms INTEGER NOT NULL
    );
    CREATE INDEX admin_sessions_expiry ON admin_sessions(expires_ms);
    """,
    # 3: security (docs/security.md): the secret the brain signs TRADE_SIGNALs with (it
    # must be able to use it, so unlike keys it is not a hash) and client address
    # allow-lists (comma-separated CIDRs; NULL = any address)
    """
    ALTER TABLE executors ADD COLUMN signing_secret TEXT;
    ALTER TABLE executors ADD COLUMN allow_cidrs TEXT;
    ALTER TABLE api_tokens ADD COLUMN allow_cidrs TEXT
    """,
]
