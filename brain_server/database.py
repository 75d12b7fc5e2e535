"""The one database thread: every store call of the server runs here, in order.

SQLite calls block (an fsync per commit with ``synchronous=FULL``), so they
leave the event loop; a single worker thread also makes the store the
single writer the house rules ask for, without locks.

Authentication reads (is this token active, its allow-list) go to a second
thread with its own read connection instead: in WAL mode a reader sees every
committed change (a revocation by the CLI included) without waiting for the
writer, so a REST request no longer queues behind other requests' commits
just to be authenticated. That thread never writes.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from brain_server.store import Store

P = ParamSpec("P")
T = TypeVar("T")


class Database:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="brain-db")
        # An in-memory database cannot be opened twice: reads then share the writer.
        self._separate_reader = str(store.path) != ":memory:"
        self._reader_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="brain-db-read")
        self._reader: Store | None = None

    async def call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn`` (a bound Store method) on the database thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, functools.partial(fn, *args, **kwargs))

    async def read(self, fn: Callable[[Store], T]) -> T:
        """Run ``fn(store)``, which only reads, on the read connection's thread."""
        loop = asyncio.get_running_loop()
        if not self._separate_reader:
            return await loop.run_in_executor(self._thread, fn, self.store)
        return await loop.run_in_executor(self._reader_thread, self._on_reader, fn)

    def _on_reader(self, fn: Callable[[Store], T]) -> T:
        if self._reader is None:
            self._reader = Store(self.store.path)
        return fn(self._reader)

    def _close_reader(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def close(self) -> None:
        self._reader_thread.submit(self._close_reader).result()
        self._reader_thread.shutdown(wait=True)
        self._thread.submit(self.store.close).result()
        self._thread.shutdown(wait=True)
