"""The NSIS installer: 64-bit, versioned, and a clean silent install and uninstall under wine.

The payload here is the Linux bundle (the Windows workflow builds the real one); what
is checked is the installer's own work: files, Start-menu shortcut, autostart value,
uninstall entry, and that user data survives an uninstall unless asked otherwise.
"""

from __future__ import annotations

import struct
import tomllib
from pathlib import Path

import pytest

from tests.installer.wine_prefix import WinePrefix

# One bundle build per session: under xdist, `--dist loadgroup` keeps these on one worker.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(420), pytest.mark.xdist_group("installer")]

ROOT = Path(__file__).resolve().parents[2]
APP = "fx-executor"
RUN_KEY = "Software\\Microsoft\\Windows\\CurrentVersion\\Run"
UNINSTALL_KEY = f"Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{APP}"
SETTINGS_KEY = f"Software\\{APP}"
START_MENU = Path("Microsoft", "Windows", "Start Menu", "Programs", f"{APP}.lnk")
IMAGE_FILE_MACHINE_AMD64 = 0x8664
VS_FIXEDFILEINFO_SIGNATURE = struct.pack("<I", 0xFEEF04BD)


def _project_version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return str(tomllib.load(file)["project"]["version"])


def _four_numbers(version: str) -> tuple[int, int, int, int]:
    numbers = [int(n) for n in version.split(".")[:4]]
    padded = (*numbers, 0, 0, 0, 0)
    return (padded[0], padded[1], padded[2], padded[3])


def test_installer_is_a_64_bit_program_with_a_four_part_version(setup_exe: Path) -> None:
    """The setup .exe is PE32+ for x64, and its version resource holds the project version."""
    with setup_exe.open("rb") as file:
        head = file.read(2 * 1024 * 1024)  # the stub and its resources come before the payload
    assert head[:2] == b"MZ"
    (pe_offset,) = struct.unpack_from("<I", head, 0x3C)
    assert head[pe_offset : pe_offset + 4] == b"PE\0\0"
    (machine,) = struct.unpack_from("<H", head, pe_offset + 4)
    assert machine == IMAGE_FILE_MACHINE_AMD64
    at = head.index(VS_FIXEDFILEINFO_SIGNATURE)
    file_ms, file_ls, product_ms, product_ls = struct.unpack_from("<4I", head, at + 8)
    expected = _four_numbers(_project_version())
    assert (file_ms >> 16, file_ms & 0xFFFF, file_ls >> 16, file_ls & 0xFFFF) == expected
    assert (
        product_ms >> 16,
        product_ms & 0xFFFF,
        product_ls >> 16,
        product_ls & 0xFFFF,
    ) == expected


def _user_data(wine: WinePrefix) -> Path:
    """Where the executor keeps config, journal and logs (platformdirs, no author folder)."""
    return wine.profile / "AppData" / "Local" / APP


def _plant_user_data(wine: WinePrefix) -> Path:
    data = _user_data(wine)
    (data / "Logs").mkdir(parents=True, exist_ok=True)
    (data / "config.toml").write_text('[brain]\nexecutor_id = "ex-1"\n', encoding="utf-8")
    (data / "journal.sqlite3").write_bytes(b"journal")
    return data


def _assert_installed(wine: WinePrefix, bundle: Path, hive: str, instdir: Path, menu: Path) -> None:
    for entry in bundle.iterdir():
        assert (instdir / entry.name).exists(), entry.name
    assert (instdir / "_internal" / "assets" / "app.ico").is_file()
    assert (instdir / "uninstall.exe").is_file()
    assert menu.is_file()
    uninstall = wine.registry(hive, UNINSTALL_KEY)
    assert uninstall is not None
    assert uninstall["DisplayName"] == APP
    assert uninstall["DisplayVersion"] == _project_version()
    assert wine.unix_path(uninstall["InstallLocation"]) == instdir
    mode = "/CurrentUser" if hive == "HKCU" else "/AllUsers"
    assert uninstall["UninstallString"].endswith(f'\\uninstall.exe" {mode}')
    assert uninstall["QuietUninstallString"].endswith(f'\\uninstall.exe" /S {mode}')


def _assert_uninstalled(wine: WinePrefix, hive: str, instdir: Path, menu: Path) -> None:
    assert not instdir.exists()
    assert not menu.exists()
    assert wine.registry(hive, UNINSTALL_KEY) is None
    assert wine.registry(hive, SETTINGS_KEY) is None
    assert APP not in (wine.registry("HKCU", RUN_KEY) or {})


def test_per_user_install_with_autostart_then_uninstall_keeps_user_data(
    wine: WinePrefix, setup_exe: Path, bundle: Path
) -> None:
    """Per user (default): files, shortcut, HKCU Run value and uninstall entry come and go."""
    instdir = wine.profile / "AppData" / "Local" / "Programs" / APP
    menu = wine.profile / "AppData" / "Roaming" / START_MENU

    assert wine.run(setup_exe, "/S", "/AUTOSTART") == 0
    _assert_installed(wine, bundle, "HKCU", instdir, menu)
    run = wine.registry("HKCU", RUN_KEY)
    assert run is not None
    assert wine.unix_path(run[APP].strip('"')) == instdir / f"{APP}.exe"
    assert APP not in (wine.registry("HKLM", RUN_KEY) or {})
    data = _plant_user_data(wine)

    assert wine.run(instdir / "uninstall.exe", "/S", "/CurrentUser") == 0
    _assert_uninstalled(wine, "HKCU", instdir, menu)
    assert (data / "config.toml").is_file()
    assert (data / "journal.sqlite3").read_bytes() == b"journal"


def test_per_machine_install_without_autostart_then_uninstall_deleting_data(
    wine: WinePrefix, setup_exe: Path, bundle: Path
) -> None:
    """Per machine, no autostart: HKLM entry comes and goes; /DELETEDATA removes user data."""
    instdir = wine.drive_c / "Program Files" / APP
    menu = wine.drive_c / "ProgramData" / START_MENU

    assert wine.run(setup_exe, "/S", "/AllUsers") == 0
    _assert_installed(wine, bundle, "HKLM", instdir, menu)
    assert APP not in (wine.registry("HKLM", RUN_KEY) or {})
    assert APP not in (wine.registry("HKCU", RUN_KEY) or {})
    data = _plant_user_data(wine)

    assert wine.run(instdir / "uninstall.exe", "/S", "/AllUsers", "/DELETEDATA") == 0
    _assert_uninstalled(wine, "HKLM", instdir, menu)
    assert not data.exists()
