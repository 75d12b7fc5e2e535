"""The admin's security rules through an in-process brain (no browser): cookies, CSRF,
login backoff, logout, the events stream's cookie auth, and the order form's parsing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.exceptions import WebSocketDisconnect
from litestar.testing import TestClient
from litestar.testing.websocket_test_session import WebSocketTestSession

from brain_server.admin import admin_routes
from brain_server.admin.login import safe_next
from brain_server.admin.order_form import parse_order
from brain_server.app import create_app
from brain_server.clock import now_ms
from brain_server.credentials import hash_password
from brain_server.settings import Settings
from brain_server.store import Store
from fx_protocol.vocabulary import Action

PASSWORD = "a long admin password"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient[Any]]:
    db = tmp_path / "brain.db"
    store = Store(db)
    store.set_admin_password("admin", hash_password(PASSWORD), 1)
    store.add_executor("ex-one", 1)
    store.close()
    app = create_app(Settings(db=db), extra_routes=admin_routes())
    with TestClient(app, base_url="http://127.0.0.1:8080") as test_client:
        yield test_client


def token_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def log_in(client: TestClient[Any], password: str = PASSWORD) -> Any:
    form = client.get("/admin/login")
    return client.post(
        "/admin/login",
        data={"username": "admin", "password": password, "csrf_token": token_of(form.text)},
        follow_redirects=False,
    )


def test_pages_need_a_login(client: TestClient[Any]) -> None:
    """Every admin page redirects to the login form, remembering where it was going."""
    for path in ("/admin", "/admin/commands", "/admin/orders/new"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/admin/login?next={path}"


def test_session_cookie_flags(client: TestClient[Any]) -> None:
    """The session cookie: HttpOnly, SameSite=Strict, path / (for /ws/events), no Secure on http."""
    answer = log_in(client)
    assert answer.status_code == 303
    cookie = next(
        c for c in answer.headers.get_list("set-cookie") if c.startswith("fx_admin_session=")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/" in cookie
    assert "Secure" not in cookie
    assert client.get("/admin").status_code == 200


def test_login_form_needs_its_csrf_token(client: TestClient[Any]) -> None:
    """A login POST without the token of the form it came from is refused with 403."""
    client.get("/admin/login")
    answer = client.post(
        "/admin/login", data={"username": "admin", "password": PASSWORD}, follow_redirects=False
    )
    assert answer.status_code == 403
    assert "fx_admin_session" not in answer.headers.get("set-cookie", "")


def test_every_post_needs_the_session_token(client: TestClient[Any]) -> None:
    """Logged in, POSTs without or with a wrong token get 403; with the token they work."""
    log_in(client)
    page = client.get("/admin")
    for data in ({}, {"csrf_token": "forged"}):
        assert client.post("/admin/halt-all", data=data, follow_redirects=False).status_code == 403
    answer = client.post(
        "/admin/halt-all", data={"csrf_token": token_of(page.text)}, follow_redirects=False
    )
    assert answer.status_code == 303


def test_failed_logins_are_logged_and_slowed(client: TestClient[Any]) -> None:
    """Each failure is audited and raises the address's delay; a success clears it."""
    from brain_server.admin.login import LoginGate

    assert log_in(client, "wrong one").status_code == 401
    assert log_in(client, "wrong two").status_code == 401
    gate: LoginGate = client.app.state["admin_login_gate"]
    (address,) = gate.throttle._records
    assert gate.throttle.failures(address, now_ms()) == 2
    assert gate.throttle.delay_ms(2) > gate.throttle.delay_ms(1) > 0
    brain = client.app.state.brain
    audit = brain.db.store.audit_log(10)
    assert [a["action"] for a in audit].count("admin.login_failed") == 2
    assert log_in(client).status_code == 303
    assert address not in gate.throttle._records


def test_logout_ends_the_session(client: TestClient[Any]) -> None:
    """After logout the old cookie opens neither pages nor the events stream."""
    log_in(client)
    secret = client.cookies["fx_admin_session"]
    page = client.get("/admin")
    client.post("/admin/logout", data={"csrf_token": token_of(page.text)})
    client.cookies.set("fx_admin_session", secret)
    assert client.get("/admin", follow_redirects=False).status_code == 303
    with client.websocket_connect("/ws/events") as socket:
        assert_closed_with_auth_failure(socket)


