"""The web admin in Chromium against a real brain, executor and simulated terminal.

The tests run in file order on one stack: the executor comes online, takes
an order, is halted, refuses the next order, and is resumed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from fx_demo.stack import Stack
from tests.web_admin.conftest import login

pytestmark = pytest.mark.browser

LIVE = 20_000  # ms: how long a live update may take to show


@pytest.fixture(scope="module")
def admin(browser: Any, stack: Stack) -> Iterator[Any]:
    """One logged-in page for the whole module."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    login(page, stack.brain_http)
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    yield page
    context.close()


def place_order(page: Any, stack: Stack, **fields: str) -> str:
    """Fill the manual order form and submit it; returns the new command's id."""
    page.goto(f"{stack.brain_http}/admin/orders/new?executor={stack.executor_id}")
    page.get_by_label("Action").select_option(fields.get("action", "OPEN_POSITION"))
    page.get_by_label("Symbol").fill(fields.get("symbol", "EURUSD"))
    page.get_by_label("Type").select_option(fields.get("type", "BUY"))
    page.get_by_label("Volume (lots)").fill(fields.get("volume", "0.1"))
    page.get_by_role("button", name="Place order").click()
    page.wait_for_url("**/admin/commands/*")
    return str(page.url.split("/admin/commands/")[1].split("?")[0])


def test_wrong_password_is_refused(browser: Any, stack: Stack) -> None:
    """A wrong password gets the login form back with an error, and no session."""
    from playwright.sync_api import expect

    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(stack.brain_http + "/admin")
        expect(page).to_have_url(f"{stack.brain_http}/admin/login?next=/admin")
        login(page, stack.brain_http, password="not the password")
        expect(page.get_by_role("alert")).to_have_text("Wrong user name or password.")
        assert not [c for c in context.cookies() if c["name"] == "fx_admin_session"]
        page.goto(stack.brain_http + "/admin/commands")
        expect(page).to_have_url(f"{stack.brain_http}/admin/login?next=/admin/commands")
    finally:
        context.close()
    assert stack.programs["brain"].count("admin login failed for 'admin'") >= 1


def test_session_cookie_is_httponly_and_strict(admin: Any) -> None:
    """The session cookie cannot be read by scripts nor sent from other sites."""
    cookie = next(c for c in admin.context.cookies() if c["name"] == "fx_admin_session")
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert admin.evaluate("document.cookie") == ""


def test_executor_comes_online_live(admin: Any, stack: Stack) -> None:
    """The overview shows the executor offline, then online when it connects, without a reload."""
    from playwright.sync_api import expect

    admin.goto(stack.brain_http + "/admin")
    badge = admin.locator(f'[data-ex-online="{stack.executor_id}"]')
    expect(badge).to_have_text("offline")
    expect(admin.locator("#live")).to_have_text("live")
    admin.evaluate("window.__sameDocument = true")
    stack.start_executor()
    expect(badge).to_have_text("online", timeout=LIVE)
    expect(admin.locator(f'[data-ex-state="{stack.executor_id}"]')).to_have_text(
        "ACTIVE", timeout=LIVE
    )
    expect(admin.get_by_test_id("online-count")).to_contain_text("1", timeout=LIVE)
    # ticks from the simulator stream into the price table
    expect(admin.locator(f'tr[data-tick="{stack.executor_id}:EURUSD"]')).to_be_visible(timeout=LIVE)
    assert admin.evaluate("window.__sameDocument") is True


def test_manual_order_reaches_executed_live(admin: Any, stack: Stack) -> None:
    """An order from the form is shown moving to `executed` on its page, without a reload."""
    from playwright.sync_api import expect

    command_id = place_order(admin, stack)
    status = admin.locator(f'.status-now [data-cmd-status="{command_id}"]')
    expect(status).to_have_text("executed", timeout=LIVE)
    timeline = admin.get_by_test_id("timeline")
    expect(timeline.locator('[data-step="executed"]')).to_have_class("step done", timeout=LIVE)
    expect(timeline.locator('[data-step="acknowledged"]')).to_have_class("step done")
    view = stack.command(command_id)
    assert view["status"] == "executed"
    assert view["origin"] == "admin:admin"
    assert view["command"] == {
        "action": "OPEN_POSITION",
        "symbol": "EURUSD",
        "type": "BUY",
        "volume": 0.1,
    }


