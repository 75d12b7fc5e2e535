"""The brain: durable command queue, executor sessions, REST API, events (``docs/brain.md``)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("fx-bridge")
except PackageNotFoundError:  # running from a source tree without metadata
    __version__ = "0.0.0"
