"""Logging for the executor: loguru to the console and to rotating files.

Files go to ``storage.log_dir`` (default: the user log dir, ``platformdirs``),
``executor.log``, rotated at 10 MB, 10 files kept. The API key never reaches
a log: nothing logs it, and a filter masks it should a library echo it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from loguru import logger


def configure(log_dir: Path, level: str, secrets: tuple[str, ...] = ()) -> Path:
    """Replace loguru's default sink with console + rotating file; returns the file path."""
    masked = tuple(s for s in secrets if s)

    def scrub(record: Any) -> bool:
        if masked:
            message = record["message"]
            for secret in masked:
                if secret in message:
                    message = message.replace(secret, "***")
            record["message"] = message
        return True

    logger.remove()
    fmt = "{time:YYYY-MM-DD HH:mm:ss.SSS} {level: <7} {name}: {message}"
    logger.add(sys.stderr, level=level, format=fmt, filter=scrub, backtrace=False, diagnose=False)
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / "executor.log"
    logger.add(
        path,
        level=level,
        format=fmt,
        filter=scrub,
        rotation="10 MB",
        retention=10,
        encoding="utf-8",
        enqueue=False,
        backtrace=False,
        diagnose=False,
    )
    return path
