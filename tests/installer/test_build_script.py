"""installer/build.py and bundle_contents.py, without building anything."""

from __future__ import annotations

import ast
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load(name: str) -> ModuleType:
    # installer/ is a folder of scripts, not a package.
    spec = importlib.util.spec_from_file_location(
        f"installer_{name}", ROOT / "installer" / f"{name}.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BUILD = _load("build")
CONTENTS = _load("bundle_contents")


@pytest.mark.parametrize(
    ("version", "numbers"),
    [
        ("0.1.0", (0, 1, 0, 0)),
        ("1.2", (1, 2, 0, 0)),
        ("2", (2, 0, 0, 0)),
        ("1.2.3.4", (1, 2, 3, 4)),
        ("1.2.3rc1", (1, 2, 3, 0)),
        ("1.4.0.dev3+g1234", (1, 4, 0, 0)),
    ],
)
def test_four_part_pads_and_drops_what_windows_cannot_hold(
    version: str, numbers: tuple[int, ...]
) -> None:
    """A PEP 440 version becomes the four numbers VIProductVersion and FixedFileInfo need."""
    assert BUILD.four_part(version) == numbers


@pytest.mark.parametrize("version", ["1.2.3.4.5", "70000.0", "dev", ""])
def test_four_part_refuses_what_does_not_fit(version: str) -> None:
    """More than four numbers, a number above 65535, or no number at all is a build error."""
    with pytest.raises(BUILD.BuildError):
        BUILD.four_part(version)


def test_checked_in_version_info_matches_the_project_version() -> None:
    """installer/version_info.txt is what build.py writes for pyproject's version today."""
    expected = BUILD.version_info_text(BUILD.project_version())
    kept = (ROOT / "installer" / "version_info.txt").read_text(encoding="utf-8")
    assert kept == expected, "run: uv run python installer/build.py --version-info-only"


def test_version_info_is_a_resource_expression_with_four_numbers() -> None:
    """The version resource parses as PyInstaller's Python expression and carries 4 numbers."""
    text = BUILD.version_info_text("3.4.5")
    tree = ast.parse(text, mode="eval")
    call = tree.body
    assert isinstance(call, ast.Call)
    assert isinstance(call.func, ast.Name)
    assert call.func.id == "VSVersionInfo"
    assert "filevers=(3, 4, 5, 0)" in text
    assert "prodvers=(3, 4, 5, 0)" in text
    assert "StringStruct('ProductVersion', '3.4.5')" in text


def test_uninstall_list_names_exactly_the_top_level_entries(tmp_path: Path) -> None:
    """The uninstaller removes the bundle's own files and folders and nothing else."""
    (tmp_path / "_internal" / "deep").mkdir(parents=True)
    (tmp_path / "_internal" / "deep" / "lib.dll").write_bytes(b"x")
    (tmp_path / "fx-executor.exe").write_bytes(b"x")
    (tmp_path / "fx-executor-console.exe").write_bytes(b"x")
    lines = BUILD.uninstall_list(tmp_path).splitlines()
    assert lines[1:] == [
        'RMDir /r "$INSTDIR\\_internal"',
        'Delete "$INSTDIR\\fx-executor-console.exe"',
        'Delete "$INSTDIR\\fx-executor.exe"',
    ]


def test_build_script_help_and_bad_usage() -> None:
    """build.py --help exits 0; an unknown option exits 2 with a usage line."""
    script = str(ROOT / "installer" / "build.py")
    ok = subprocess.run(
        [sys.executable, script, "--help"], capture_output=True, text=True, timeout=30
    )
    assert ok.returncode == 0
    assert "--no-compression" in ok.stdout
    bad = subprocess.run(
        [sys.executable, script, "--nope"], capture_output=True, text=True, timeout=30
    )
    assert bad.returncode == 2
    assert "usage:" in bad.stderr


def test_build_script_reports_a_missing_bundle_in_one_line(tmp_path: Path) -> None:
    """--skip-bundle without a bundle fails with exit 1 and one line, not a traceback."""
    script = str(ROOT / "installer" / "build.py")
    done = subprocess.run(
        [sys.executable, script, "--skip-bundle", "--dist", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0
    assert "does not exist" in done.stderr


def _imported_modules(package: Path) -> set[str]:
    names: set[str] = set()
    for file in package.rglob("*.py"):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_the_app_imports_nothing_the_bundle_leaves_out() -> None:
    """No module of executor_app or fx_protocol imports a module the spec excludes."""
    imported = _imported_modules(ROOT / "executor_app") | _imported_modules(ROOT / "fx_protocol")
    clashes = {
        name
        for name in imported
        for excluded in CONTENTS.EXCLUDES
        if name == excluded or name.startswith(excluded + ".")
    }
    assert not clashes, f"excluded in installer/bundle_contents.py but imported: {clashes}"


def test_only_qt_translations_are_dropped() -> None:
    """keep_data drops Qt's translation catalogues and keeps everything else."""
    assert not CONTENTS.keep_data("PySide6/Qt/translations/qtbase_de.qm")
    assert not CONTENTS.keep_data("PySide6\\translations\\qt_fr.qm")
    assert CONTENTS.keep_data("PySide6/Qt/plugins/platforms/libqxcb.so")
    assert CONTENTS.keep_data("assets/png/trading-16.png")


def test_installer_build_signs_programs_uninstaller_and_setup(tmp_path: Path) -> None:
    """--sign-command runs on both programs, the uninstaller and the finished setup .exe."""
    if shutil.which("makensis") is None:
        pytest.fail("makensis not found (Debian package nsis, installed by .ci/run)")
    bundle = tmp_path / "dist" / "fx-executor"
    (bundle / "_internal").mkdir(parents=True)
    (bundle / "_internal" / "library.bin").write_bytes(b"\0" * 1024)
    for program in ("fx-executor", "fx-executor-console"):
        (bundle / BUILD._exe(program)).write_bytes(b"MZ stand-in program")
    signed = tmp_path / "signed.txt"
    recorder = tmp_path / "sign.py"
    recorder.write_text(
        "import sys\n"
        f"with open({str(signed)!r}, 'a', encoding='utf-8') as log:\n"
        "    log.write(sys.argv[1] + '\\n')\n",
        encoding="utf-8",
    )
    folders = ["--dist", str(tmp_path / "dist"), "--work", str(tmp_path / "work")]
    sign = ["--sign-command", f'"{sys.executable}" "{recorder}" "{{file}}"']
    done = subprocess.run(
        [sys.executable, str(ROOT / "installer" / "build.py"), "--skip-bundle", *folders, *sign],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    names = [Path(line).name for line in signed.read_text(encoding="utf-8").splitlines()]
    setup = f"fx-executor-{BUILD.project_version()}-setup.exe"
    assert names[:2] == [BUILD._exe("fx-executor"), BUILD._exe("fx-executor-console")]
    assert len(names) == 4  # then the uninstaller (a temporary name) and the setup .exe
    assert names[3] == setup
    assert (tmp_path / "dist" / setup).is_file()


def test_sign_command_without_file_placeholder_is_bad_usage() -> None:
    """A signing command that does not say where the file goes is refused with exit 2."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "installer" / "build.py"), "--sign-command", "signtool"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert "{file}" in done.stderr
