"""Start at login: the HKCU ``Run`` key on Windows, an XDG autostart entry elsewhere.

The Windows value is the one the installer writes (``installer/fx-executor.nsi``:
value ``fx-executor`` under ``Software\\Microsoft\\Windows\\CurrentVersion\\Run``),
so the installer's "Start with Windows" and this checkbox are the same switch.
On Linux desktops the entry is ``$XDG_CONFIG_HOME/autostart/fx-executor.desktop``.
macOS is not supported (:func:`supported` says so and the checkbox is disabled).
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from pathlib import Path

APP = "fx-executor"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"


def supported() -> bool:
    return sys.platform == "win32" or sys.platform.startswith("linux")


def label() -> str:
    return "Start with Windows" if sys.platform == "win32" else "Start when I log in"


def command(config_path: Path | None) -> list[str]:
    """The command line that starts this executor again, with the same config."""
    if getattr(sys, "frozen", False):
        argv = [sys.executable]
    else:
        script = Path(sys.executable).with_name("fx-executor.exe" if os.name == "nt" else APP)
        argv = [str(script)] if script.exists() else [sys.executable, "-m", "executor_app.cli"]
    if config_path is not None:
        argv += ["--config", str(Path(config_path).resolve())]
    return argv


def desktop_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "autostart" / f"{APP}.desktop"


def is_enabled() -> bool:
    if sys.platform == "win32":
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
                winreg.QueryValueEx(key, APP)
        except OSError:
            return False
        return True
    return desktop_file().exists()


def set_enabled(enabled: bool, config_path: Path | None) -> None:
    """Create or remove the entry; raises OSError when the OS refuses."""
    if sys.platform == "win32":
        import subprocess
        import winreg

        with winreg.CreateKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
            if enabled:
                line = subprocess.list2cmdline(command(config_path))
                winreg.SetValueEx(key, APP, 0, winreg.REG_SZ, line)
            else:
                with contextlib.suppress(FileNotFoundError):
                    winreg.DeleteValue(key, APP)
        return
    path = desktop_file()
    if not enabled:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=fx-executor\n"
        "Comment=MT5 executor tray app\n"
        f"Exec={_exec_line(command(config_path))}\n"
        "Terminal=false\n"
        "X-GNOME-Autostart-enabled=true\n",
        encoding="utf-8",
    )


def _exec_line(argv: list[str]) -> str:
    """Quote per the Desktop Entry spec: double quotes, with ``"`$\\`` escaped."""
    out = []
    for arg in argv:
        if arg and re.fullmatch(r"[A-Za-z0-9_./:=+-]+", arg):
            out.append(arg)
        else:
            escaped = re.sub(r'(["`$\\])', r"\\\1", arg)
            out.append(f'"{escaped}"')
    return " ".join(out)
