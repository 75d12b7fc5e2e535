"""Settings: defaults, TOML, environment and flags, in that order; bad values are named."""

from __future__ import annotations

from pathlib import Path

import pytest

from brain_server.settings import Settings, SettingsError, load_settings


def test_precedence(tmp_path: Path) -> None:
    """TOML beats defaults, FX_BRAIN_* beats TOML, explicit flags beat both."""
    config = tmp_path / "brain.toml"
    config.write_text('[brain]\nport = 9000\nhost = "0.0.0.0"\nheartbeat_interval_ms = 500\n')
    env = {"FX_BRAIN_PORT": "9100", "FX_BRAIN_DB": str(tmp_path / "env.db")}
    settings = load_settings(config=config, env=env, overrides={"port": 9200, "host": None})
    assert settings.port == 9200
    assert settings.host == "0.0.0.0"
    assert settings.heartbeat_interval_ms == 500
    assert settings.db == tmp_path / "env.db"
    assert load_settings(env={}).max_body_bytes == Settings().max_body_bytes


def test_config_from_environment_and_top_level_keys(tmp_path: Path) -> None:
    """FX_BRAIN_CONFIG names the file; keys may also sit at the top level."""
    config = tmp_path / "c.toml"
    config.write_text("default_expiry_ms = 60000\n")
    settings = load_settings(env={"FX_BRAIN_CONFIG": str(config)})
    assert settings.default_expiry_ms == 60000


@pytest.mark.parametrize(
    ("toml", "env", "needle"),
    [
        ("colour = 'red'\n", {}, "colour"),
        ("port = 'x'\n", {}, "port"),
        ("", {"FX_BRAIN_HEARTBEAT_TIMEOUT_MS": "soon"}, "heartbeat_timeout_ms"),
        ("", {"FX_BRAIN_PORT": "70000"}, "port"),
        ("", {"FX_BRAIN_SQLITE_SYNCHRONOUS": "OFF"}, "sqlite_synchronous"),
        ("port = [", {}, "TOML"),
    ],
)
def test_bad_values_name_the_setting(
    tmp_path: Path, toml: str, env: dict[str, str], needle: str
) -> None:
    """A wrong setting raises SettingsError whose message names it."""
    config = tmp_path / "c.toml"
    config.write_text(toml)
    with pytest.raises(SettingsError, match=needle):
        load_settings(config=config, env=env)
