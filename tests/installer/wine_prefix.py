"""A throwaway wine prefix for exercising the Windows installer on Linux.

Every step runs with the settings that make Debian's wine usable headless and
quick: no Mono/Gecko download prompts (mscoree, mshtml), no desktop menu files
written outside the prefix (winemenubuilder), no display, and `wineserver -w`
after each step so the registry files on disk are complete before we read them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path, PureWindowsPath

STEP_TIMEOUT = 120.0


class WinePrefix:
    """One WINEPREFIX: run Windows programs in it and read what they left behind."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
        self.env.update(
            WINEPREFIX=str(path),
            WINEDLLOVERRIDES="mscoree,mshtml=;winemenubuilder.exe=d",
            WINEDEBUG="-all",
        )

    @staticmethod
    def available() -> bool:
        return shutil.which("wine") is not None and shutil.which("wineserver") is not None

    def boot(self) -> subprocess.Popen[bytes]:
        """Start creating the prefix (about 15 s); wait on the returned process."""
        return subprocess.Popen(
            ["wine", "wineboot", "--init"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def run(self, program: Path | str, *args: str) -> int:
        """Run a program to completion, then wait until wine has flushed everything."""
        # Persistence 0: the server quits as soon as the last program does, so
        # `wineserver -w` returns promptly instead of after the default few seconds.
        subprocess.run(["wineserver", "-p0"], env=self.env, check=True, timeout=STEP_TIMEOUT)
        result = subprocess.run(
            ["wine", str(program), *args],
            env=self.env,
            capture_output=True,
            timeout=STEP_TIMEOUT,
            check=False,
        )
        self.wait()
        return result.returncode

    def wait(self) -> None:
        subprocess.run(["wineserver", "-w"], env=self.env, check=True, timeout=STEP_TIMEOUT)

    @property
    def drive_c(self) -> Path:
        return self.path / "drive_c"

    @property
    def profile(self) -> Path:
        """The wine user's profile folder (C:\\users\\<name>)."""
        users = [p for p in (self.drive_c / "users").iterdir() if p.name != "Public"]
        assert len(users) == 1, users
        return users[0]

    def unix_path(self, windows_path: str) -> Path:
        """Where a C:\\ path of this prefix lives on the Linux file system."""
        parts = PureWindowsPath(windows_path).parts
        assert parts[0].upper() == "C:\\", windows_path
        return self.drive_c.joinpath(*parts[1:])

    def registry(self, hive: str, key: str) -> dict[str, str] | None:
        """The string values of one registry key, or None when the key does not exist.

        hive is "HKCU" (user.reg) or "HKLM" (system.reg); key is like "Software\\Foo".
        """
        file = self.path / ("user.reg" if hive == "HKCU" else "system.reg")
        header = "[" + key.replace("\\", "\\\\") + "]"
        values: dict[str, str] | None = None
        for line in file.read_text(encoding="utf-8", errors="replace").splitlines():
            if values is None:
                if line.startswith(header + " ") or line == header:
                    values = {}
                continue
            if not line.strip() or line.startswith("["):
                break
            match = re.match(r'^"((?:[^"\\]|\\.)*)"=(.*)$', line)
            if match:
                values[_unescape(match.group(1))] = _reg_value(match.group(2))
        return values


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _reg_value(raw: str) -> str:
    if raw.startswith('"') and raw.endswith('"'):
        return _unescape(raw[1:-1])
    return raw  # dword:..., hex:... kept as written
