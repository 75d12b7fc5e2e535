"""A real stack (brain with the admin, simulated terminal, executor) and Debian's Chromium.

One stack and one browser per module: starting them is most of the cost.
The executor is left stopped so a test can watch it come online.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fx_demo.stack import Stack, script_argv

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ADMIN_USER = "admin"
ADMIN_PASSWORD = "correct horse battery"


def set_admin_password(stack: Stack, password: str = ADMIN_PASSWORD) -> None:
    """The way an operator does it: ``fx-brain admin-password --password-env VAR``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FX_")}
    env["FX_TEST_ADMIN_PASSWORD"] = password
    done = subprocess.run(
        [
            *script_argv("fx-brain"),
            "admin-password",
            "--password-env",
            "FX_TEST_ADMIN_PASSWORD",
            "--db",
            str(stack.brain_db),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = start_stack_without_executor(tmp_path_factory.mktemp("admin-stack"))
    try:
        yield running
    finally:
        running.stop()


def start_stack_without_executor(root: Path) -> Stack:
    stack = Stack(root=root)
    try:
        stack.start(executor=False)
        set_admin_password(stack)
    except BaseException:
        stack.stop()
        raise
    return stack


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


def login(page: Any, base: str, password: str = ADMIN_PASSWORD) -> None:
    page.goto(base + "/admin/login")
    page.get_by_label("User name").fill(ADMIN_USER)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
