"""The tray GUI against the REAL brain and simulator (``fx_demo.stack`` subprocesses).

The executor runtime runs in-process under the GUI, on a qasync loop over
pytest-qt's QApplication, exactly as ``fx-executor`` runs it. A test is an
async *scenario* that receives the started :class:`ExecutorApp`;
:func:`run_app` starts the app, waits until it is reconciled with the
terminal, runs the scenario, quits through the app's own quit path and
returns what the scenario returned.
"""

from __future__ import annotations

import asyncio
import time
import tomllib
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import keyring
import msgspec
import pytest
import qasync
import tomli_w
from PySide6.QtWidgets import QApplication

from executor_app.config import KEYRING_SERVICE, BrainSettings, load_settings
from executor_app.gui.app import ExecutorApp
from fx_demo.stack import Stack

T = TypeVar("T")
Scenario = Callable[[ExecutorApp], Awaitable[T]]


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    """Brain + simulator, shared by the GUI tests; each test brings its own executor."""
    running = Stack(limits={"max_volume_per_order": 1.0, "max_open_positions": 50})
    try:
        running.start(executor=False)
        running.write_executor_config()
        yield running
    finally:
        running.stop()


def write_config(stack: Stack, folder: Path) -> Path:
    """The stack's executor config with this test's own journal and logs."""
    data = tomllib.loads(stack.config_path.read_text(encoding="utf-8"))
    secret = getattr(stack, "signing_secret", "")
    fields = {f.name for f in msgspec.structs.fields(BrainSettings)}
    if secret and "signing_secret_env" in fields:
        # In-process runtime: the secret goes where the GUI user keeps it, the keyring.
        data["brain"].pop("signing_secret_env", None)
        keyring.set_password(KEYRING_SERVICE, f"{stack.executor_id}:signing", secret)
    elif "require_signed_commands" in fields:
        data["brain"]["require_signed_commands"] = False  # this stack signs nothing
    data["storage"] = {
        "journal_path": str(folder / "journal.sqlite3"),
        "log_dir": str(folder / "logs"),
    }
    path = folder / "config.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


def make_app(stack: Stack, folder: Path, key: str | None = "stack") -> ExecutorApp:
    """An app for this stack; ``key="stack"``: the executor's key, also in the (memory) keyring."""
    config = write_config(stack, folder)
    if key == "stack":
        keyring.set_password(KEYRING_SERVICE, stack.executor_id, stack.api_key)
    settings = load_settings(config, environ={})
    return ExecutorApp(
        settings,
        config,
        key=stack.api_key if key == "stack" else key,
        configure_logging=False,
    )


async def until(predicate: Callable[[], Any], within: float = 15.0, what: str = "") -> None:
    """Wait (on the running loop) until ``predicate()`` is truthy."""
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await asyncio.sleep(0.02)


def run_app(
    qapp: QApplication,
    app: ExecutorApp,
    scenario: Scenario[T],
    reconciled: bool = True,
    while_starting: Callable[[], Awaitable[None]] | None = None,
) -> T:
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)

    async def main() -> T:
        running = asyncio.ensure_future(app.run())
        if while_starting is not None:
            await while_starting()
        try:
            await until(lambda: app.ready.is_set() or running.done(), 30, "the app to start")
            if running.done():
                running.result()  # raises what run() raised
            if reconciled:
                assert app.observer is not None
                await until(lambda: app.observer.status.reconciled, 30, "reconciliation")
            result = await scenario(app)
        finally:
            app.quit(0)
            code = await running
        assert code == 0
        return result

    try:
        return loop.run_until_complete(main())
    finally:
        loop.close()
        asyncio.set_event_loop(None)


async def in_thread(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Blocking stack helpers (REST, fx-mt5sim deals) off the GUI loop."""
    return await asyncio.to_thread(fn, *args, **kwargs)
