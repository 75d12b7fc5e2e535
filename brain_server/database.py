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
import concurrent.futures
import contextlib
import functools
import queue
import threading
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from brain_server.store import Store

P = ParamSpec("P")
T = TypeVar("T")

_Job = tuple[
    Callable[[], Any],
    asyncio.AbstractEventLoop | None,
    "asyncio.Future[Any] | concurrent.futures.Future[Any]",
]


class _Worker:
    """One thread that runs calls in the order they were queued.

    Cheaper per call than ``loop.run_in_executor`` on a ThreadPoolExecutor (a
    concurrent Future chained to an asyncio one, locks and a semaphore per call):
    a call is a queue put, and its outcome one ``call_soon_threadsafe`` back.
    Every command makes several such trips (authentication, submit, delivery
    claim, the executor's messages), so this was a visible share of the brain's
    CPU per command under load (py-spy, docs/performance.md).
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def _started(self) -> None:
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                    self._thread.start()

    def run(self, fn: Callable[[], T]) -> asyncio.Future[T]:
        """Queue ``fn``; the future resolves on the running loop with its outcome."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._started()
        self._jobs.put((fn, loop, future))
        return future

    def run_blocking(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the thread and wait for it here (closing, outside any loop)."""
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._started()
        self._jobs.put((fn, None, future))
        return future.result()

    def stop(self) -> None:
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            fn, loop, future = job
            if loop is None:
                assert isinstance(future, concurrent.futures.Future)
                try:
                    future.set_result(fn())
                except BaseException as exc:
                    future.set_exception(exc)
                continue
            assert isinstance(future, asyncio.Future)
            # A caller cancelled before the call started (as run_in_executor would skip it).
            if future.cancelled():
                continue
            try:
                outcome, failed = fn(), False
            except BaseException as exc:
                outcome, failed = exc, True
            with contextlib.suppress(RuntimeError):  # loop closed: nobody waits any more
                loop.call_soon_threadsafe(_settle, future, outcome, failed)


def _settle(future: asyncio.Future[Any], outcome: Any, failed: bool) -> None:
    if future.cancelled():
        return
    if failed:
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


class Database:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._writer = _Worker("brain-db")
        # An in-memory database cannot be opened twice: reads then share the writer.
        self._separate_reader = str(store.path) != ":memory:"
        self._reader_worker = _Worker("brain-db-read")
        self._reader: Store | None = None

    async def call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn`` (a bound Store method) on the database thread."""
        return await self._writer.run(functools.partial(fn, *args, **kwargs))

    async def read(self, fn: Callable[[Store], T]) -> T:
        """Run ``fn(store)``, which only reads, on the read connection's thread."""
        if not self._separate_reader:
            return await self._writer.run(functools.partial(fn, self.store))
        return await self._reader_worker.run(functools.partial(self._on_reader, fn))

    def _on_reader(self, fn: Callable[[Store], T]) -> T:
        if self._reader is None:
            self._reader = Store(self.store.path)
        return fn(self._reader)

    def _close_reader(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def close(self) -> None:
        self._reader_worker.run_blocking(self._close_reader)
        self._reader_worker.stop()
        self._writer.run_blocking(self.store.close)
        self._writer.stop()