def test_order_form_shows_errors_next_to_fields(admin: Any, stack: Stack) -> None:
    """An invalid order is refused with the API's message beside the field; nothing is queued."""
    from playwright.sync_api import expect

    before = len(stack.api("GET", "/api/v1/commands")["commands"])
    admin.goto(f"{stack.brain_http}/admin/orders/new?executor={stack.executor_id}")
    admin.get_by_label("Action").select_option("PLACE_ORDER")
    admin.get_by_label("Symbol").fill("EURUSD")
    admin.get_by_label("Type").select_option("BUY_LIMIT")
    admin.get_by_label("Volume (lots)").fill("-1")
    admin.get_by_role("button", name="Place order").click()
    volume = admin.get_by_label("Volume (lots)")
    expect(volume).to_have_attribute("aria-invalid", "true")
    expect(admin.locator("#err-volume")).to_contain_text("Expected `float` > 0.0")
    expect(admin.get_by_label("Symbol")).to_have_value("EURUSD")
    assert len(stack.api("GET", "/api/v1/commands")["commands"]) == before


def test_halt_then_order_is_rejected(admin: Any, stack: Stack) -> None:
    """Halt from the executor page turns it HALTED live; the next order is rejected by safety."""
    from playwright.sync_api import expect

    admin.goto(f"{stack.brain_http}/admin/executors/{stack.executor_id}")
    state = admin.locator(f'.state-bar [data-ex-state="{stack.executor_id}"]')
    expect(state).to_have_text("ACTIVE")
    admin.once("dialog", lambda dialog: dialog.accept())
    admin.get_by_role("button", name="Halt executor").click()
    expect(admin.get_by_role("status").filter(has_text="Halt sent")).to_be_visible()
    expect(state).to_have_text("HALTED", timeout=LIVE)
    expect(admin.locator("#ex-state")).to_have_class(re.compile(r"\bhalted\b"), timeout=LIVE)

    command_id = place_order(admin, stack)
    expect(admin.locator(f'.status-now [data-cmd-status="{command_id}"]')).to_have_text(
        "rejected", timeout=LIVE
    )
    expect(admin.get_by_test_id("reject-reason")).to_have_text("TRADING_HALTED")
    expect(admin.locator('[data-step="rejected"]')).to_contain_text("safety")
    assert stack.command(command_id)["reason"] == "TRADING_HALTED"

    admin.goto(f"{stack.brain_http}/admin/executors/{stack.executor_id}")
    admin.once("dialog", lambda dialog: dialog.accept())
    admin.get_by_role("button", name="Resume").click()
    expect(admin.locator(f'.state-bar [data-ex-state="{stack.executor_id}"]')).to_have_text(
        "ACTIVE", timeout=LIVE
    )


def test_form_without_csrf_token_is_refused(admin: Any, stack: Stack) -> None:
    """A form posted without its CSRF token gets 403 and changes nothing."""
    from playwright.sync_api import expect

    before = len(stack.api("GET", "/api/v1/commands")["commands"])
    admin.goto(f"{stack.brain_http}/admin/orders/new?executor={stack.executor_id}")
    admin.get_by_label("Symbol").fill("EURUSD")
    admin.get_by_label("Volume (lots)").fill("0.1")
    admin.evaluate("document.querySelector('form.order-form [name=csrf_token]').remove()")
    with admin.expect_response("**/admin/orders") as answer:
        admin.get_by_role("button", name="Place order").click()
    assert answer.value.status == 403
    expect(admin.get_by_role("heading", name="Refused")).to_be_visible()
    assert len(stack.api("GET", "/api/v1/commands")["commands"]) == before
    # the halt-all form too: a cross-site style POST with the session cookie but no token
    answer_halt = admin.request.post(f"{stack.brain_http}/admin/halt-all", form={"flatten": "on"})
    assert answer_halt.status == 403
    assert stack.executor()["tradingState"] == "ACTIVE"
