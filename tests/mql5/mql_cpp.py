"""Turns the EA's pure MQL5 include files into C++ that g++ compiles with the shim.

MQL5 is close to C++; the differences these files use are few and
mechanical: members of an object pointer are reached with ``.`` (C++:
``->``), dynamic arrays are declared ``T name[]`` (here ``MqlArray<T>``),
and string literals are ``string`` values that ``+`` concatenates (here
``MqlString``). Everything else, the logic under test, is kept verbatim.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.mql5.ea_source import MQL5_DIR, blank_comments_and_strings

HARNESS_DIR = Path(__file__).resolve().parent / "harness"

#: the include files without MetaTrader calls, in dependency order
PURE_FILES = [
    "Protocol.mqh",
    "Retcodes.mqh",
    "Json.mqh",
    "Outcome.mqh",
    "RequestFields.mqh",
    "Replies.mqh",
    "CommandLedger.mqh",
]

_CLASS_TYPES = (
    r"(?:JsonNode|JsonParser|JsonWriter|RequestFields|CommandLedger|FxClock|FxServer|FxTrading"
    r"|FxEvents|FxRequests|RequestSink|Socket)"
)
_POINTER_DECL = re.compile(rf"\b{_CLASS_TYPES}\s*\*\s*(\w+)\b(?!\s*(?:::|\())")
_ARRAY_DECL = re.compile(
    r"(?P<const>\bconst\s+)?\b(?P<type>\w+)\s*(?P<ptr>\*)?\s*(?P<ref>&)?\s*(?P<name>\w+)\s*\[\s*\]"
)


def convert(text: str, pointer_names: set[str]) -> str:
    """One MQL5 file as C++."""
    code = blank_comments_and_strings(text)
    edits: list[tuple[int, int, str]] = []
    for match in re.finditer(r"^#property[^\n]*$", code, re.M):
        edits.append((match.start(), match.end(), ""))
    for match in re.finditer(r"^input\b", code, re.M):
        edits.append((match.start(), match.end(), "const"))
    for match in re.finditer(r"^#include[ \t]+<([^>]+)>", code, re.M):
        target = text[match.start(1) : match.end(1)]
        header = "mt5_zmq.h" if target.startswith("Zmq/") else target.rsplit("/", 1)[-1]
        edits.append((match.start(), match.end(), f'#include "{header}"'))
    for match in _ARRAY_DECL.finditer(code):
        if match.group("type") in ("return", "delete"):
            continue
        const = "const " if match.group("const") else ""
        ptr = "*" if match.group("ptr") else ""
        ref = "&" if match.group("ref") else ""
        replacement = f"{const}MqlArray<{match.group('type')}{ptr}> {ref}{match.group('name')}"
        edits.append((match.start(), match.end(), replacement))
    for name in pointer_names:
        for match in re.finditer(rf"\b{name}\s*\.(?=[A-Za-z_])", code):
            edits.append((match.start(), match.end(), f"{name}->"))
    for match in re.finditer(r'"[^"\n]*"', code):
        line_start = code.rfind("\n", 0, match.start()) + 1
        if code[line_start : match.start()].lstrip().startswith(("#include", "#property")):
            continue
        edits.append((match.start(), match.start() + 1, 'MqlString("'))
        edits.append((match.end() - 1, match.end(), '")'))
    edits.sort()
    out, last = [], 0
    for start, end, replacement in edits:
        assert start >= last, f"overlapping edits at {start}"
        out.append(text[last:start])
        out.append(replacement)
        last = end
    out.append(text[last:])
    return "".join(out)


def pointer_names(texts: list[str]) -> set[str]:
    names: set[str] = set()
    for text in texts:
        names |= set(_POINTER_DECL.findall(blank_comments_and_strings(text)))
    return names


def write_converted(target: Path, include_dir: Path = MQL5_DIR / "Include" / "FxBridge") -> None:
    target.mkdir(parents=True, exist_ok=True)
    for name in PURE_FILES:
        text = (include_dir / name).read_text(encoding="utf-8")
        # pointer variables are collected per file: a name may be a pointer in one
        # file and an object reference in another ("item")
        (target / name).write_text(convert(text, pointer_names([text])), encoding="utf-8")


def write_all_converted(include: Path, root: Path = MQL5_DIR) -> None:
    """Every include file of the EA as C++, plus the stand-in for mql-zmq's header."""
    include.mkdir(parents=True, exist_ok=True)
    for path in sorted((root / "Include" / "FxBridge").glob("*.mqh")):
        text = path.read_text(encoding="utf-8")
        (include / path.name).write_text(convert(text, pointer_names([text])), encoding="utf-8")
    (include / "mt5_zmq.h").write_text('#include "mt5_api.h"\n', encoding="utf-8")


def check_whole_ea(work: Path, root: Path = MQL5_DIR) -> str:
    """Compile every EA file (syntax and types only) against the declared MT5 API; g++'s errors."""
    include = work / "ea"
    write_all_converted(include, root)
    expert = (root / "Experts" / "FxBridgeEA.mq5").read_text(encoding="utf-8")
    main = include / "FxBridgeEA.cpp"
    main.write_text(
        '#include "mt5_api.h"\n' + convert(expert, pointer_names([expert])), encoding="utf-8"
    )
    result = subprocess.run(
        ["g++", "-std=c++17", "-fsyntax-only", f"-I{HARNESS_DIR}", f"-I{include}", str(main)],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    return result.stderr if result.returncode != 0 else ""


def build_driver(work: Path) -> Path:
    """Convert, then compile harness/driver.cpp against the converted files; the binary's path."""
    include = work / "include"
    write_converted(include)
    binary = work / "mql5_driver"
    result = subprocess.run(
        [
            "g++",
            "-std=c++17",
            "-O0",
            "-w",
            f"-I{HARNESS_DIR}",
            f"-I{include}",
            str(HARNESS_DIR / "driver.cpp"),
            "-o",
            str(binary),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"g++ failed:\n{result.stderr[-6000:]}")
    return binary


def build_trading_driver(work: Path) -> Path:
    """Trading.mqh and what it includes, compiled with harness/trading_driver.cpp."""
    include = work / "ea"
    write_all_converted(include)
    binary = work / "mql5_trading_driver"
    result = subprocess.run(
        [
            "g++",
            "-std=c++17",
            "-O0",
            "-w",
            f"-I{HARNESS_DIR}",
            f"-I{include}",
            str(HARNESS_DIR / "trading_driver.cpp"),
            "-o",
            str(binary),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"g++ failed:\n{result.stderr[-6000:]}")
    return binary
