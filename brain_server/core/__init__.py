"""The brain's decisions, free of I/O: command lifecycle, delivery order, expiry,
session bookkeeping and the auth throttle. Time is always passed in (epoch ms).

Nothing here imports asyncio, sqlite3, websockets or the web framework; the
I/O layers (``brain_server.store``, ``brain_server.executor_ws``) feed it data
and do what it says.
"""
