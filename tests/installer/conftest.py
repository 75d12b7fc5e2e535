"""One PyInstaller bundle, one setup .exe and one wine prefix per test session.

Building the bundle takes about half a minute and creating a wine prefix about
fifteen seconds, so both are shared by every test here, and the prefix is booted
in the background while PyInstaller runs.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.installer.wine_prefix import WinePrefix

ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = ROOT / "installer" / "build.py"
BUILD_TIMEOUT = 400.0


def build_command() -> list[str]:
    """installer/build.py run where PyInstaller is installed (the `installer` group)."""
    if importlib.util.find_spec("PyInstaller") is not None:
        return [sys.executable, str(BUILD_SCRIPT)]
    uv = shutil.which("uv")
    if uv is None:
        pytest.fail("PyInstaller is not installed and uv is not on PATH to install it")
    return [uv, "run", "--group", "installer", "python", str(BUILD_SCRIPT)]


@pytest.fixture(scope="session")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("installer-build")


@pytest.fixture(scope="session")
def wine_boot(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[WinePrefix, subprocess.Popen[bytes]] | None]:
    """A wine prefix being created in the background, or None without wine."""
    if not WinePrefix.available():
        yield None
        return
    prefix = WinePrefix(tmp_path_factory.mktemp("wineprefix") / "prefix")
    process = prefix.boot()
    yield prefix, process
    if process.poll() is None:
        process.kill()
        process.wait()
    subprocess.run(["wineserver", "-k"], env=prefix.env, check=False, timeout=60)


@pytest.fixture(scope="session")
def bundle(build_dir: Path, wine_boot: object) -> Path:
    """The one-folder bundle of fx-executor, built once per session."""
    folders = ["--dist", str(build_dir / "dist"), "--work", str(build_dir / "work")]
    result = subprocess.run(
        [*build_command(), *folders, "--no-installer"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    path = build_dir / "dist" / "fx-executor"
    assert path.is_dir()
    return path


@pytest.fixture(scope="session")
def setup_exe(bundle: Path, build_dir: Path) -> Path:
    """The NSIS installer wrapping the bundle (stored uncompressed: seconds, not minutes)."""
    if shutil.which("makensis") is None:
        pytest.fail("makensis not found (Debian package nsis, installed by .ci/run)")
    folders = ["--dist", str(build_dir / "dist"), "--work", str(build_dir / "work")]
    result = subprocess.run(
        [sys.executable, str(BUILD_SCRIPT), *folders, "--skip-bundle", "--no-compression"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (path,) = (build_dir / "dist").glob("fx-executor-*-setup.exe")
    return path


@pytest.fixture(scope="session")
def wine(wine_boot: tuple[WinePrefix, subprocess.Popen[bytes]] | None) -> WinePrefix:
    """The booted wine prefix (fails without wine: .ci/run installs it)."""
    if wine_boot is None:
        pytest.fail("wine not found (Debian packages wine and wine64, installed by .ci/run)")
    prefix, process = wine_boot
    assert process.wait(timeout=180) == 0
    prefix.wait()
    return prefix
