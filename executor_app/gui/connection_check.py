""" "Test connection" in the settings dialog: brain HELLO and terminal PING, on the side.

Neither test touches the running session:

- terminal: a separate DEALER socket sends ``PING`` to the EA's ROUTER
  (which serves any number of peers) and waits for ``PONG``;
- brain: a separate WebSocket sends ``HELLO`` and closes right after
  ``WELCOME`` or ``ERROR``. The brain allows one live session per executor
  and a new HELLO replaces the old one (``SESSION_REPLACED``), so while the
  running session is connected under the same executor id no HELLO is sent:
  unchanged settings report the running session itself, changed ones only
  check that the WebSocket endpoint answers.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import msgspec
import websockets
import zmq
from websockets.asyncio.client import connect

from fx_protocol import BRAIN_PROTOCOL_VERSION
from fx_protocol.brain_wire import MAX_MESSAGE_BYTES, Error, Hello, Welcome, decode_from_brain
from fx_protocol.codec import encode
from fx_protocol.errors import ProtocolError
from fx_protocol.terminal_wire import ErrorReply, Ping, Pong, decode_reply


class Outcome(msgspec.Struct, frozen=True, kw_only=True):
    ok: bool
    text: str
    latency_ms: float | None = None


async def check_brain(
    url: str,
    executor_id: str,
    api_key: str,
    *,
    running_connected_as: str | None,
    unchanged: bool,
    running_latency_ms: float | None = None,
    app_version: str = "",
    wait_s: float = 5.0,
) -> Outcome:
    """See the module docstring; ``running_connected_as`` is the live session's executor id."""
    if running_connected_as and running_connected_as == executor_id:
        if unchanged:
            latency = f", {running_latency_ms:.1f} ms" if running_latency_ms is not None else ""
            return Outcome(ok=True, text=f"connected: the running session{latency}")
        return await _reachable(url, wait_s)
    if not api_key:
        return Outcome(ok=False, text="no API key: enter one (or store it) first")
    started = time.perf_counter()
    hello = Hello(
        executor_id=executor_id,
        api_key=api_key,
        protocol_version=BRAIN_PROTOCOL_VERSION,
        app_version=app_version,
        timestamp=datetime.now(UTC),
    )
    try:
        async with asyncio.timeout(wait_s):
            async with connect(url, compression=None, max_size=MAX_MESSAGE_BYTES) as ws:
                await ws.send(encode(hello), text=True)
                reply = decode_from_brain(await ws.recv(decode=False))
    except TimeoutError:
        return Outcome(ok=False, text=f"no answer within {wait_s:g} s")
    except (OSError, websockets.WebSocketException, ValueError) as exc:
        return Outcome(ok=False, text=_one_line(exc))
    except ProtocolError as exc:
        return Outcome(ok=False, text=f"unexpected reply: {exc}")
    elapsed = (time.perf_counter() - started) * 1000
    if isinstance(reply, Welcome):
        return Outcome(ok=True, text=f"HELLO accepted (WELCOME) in {elapsed:.0f} ms")
    if isinstance(reply, Error):
        return Outcome(ok=False, text=f"refused: {reply.reason} ({reply.message})")
    return Outcome(ok=False, text=f"unexpected reply {type(reply).__name__}")


async def _reachable(url: str, wait_s: float) -> Outcome:
    try:
        async with asyncio.timeout(wait_s):
            async with connect(url, compression=None):
                pass
    except TimeoutError:
        return Outcome(ok=False, text=f"no answer within {wait_s:g} s")
    except (OSError, websockets.WebSocketException, ValueError) as exc:
        return Outcome(ok=False, text=_one_line(exc))
    return Outcome(
        ok=True,
        text="WebSocket reachable; credentials not checked (a HELLO would replace the "
        "running session: they apply after restart)",
    )


async def check_terminal(endpoint: str, wait_s: float = 3.0) -> Outcome:
    """PING the EA's command endpoint from a socket of our own."""
    return await asyncio.to_thread(_ping, endpoint, wait_s)


def _ping(endpoint: str, timeout: float) -> Outcome:
    context: zmq.Context[zmq.Socket[bytes]] = zmq.Context.instance()
    dealer = context.socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    try:
        try:
            dealer.connect(endpoint)
        except zmq.ZMQError as exc:
            return Outcome(ok=False, text=f"bad endpoint: {exc}")
        started = time.perf_counter()
        dealer.send(encode(Ping(request_id=f"gui-test-{time.monotonic_ns()}")))
        if not dealer.poll(int(timeout * 1000)):
            return Outcome(ok=False, text=f"no PONG within {timeout:g} s")
        frames = dealer.recv_multipart()
        elapsed = (time.perf_counter() - started) * 1000
        try:
            reply = decode_reply(frames[-1])
        except ProtocolError as exc:
            return Outcome(ok=False, text=f"unexpected reply: {exc}")
        if isinstance(reply, Pong):
            health = reply.health
            if not health.connected:
                note = "terminal not connected to the broker"
            elif not (health.trade_allowed and health.ea_trade_allowed):
                note = "algo trading is OFF"
            else:
                note = "algo trading allowed"
            return Outcome(ok=True, text=f"PONG in {elapsed:.1f} ms; {note}", latency_ms=elapsed)
        if isinstance(reply, ErrorReply):
            return Outcome(ok=False, text=f"EA error {reply.code}: {reply.message}")
        return Outcome(ok=False, text=f"unexpected reply {type(reply).__name__}")
    finally:
        dealer.close()


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
