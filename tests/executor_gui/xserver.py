"""A private X display with a system tray: ``Xvfb`` plus ``trayer`` (Debian packages).

Used by the tray test and by ``docs/screenshots/take.py``. ``Xvfb -displayfd``
picks a free display number itself and reports it, so parallel runs never
collide; both processes are stopped (and waited for) on exit.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from types import TracebackType


class XServer:
    def __init__(self, width: int = 1280, height: int = 800, tray: bool = True) -> None:
        self.size = f"{width}x{height}x24"
        self.tray = tray
        self.display = ""
        self._procs: list[subprocess.Popen[bytes]] = []

    @staticmethod
    def available() -> bool:
        return bool(shutil.which("Xvfb") and shutil.which("trayer"))

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY",)}
        env["DISPLAY"] = self.display
        env["QT_QPA_PLATFORM"] = "xcb"
        return env

    def __enter__(self) -> XServer:
        read, write = os.pipe()
        xvfb = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write), "-screen", "0", self.size, "-nolisten", "tcp"],
            pass_fds=(write,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(write)
        self._procs.append(xvfb)
        with os.fdopen(read) as pipe:
            number = pipe.readline().strip()
        if not number:
            self.__exit__(None, None, None)
            raise RuntimeError("Xvfb did not report a display number")
        self.display = f":{number}"
        if self.tray:
            self._procs.append(
                subprocess.Popen(
                    [
                        "trayer",
                        "--edge", "top",
                        "--align", "right",
                        "--widthtype", "request",
                        "--height", "32",
                        "--iconspacing", "4",
                        "--transparent", "false",
                        "--tint", "0x303030",
                    ],
                    env=self.env(),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )  # fmt: skip
            time.sleep(0.3)  # trayer claims the tray selection right after it maps
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for proc in reversed(self._procs):
            if proc.poll() is None:
                proc.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(5)
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)
        self._procs.clear()
