"""An asyncio TCP relay on loopback whose connections can be dropped, delayed, stalled or
half-opened on purpose: the network between the executor and the brain, misbehaving.

The relay runs its own event loop in a daemon thread so synchronous code (tests, the
harness's fault loop) can steer it. Faults apply to every relayed connection:

- ``drop()``      abort every connection (both sides see a reset);
- ``refuse(on)``  new connections are accepted and closed at once;
- ``delay(ms)``   every chunk waits this long before it is forwarded;
- ``stall(on)``   nothing is forwarded (nor read) but no connection is closed;
- ``half_open(direction)``  one direction is closed (EOF to its receiver) and its later
  data discarded, while the other keeps flowing: a half-dead link;
- ``heal()``      back to pass-through (half-open connections are dropped so they recover).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Literal

Direction = Literal["to_brain", "to_executor"]


class _Link:
    """One relayed connection: the client (executor) side and the upstream (brain) side."""

    def __init__(
        self,
        client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    ) -> None:
        self.client = client
        self.upstream = upstream
        self.half_closed: set[Direction] = set()

    def abort(self) -> None:
        for _, writer in (self.client, self.upstream):
            with contextlib.suppress(Exception):
                writer.transport.abort()


class FaultProxy:
    """Relays ``127.0.0.1:port`` to ``127.0.0.1:target_port`` with injectable faults."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fault-proxy")
        self._thread.daemon = True
        self._server: asyncio.base_events.Server | None = None
        self._links: set[_Link] = set()
        self._refusing = False
        self._delay_s = 0.0
        self._flowing: asyncio.Event | None = None
        self.connections = 0

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> FaultProxy:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(10)
        return self

    async def _listen(self) -> None:
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    def close(self) -> None:
        if not self._thread.is_alive():
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        self._drop_all()
        # Let the aborted pumps finish so no task or transport outlives the loop.
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------- faults

    def _call(self, fn: object, *args: object) -> None:
        async def run() -> None:
            fn(*args)  # type: ignore[operator]

        asyncio.run_coroutine_threadsafe(run(), self._loop).result(10)

    def drop(self) -> None:
        """Abort every relayed connection now."""
        self._call(self._drop_all)

    def refuse(self, on: bool = True) -> None:
        self._refusing = on

    def delay(self, ms: float) -> None:
        self._delay_s = max(0.0, ms / 1000.0)

    def stall(self, on: bool = True) -> None:
        self._call(self._set_flowing, not on)

    def half_open(self, direction: Direction) -> None:
        """Close ``direction`` of every link (EOF to its receiver), keep the other flowing."""
        self._call(self._half_close, direction)

    def heal(self) -> None:
        """Pass-through again; links left half-open are dropped so both ends reconnect."""
        self._refusing = False
        self._delay_s = 0.0
        self._call(self._heal)

    @property
    def open_links(self) -> int:
        return len(self._links)

    # ---------------------------------------------------------------- loop side

    def _set_flowing(self, on: bool) -> None:
        assert self._flowing is not None
        if on:
            self._flowing.set()
        else:
            self._flowing.clear()

    def _half_close(self, direction: Direction) -> None:
        for link in list(self._links):
            link.half_closed.add(direction)
            _, writer = link.upstream if direction == "to_brain" else link.client
            with contextlib.suppress(Exception):
                if writer.can_write_eof():
                    writer.write_eof()

    def _heal(self) -> None:
        self._set_flowing(True)
        for link in list(self._links):
            if link.half_closed:
                link.abort()
                self._links.discard(link)

    def _drop_all(self) -> None:
        links, self._links = self._links, set()
        for link in links:
            link.abort()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._refusing:
            writer.transport.abort()
            return
        try:
            upstream = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self.connections += 1
        link = _Link((reader, writer), upstream)
        self._links.add(link)
        await asyncio.gather(
            self._pump(link, reader, upstream[1], "to_brain"),
            self._pump(link, upstream[0], writer, "to_executor"),
        )
        link.abort()
        self._links.discard(link)

    async def _pump(
        self,
        link: _Link,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        direction: Direction,
    ) -> None:
        assert self._flowing is not None
        try:
            while True:
                await self._flowing.wait()
                data = await source.read(65536)
                if not data:
                    break
                if self._delay_s:
                    await asyncio.sleep(self._delay_s)
                await self._flowing.wait()
                if direction in link.half_closed:
                    continue  # the dead half: swallowed, never delivered
                sink.write(data)
                await sink.drain()
        except (OSError, asyncio.IncompleteReadError, RuntimeError):
            pass
        link.abort()