def assert_closed_with_auth_failure(socket: WebSocketTestSession) -> None:
    with pytest.raises(WebSocketDisconnect) as closed:
        socket.receive_text()
    assert closed.value.code == 4001


def test_events_stream_takes_the_admin_cookie_from_the_same_origin(
    client: TestClient[Any],
) -> None:
    """The admin page's cookie opens /ws/events; the same cookie from another origin does not."""
    log_in(client)
    with client.websocket_connect("/ws/events", headers={"origin": "http://127.0.0.1:8080"}) as ws:
        assert '"type":"READY"' in ws.receive_text()
    with client.websocket_connect("/ws/events", headers={"origin": "http://evil.example"}) as ws:
        assert_closed_with_auth_failure(ws)


def test_security_headers_on_pages(client: TestClient[Any]) -> None:
    """Pages forbid framing, foreign scripts and caching."""
    answer = client.get("/admin/login")
    csp = answer.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["cache-control"] == "no-store"


def test_login_never_redirects_off_site() -> None:
    """Only paths inside /admin are accepted as the place to go after login."""
    assert safe_next("/admin/commands") == "/admin/commands"
    for target in ("https://evil.example", "//evil.example", "/api/v1/halt-all", None, ""):
        assert safe_next(target) == "/admin"


def test_order_form_uses_the_api_validation() -> None:
    """Form fields become a TradeCommand; errors carry the API's message at the right field."""
    ok = parse_order(
        {
            "executor": "ex-1",
            "action": "OPEN_POSITION",
            "symbol": "eurusd",
            "type": "BUY",
            "volume": "0.1",
            "priority": "HIGH",
        }
    )
    assert ok.ok
    assert ok.command is not None
    assert ok.command.action is Action.OPEN_POSITION
    assert ok.command.symbol == "EURUSD"
    cases = [
        ({"volume": "abc"}, "volume", "must be a number"),
        ({"volume": "0"}, "volume", "Expected `float` > 0.0"),
        ({"action": "PLACE_ORDER", "type": "BUY_LIMIT"}, "price", "PLACE_ORDER requires price"),
        ({"type": "BUY_LIMIT"}, "type", "OPEN_POSITION takes BUY or SELL"),
        ({"stop_loss": "1.2", "take_profit": "1.1"}, "stop_loss", "wrong side"),
        ({"symbol": "EUR USD"}, "symbol", "Expected `str` matching regex"),
        ({"executor": ""}, "executor", "choose an executor"),
    ]
    base = {
        "executor": "ex-1",
        "action": "OPEN_POSITION",
        "symbol": "EURUSD",
        "type": "BUY",
        "volume": "0.1",
    }
    for change, field, message in cases:
        form = parse_order({**base, **change})
        assert not form.ok
        assert message in form.errors[field], (change, form.errors)


def test_new_api_key_is_shown_once_and_revoke_disables_it(client: TestClient[Any]) -> None:
    """Issuing a key shows it on that answer only (the store keeps its hash); revoking ends it."""
    from brain_server.credentials import hash_secret

    log_in(client)
    store = client.app.state.brain.db.store
    (executor,) = store.list_executors()
    page = client.get(f"/admin/executors/{executor.id}")
    token = token_of(page.text)
    answer = client.post(f"/admin/executors/{executor.id}/key", data={"csrf_token": token})
    found = re.search(r'id="new-key"[^>]*value="(fxk_[^"]+)"', answer.text)
    assert found is not None
    assert store.executor_key_hash(executor.id) == hash_secret(found.group(1))
    assert found.group(1) not in client.get(f"/admin/executors/{executor.id}").text
    answer = client.post(
        f"/admin/executors/{executor.id}/revoke", data={"csrf_token": token}, follow_redirects=False
    )
    assert answer.status_code == 303
    assert store.executor_key_hash(executor.id) is None
    assert [a["action"] for a in store.audit_log(5)][:2] == ["executor.revoke", "executor.key"]
