"""The whole EA, type-checked by g++ against the MT5 and mql-zmq API it calls.

MetaEditor cannot run here. ``harness/mt5_api.h`` declares the MetaTrader 5
functions, enums and structures (as the MQL5 reference gives them) and the
mql-zmq 1.5 classes the EA uses; every EA file, converted by
``tests/mql5/mql_cpp.py``, must compile against it. This catches misspelt
names, wrong argument counts and types, a double property passed to an
integer getter, and calls to methods that do not exist.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.mql5.ea_source import MQL5_DIR
from tests.mql5.mql_cpp import check_whole_ea


def test_the_whole_ea_compiles(tmp_path: Path) -> None:
    """Every file of the EA compiles against the declared MetaTrader and mql-zmq API."""
    assert check_whole_ea(tmp_path) == ""


def test_a_wrong_api_call_does_not_compile(tmp_path: Path) -> None:
    """A double property asked of the integer getter is caught, as MetaEditor would."""
    root = tmp_path / "mql5"
    shutil.copytree(MQL5_DIR, root)
    state = root / "Include" / "FxBridge" / "TerminalState.mqh"
    text = state.read_text(encoding="utf-8")
    broken = text.replace(
        "w.KeyLong(FLD_LEVERAGE,AccountInfoInteger(ACCOUNT_LEVERAGE));",
        "w.KeyLong(FLD_LEVERAGE,AccountInfoInteger(ACCOUNT_EQUITY));",
    )
    assert broken != text
    state.write_text(broken, encoding="utf-8")
    errors = check_whole_ea(tmp_path / "work", root)
    assert "TerminalState.mqh" in errors
