"""The PyInstaller bundle of fx-executor: it starts, holds what it needs, and trades."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from fx_demo.stack import Program, Stack

if TYPE_CHECKING:
    from pytestqt.qtbot import QtBot

# One bundle build per session: under xdist, `--dist loadgroup` keeps these on one worker.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(420), pytest.mark.xdist_group("installer")]

ROOT = Path(__file__).resolve().parents[2]


def _exe(bundle: Path, name: str) -> Path:
    return bundle / (f"{name}.exe" if sys.platform == "win32" else name)


def _app_uses_qt() -> bool:
    return any(
        "PySide6" in file.read_text(encoding="utf-8")
        for file in (ROOT / "executor_app").rglob("*.py")
    )


def _project_version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return str(tomllib.load(file)["project"]["version"])


@pytest.mark.parametrize("program", ["fx-executor", "fx-executor-console"])
def test_bundled_program_prints_the_project_version(bundle: Path, program: str) -> None:
    """Both bundled programs answer --version with the version in pyproject.toml."""
    done = subprocess.run(
        [str(_exe(bundle, program)), "--version"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"fx-executor {_project_version()}"


def test_bundle_holds_what_the_app_needs_at_run_time(bundle: Path) -> None:
    """Icons, the version and keyring metadata, Qt's platform plugins and libzmq are inside."""
    internal = bundle / "_internal"
    assert (internal / "assets" / "app.ico").is_file()
    for state in ("trading", "reconnecting", "halted", "terminal-unavailable"):
        assert (internal / "assets" / "png" / f"{state}-16.png").is_file()
    assert list(internal.glob("fx_bridge-*.dist-info/METADATA"))
    (entry_points,) = internal.glob("keyring-*.dist-info/entry_points.txt")
    assert "keyring.backends" in entry_points.read_text(encoding="utf-8")
    assert list(internal.rglob("libzmq*")) or list(internal.rglob("pyzmq.libs/*zmq*"))
    if _app_uses_qt():  # the tray GUI: Qt must find a platform plugin to show anything
        plugins = [*internal.rglob("platforms/*qxcb*"), *internal.rglob("platforms/*qwindows*")]
        assert plugins


def test_bundle_leaves_out_unneeded_qt(bundle: Path) -> None:
    """No QML, Quick, PDF, WebEngine or 3D libraries and no Qt translations are bundled."""
    unwanted = ("Qt6Qml", "Qt6Quick", "Qt6Pdf", "Qt6WebEngine", "Qt63D", "Qt6Multimedia")
    found = [p.name for p in bundle.rglob("*") if any(u in p.name for u in unwanted)]
    assert not found
    assert not list(bundle.rglob("*.qm"))


def test_bundled_executor_makes_a_headless_round_trip(bundle: Path) -> None:
    """The bundled headless executor carries one order from the brain to the simulator and back."""
    stack = Stack()
    try:
        # Stack starts its "executor" program if one is registered under that name.
        argv = [str(_exe(bundle, "fx-executor-console")), "--headless", "--config"]
        stack.programs["executor"] = Program(
            "executor", [*argv, str(stack.config_path)], {}, stack.root / "executor.log"
        )
        stack.start()
        order = {"action": "OPEN_POSITION", "symbol": "EURUSD", "type": "BUY", "volume": 0.1}
        command_id = stack.submit(order)["commandId"]
        view = stack.wait_command(command_id, timeout=30)
        assert view["status"] == "executed", view
        assert view["result"]["retcodeName"] == "DONE"
        deals = stack.deals()
        assert [d["comment"] for d in deals] == [command_id]
        assert deals[0]["volume"] == 0.1
    finally:
        stack.stop()


def test_bundled_tray_app_starts_qt_and_defers_to_the_running_instance(
    bundle: Path, tmp_path: Path, qtbot: QtBot
) -> None:
    """The windowed program brings up Qt (platform plugin, QtNetwork) from the bundle.

    With an instance already listening for the same config file, a second launch
    asks it to show its window and exits 0, before needing a brain or an API key.
    """
    from PySide6.QtCore import QCoreApplication, QEvent

    from executor_app.gui.single_instance import InstanceServer, server_name

    config = tmp_path / "config.toml"
    config.write_text('[brain]\nexecutor_id = "ex-bundle-test"\n', encoding="utf-8")
    server = InstanceServer(server_name(config))
    assert server.listen()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FX_")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    with subprocess.Popen(
        [str(_exe(bundle, "fx-executor")), "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    ) as process:
        try:
            with qtbot.waitSignal(server.show_requested, timeout=60_000):
                pass
            output, _ = process.communicate(timeout=60)
        finally:
            process.kill()
            server.close()
            # Destroy the server (and the socket it accepted) now, while the QApplication
            # lives: left to interpreter exit, Qt tears them down after it and crashes.
            server.deleteLater()
            QCoreApplication.sendPostedEvents(server, QEvent.Type.DeferredDelete)
    assert process.returncode == 0, output
    assert "already running" in output
