"""Screenshots of every admin page for ``docs/web-admin.md``, from a real stack.

    uv run python -m tests.web_admin.screenshots [OUT_DIR]

Starts brain + simulated terminal + executor, places a few orders through
the REST API (one refused by the executor's limits), logs in with Chromium
and saves ``admin-*.png`` (laptop width, plus the overview at phone width).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from fx_demo.stack import Stack
from tests.web_admin.conftest import CHROMIUM, CHROMIUM_ARGS, login, set_admin_password

LAPTOP = {"width": 1366, "height": 860}
PHONE = {"width": 390, "height": 844}


def seed(stack: Stack) -> list[str]:
    """A morning's worth of activity: fills, an open position, a refusal, a pending order."""
    ids = []
    for body in (
        {"action": "OPEN_POSITION", "symbol": "EURUSD", "type": "BUY", "volume": 0.2},
        {"action": "OPEN_POSITION", "symbol": "XAUUSD", "type": "SELL", "volume": 0.1},
        {"action": "OPEN_POSITION", "symbol": "GBPUSD", "type": "BUY", "volume": 0.1},
        {"action": "OPEN_POSITION", "symbol": "EURUSD", "type": "SELL", "volume": 0.1},
    ):
        command_id = stack.submit(body, strategyId="demo-trend")["commandId"]
        stack.wait_command(command_id)
        ids.append(command_id)
    return ids


def shoot(out: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    with Stack(root=Path(tempfile.mkdtemp(prefix="fx-shots-"))) as stack:
        set_admin_password(stack)
        ids = seed(stack)
        base = stack.brain_http
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport=LAPTOP, device_scale_factor=1)
            page: Any = context.new_page()
            page.goto(base + "/admin/login")
            page.screenshot(path=out / "admin-login.png")
            login(page, base)
            expect(page.locator("#live")).to_have_text("live")
            page.wait_for_timeout(1500)  # a few ticks
            page.screenshot(path=out / "admin-overview.png", full_page=True)
            page.goto(f"{base}/admin/executors/{stack.executor_id}")
            expect(page.locator("#live")).to_have_text("live")
            page.wait_for_timeout(1200)
            page.screenshot(path=out / "admin-executor.png", full_page=True)
            page.goto(f"{base}/admin/commands")
            page.screenshot(path=out / "admin-commands.png", full_page=True)
            page.goto(f"{base}/admin/commands/{ids[0]}")
            page.screenshot(path=out / "admin-command.png", full_page=True)
            page.goto(f"{base}/admin/commands/{ids[2]}")
            page.screenshot(path=out / "admin-command-rejected.png", full_page=True)
            page.goto(f"{base}/admin/orders/new?executor={stack.executor_id}")
            page.get_by_label("Action").select_option("PLACE_ORDER")
            page.get_by_label("Symbol").fill("EURUSD")
            page.get_by_label("Type").select_option("BUY_LIMIT")
            page.get_by_label("Volume (lots)").fill("0.5")
            page.get_by_role("button", name="Place order").click()
            expect(page.locator("#err-price")).to_be_visible()
            page.screenshot(path=out / "admin-order.png", full_page=True)
            phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
            phone_page: Any = phone.new_page()
            login(phone_page, base)
            expect(phone_page.locator("#live")).to_have_text("live")
            phone_page.wait_for_timeout(1200)
            phone_page.screenshot(path=out / "admin-overview-phone.png", full_page=True)
            phone_page.goto(f"{base}/admin/commands/{ids[0]}")
            phone_page.screenshot(path=out / "admin-command-phone.png", full_page=True)
            browser.close()


if __name__ == "__main__":
    shoot(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/screenshots"))
