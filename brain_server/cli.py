"""``fx-brain``: serve the brain and manage its credentials (``docs/brain.md`` § CLI).

Exit codes: 0 ok, 2 bad usage, 1 failure; one line on stderr, no traceback
for user errors. Every subcommand takes ``--db`` and ``--config`` after its
name and reads ``FX_BRAIN_DB`` / ``FX_BRAIN_*``.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from brain_server.clock import now_ms, to_datetime
from brain_server.settings import Settings, SettingsError, load_settings
from brain_server.store import Store, StoreError


class UsageError(Exception):
    """Bad command-line usage: exit code 2."""


class FailureError(Exception):
    """The command could not do its job: exit code 1."""


class Stopped(BaseException):
    """SIGTERM or Ctrl+C while no server loop handles them (start-up, other subcommands): exit 0.

    Never a KeyboardInterrupt: CPython remembers a KeyboardInterrupt that leaves an
    ``exec()``/``eval()`` of a string (dataclasses and namedtuple build their methods
    that way, so any import at start-up can be one) and, at exit, ends the process
    by SIGINT however cleanly it was caught: exit status -2 instead of 0
    (tests/brain_server/test_cli.py pins the signal inside such an ``exec()``).
    """


def _stop(signum: int, frame: object) -> None:
    raise Stopped


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, help="SQLite database (env FX_BRAIN_DB)")
    parser.add_argument("--config", type=Path, help="TOML settings file (env FX_BRAIN_CONFIG)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fx-brain",
        description="The brain server: durable command queue, executor sessions, REST API.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the server (REST API, executor WebSocket, metrics)")
    _common(serve)
    serve.add_argument("--host", help="listen address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="listen port (default 8080)")
    serve.add_argument(
        "--certfile", help="PEM certificate: serve https:// and wss:// (env FX_BRAIN_CERTFILE)"
    )
    serve.add_argument("--keyfile", help="PEM private key of --certfile (env FX_BRAIN_KEYFILE)")

    executors = sub.add_parser("executors", help="register, list and revoke executors")
    ex_sub = executors.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = ex_sub.add_parser("add", help="register an executor; prints its id and API key once")
    add.add_argument("name")
    add.add_argument(
        "--json",
        action="store_true",
        help="print JSON {executorId, apiKey, signingSecret, name}",
    )
    add.add_argument(
        "--allow",
        action="append",
        default=[],
        metavar="CIDR",
        help="only accept this executor from these client networks (repeatable)",
    )
    _common(add)
    lst = ex_sub.add_parser("list", help="list executors")
    lst.add_argument("--json", action="store_true")
    _common(lst)
    revoke = ex_sub.add_parser("revoke", help="revoke an executor's API key")
    revoke.add_argument("executor_id", metavar="ID")
    _common(revoke)
    rotate = ex_sub.add_parser(
        "rotate-signing-secret", help="issue a new command signing secret; prints it once"
    )
    rotate.add_argument("executor_id", metavar="ID")
    rotate.add_argument(
        "--json", action="store_true", help="print JSON {executorId, signingSecret}"
    )
    _common(rotate)
    allow = ex_sub.add_parser(
        "allow", help="set the client networks an executor may connect from (none = any)"
    )
    allow.add_argument("executor_id", metavar="ID")
    allow.add_argument("--allow", action="append", default=[], metavar="CIDR")
    _common(allow)

    tokens = sub.add_parser("tokens", help="API tokens for strategies and REST clients")
    tok_sub = tokens.add_subparsers(dest="action", metavar="ACTION", required=True)
    tadd = tok_sub.add_parser("add", help="create a token; prints it once")
    tadd.add_argument("name")
    tadd.add_argument("--json", action="store_true", help="print JSON {token, tokenId, name}")
    tadd.add_argument(
        "--allow",
        action="append",
        default=[],
        metavar="CIDR",
        help="only accept this token from these client networks (repeatable)",
    )
    _common(tadd)
    tlist = tok_sub.add_parser("list", help="list tokens (never the secrets)")
    tlist.add_argument("--json", action="store_true")
    _common(tlist)
    trevoke = tok_sub.add_parser("revoke", help="revoke a token by its id")
    trevoke.add_argument("token_id", metavar="TOKEN_ID")
    _common(trevoke)

    admin = sub.add_parser("admin-password", help="set the web admin password")
    admin.add_argument("--username", default="admin", help="admin user name (default admin)")
    admin.add_argument("--password-env", metavar="VAR", help="read the password from this variable")
    _common(admin)

    hooks = sub.add_parser("webhooks", help="TradingView-style webhooks")
    hook_sub = hooks.add_subparsers(dest="action", metavar="ACTION", required=True)
    hadd = hook_sub.add_parser("add", help="create a webhook for an executor; prints its URL path")
    hadd.add_argument("name")
    hadd.add_argument("--executor", required=True, metavar="ID", help="executor the alerts go to")
    hadd.add_argument("--json", action="store_true")
    _common(hadd)
    hlist = hook_sub.add_parser("list", help="list webhooks (never the secrets)")
    hlist.add_argument("--json", action="store_true")
    _common(hlist)
    return parser


def _settings(args: argparse.Namespace, **overrides: Any) -> Settings:
    try:
        return load_settings(config=args.config, overrides={"db": args.db, **overrides})
    except SettingsError as exc:
        raise UsageError(str(exc)) from None


def _store(settings: Settings) -> Store:
    try:
        return Store(settings.db, settings.sqlite_synchronous)
    except Exception as exc:  # sqlite3.Error, OSError: a path we cannot use
        raise FailureError(f"cannot open database {settings.db}: {exc}") from None


def _print(data: Any, as_json: bool, text: str) -> None:
    print(json.dumps(data) if as_json else text)


def _iso(ms: int | None) -> str:
    return "-" if ms is None else to_datetime(ms).isoformat(timespec="seconds")


def cmd_executors(args: argparse.Namespace) -> None:
    store = _store(_settings(args))
    try:
        if args.action == "add":
            cidrs = _cidrs(args.allow)
            executor_id, api_key = store.add_executor(args.name, now_ms())
            if cidrs:
                store.set_allowed_addresses("executor", executor_id, cidrs, "cli", now_ms())
            secret = store.executor_signing_secret(executor_id) or ""
            added: dict[str, Any] = {
                "executorId": executor_id,
                "apiKey": api_key,
                "signingSecret": secret,
                "name": args.name,
            }
            if cidrs:
                added["allow"] = cidrs
            _print(
                added,
                args.json,
                f"executor id:    {executor_id}\napi key:        {api_key}\n"
                f"signing secret: {secret}\n"
                "(shown once; the brain keeps only the key's hash; store both on the "
                "executor: docs/security.md)",
            )
        elif args.action == "rotate-signing-secret":
            try:
                secret = store.rotate_signing_secret(args.executor_id, "cli", now_ms())
            except StoreError as exc:
                raise FailureError(exc.message) from None
            _print(
                {"executorId": args.executor_id, "signingSecret": secret},
                args.json,
                f"signing secret: {secret}\n(shown once; the next session signs with it)",
            )
        elif args.action == "allow":
            cidrs = _cidrs(args.allow)
            if not store.set_allowed_addresses(
                "executor", args.executor_id, cidrs, "cli", now_ms()
            ):
                raise FailureError(f"no executor {args.executor_id!r}")
            print(f"{args.executor_id} allowed from {', '.join(cidrs) or 'any address'}")
        elif args.action == "list":
            rows = store.list_executors()
            data = [
                {
                    "executorId": r.id,
                    "name": r.name,
                    "online": r.online,
                    "revoked": r.revoked_ms is not None,
                    "createdAt": _iso(r.created_ms),
                }
                for r in rows
            ]
            text = "\n".join(
                f"{d['executorId']}  {d['name']}"
                f"{'  (revoked)' if d['revoked'] else ''}{'  online' if d['online'] else ''}"
                for d in data
            )
            _print(data, args.json, text or "no executors")
        elif args.action == "revoke":
            if not store.revoke_executor(args.executor_id, now_ms()):
                raise FailureError(f"no active executor {args.executor_id!r}")
            print(f"revoked {args.executor_id}")
    finally:
        store.close()


def _cidrs(values: list[str]) -> list[str]:
    from brain_server.allowlist import AllowListError, parse_cidrs

    try:
        return parse_cidrs(values)
    except AllowListError as exc:
        raise UsageError(str(exc)) from None


def cmd_tokens(args: argparse.Namespace) -> None:
    store = _store(_settings(args))
    try:
        if args.action == "add":
            cidrs = _cidrs(args.allow)
            token = store.add_token(args.name, now_ms())
            token_id = token.split("_")[1]
            if cidrs:
                store.set_allowed_addresses("token", token_id, cidrs, "cli", now_ms())
            _print(
                {"token": token, "tokenId": token_id, "name": args.name},
                args.json,
                f"token: {token}\n(shown once; use it as Authorization: Bearer <token>)",
            )
        elif args.action == "list":
            rows = store.list_tokens()
            data = [
                {
                    "tokenId": r["id"],
                    "name": r["name"],
                    "createdAt": _iso(r["created_ms"]),
                    "revoked": r["revoked_ms"] is not None,
                }
                for r in rows
            ]
            text = "\n".join(
                f"{d['tokenId']}  {d['name']}{'  (revoked)' if d['revoked'] else ''}" for d in data
            )
            _print(data, args.json, text or "no tokens")
        elif args.action == "revoke":
            if not store.revoke_token(args.token_id, now_ms()):
                raise FailureError(f"no active token {args.token_id!r}")
            print(f"revoked {args.token_id}")
    finally:
        store.close()


def cmd_admin_password(args: argparse.Namespace) -> None:
    from brain_server.credentials import hash_password

    settings = _settings(args)
    if args.password_env:
        password = os.environ.get(args.password_env)
        if not password:
            raise UsageError(f"environment variable {args.password_env} is not set or empty")
    else:
        if not sys.stdin.isatty():
            raise UsageError("no terminal to prompt on; use --password-env VAR")
        password = getpass.getpass("new admin password: ")
        if password != getpass.getpass("again: "):
            raise UsageError("the passwords differ")
    if len(password) < 8:
        raise UsageError("the password must have at least 8 characters")
    store = _store(settings)
    try:
        store.set_admin_password(args.username, hash_password(password), now_ms())
    finally:
        store.close()
    print(f"admin password set for {args.username}")


def cmd_webhooks(args: argparse.Namespace) -> None:
    store = _store(_settings(args))
    try:
        if args.action == "add":
            try:
                webhook_id, secret = store.add_webhook(args.name, args.executor, now_ms())
            except StoreError as exc:
                raise FailureError(exc.message) from None
            path = f"/api/v1/webhooks/tradingview/{secret}"
            _print(
                {
                    "webhookId": webhook_id,
                    "name": args.name,
                    "executorId": args.executor,
                    "path": path,
                },
                args.json,
                f"webhook {webhook_id} -> executor {args.executor}\nPOST {path}\n"
                "(the secret in the path is shown once)",
            )
        else:
            rows = store.list_webhooks()
            data = [
                {
                    "webhookId": r["id"],
                    "name": r["name"],
                    "executorId": r["executor_id"],
                    "revoked": r["revoked_ms"] is not None,
                }
                for r in rows
            ]
            text = "\n".join(f"{d['webhookId']}  {d['name']} -> {d['executorId']}" for d in data)
            _print(data, args.json, text or "no webhooks")
    finally:
        store.close()


def cmd_serve(args: argparse.Namespace) -> None:
    from brain_server.serving import ServeError, serve

    settings = _settings(
        args, host=args.host, port=args.port, certfile=args.certfile, keyfile=args.keyfile
    )
    try:
        serve(settings)
    except ServeError as exc:
        raise FailureError(str(exc)) from None


_LOGGING_QUIETED = False


def _quiet_logging() -> None:
    """Credential commands print their result; the log only speaks up for warnings."""
    global _LOGGING_QUIETED
    if _LOGGING_QUIETED:
        return
    from loguru import logger

    with contextlib.suppress(ValueError):
        logger.remove(0)  # loguru's default DEBUG handler; other sinks are left alone
    logger.add(sys.stderr, level="WARNING")
    _LOGGING_QUIETED = True


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if args.version:
        from brain_server import __version__

        print(__version__)
        return 0
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    handlers = {
        "serve": cmd_serve,
        "executors": cmd_executors,
        "tokens": cmd_tokens,
        "admin-password": cmd_admin_password,
        "webhooks": cmd_webhooks,
    }
    if args.command != "serve":
        _quiet_logging()
    # uvicorn handles SIGINT/SIGTERM itself while it serves (and raises the signal
    # again once stopped, which lands here); elsewhere both end the program quietly.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _stop)
    try:
        handlers[args.command](args)
    except UsageError as exc:
        print(f"fx-brain: {exc}", file=sys.stderr)
        return 2
    except FailureError as exc:
        print(f"fx-brain: {exc}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, Stopped):
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
