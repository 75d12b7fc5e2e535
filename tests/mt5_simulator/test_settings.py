"""Settings: every one documented and offered as a flag; sources merge in the stated order."""

from __future__ import annotations

from pathlib import Path

import pytest

from mt5_simulator.cli import _run_parser
from mt5_simulator.settings import (
    FaultSettings,
    SettingsError,
    SimulatorSettings,
    field_help,
    load_settings,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "simulator.md"


def all_settings() -> list[str]:
    names = [n for n in SimulatorSettings.__struct_fields__ if n != "faults"]
    return names + list(FaultSettings.__struct_fields__)


@pytest.mark.parametrize("name", all_settings())
def test_every_setting_is_documented_with_help_and_a_flag(name: str) -> None:
    """Each setting has help text, a row in docs/simulator.md and a command-line flag."""
    helps = {**field_help(SimulatorSettings), **field_help(FaultSettings)}
    assert helps[name], f"{name} has no help text"
    assert f"| `{name}` |" in DOC.read_text(encoding="utf-8")
    assert "--" + name.replace("_", "-") in _run_parser().format_help()


def test_precedence_flags_over_env_over_toml(tmp_path: Path) -> None:
    """Flags beat FX_MT5SIM_* variables, which beat the TOML file, which beats defaults."""
    config = tmp_path / "c.toml"
    config.write_text("[mt5sim]\nseed = 1\nleverage = 50\nbalance = 500.0\n")
    env = {"FX_MT5SIM_LEVERAGE": "30", "FX_MT5SIM_SEED": "2"}
    settings = load_settings({"seed": 3}, config=config, environ=env)
    assert (settings.seed, settings.leverage, settings.balance) == (3, 30, 500.0)
    assert settings.tick_rate == SimulatorSettings().tick_rate


@pytest.mark.parametrize(
    ("overrides", "toml"),
    [
        ({"leverage": 0}, ""),
        ({"mode": "both"}, ""),
        ({}, "[mt5sim]\nno_such_setting = 1\n"),
        ({}, "[mt5sim\n"),
    ],
)
def test_bad_settings_raise_settings_error(
    tmp_path: Path, overrides: dict[str, object], toml: str
) -> None:
    """Wrong values, unknown keys and broken TOML are one SettingsError each."""
    config = tmp_path / "c.toml"
    config.write_text(toml)
    with pytest.raises(SettingsError):
        load_settings(overrides, config=config, environ={})


def test_default_state_dir_is_the_user_data_dir() -> None:
    """Without --state-dir the account lives in the platform's user data directory."""
    assert SimulatorSettings().resolved_state_dir().name == "fx-mt5sim"
