"""The runtime on an asyncio loop of its own, in its own thread, beside the Qt loop.

Measured (``benchmarks/bench_gui.py``, ``docs/gui.md`` § Performance): on a
qasync loop every ``call_soon`` is a Qt timer event, ~15x the cost of plain
asyncio, and every paint or layout pass of the window delays the runtime's
callbacks. The order flow makes dozens of such steps per command, so the
runtime gets a plain asyncio loop in a thread of its own; the GUI only reads
events (``Runtime.subscribe``, called on the runtime's thread, stored by the
observer under a lock) and calls in with :meth:`RuntimeHost.call`, which runs
a function on the runtime's loop and waits for it. The GUI may wait on the
runtime, never the other way round.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from executor_app.core.limits import Limits
from executor_app.runtime import Runtime

T = TypeVar("T")
CALL_TIMEOUT_S = 10.0


class RuntimeHost:
    """Owns the runtime's thread and loop; every call into the runtime goes through here."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="executor-runtime", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    async def start(self) -> None:
        """Start the thread and the runtime on it (awaited from the GUI's loop)."""
        self._thread.start()
        await self._await(self.runtime.start())

    async def stop(self) -> None:
        """Stop the runtime (journal flushed), then the loop and the thread."""
        if not self._thread.is_alive():
            return
        try:
            await self._await(self.runtime.stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            await asyncio.to_thread(self._thread.join, CALL_TIMEOUT_S)
            if not self._thread.is_alive():
                self.loop.close()

    async def _await(self, coro: Coroutine[Any, Any, T]) -> T:
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return await asyncio.wrap_future(future)

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on the runtime's loop and return its result (blocks the caller)."""
        if threading.current_thread() is self._thread:
            return fn(*args)
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                future.set_result(fn(*args))
            except BaseException as exc:
                future.set_exception(exc)

        self.loop.call_soon_threadsafe(run)
        return future.result(CALL_TIMEOUT_S)

    # ---------------------------------------------------------------- the runtime's API

    def emergency_stop(self, flatten: bool) -> None:
        """HALTED before this returns (the call waits for the runtime's loop to run it)."""
        self.call(self.runtime.emergency_stop, flatten)

    def resume(self) -> None:
        self.call(self.runtime.resume)

    def reload_limits(self, limits: Limits) -> None:
        self.call(self.runtime.reload_limits, limits)

    def snapshot(self) -> Any:
        return self.call(self.runtime.snapshot)

    def subscribe(self, callback: Callable[[Any], None]) -> Callable[[], None]:
        unsubscribe = self.call(self.runtime.subscribe, callback)
        return lambda: self.call(unsubscribe) if self._thread.is_alive() else None
