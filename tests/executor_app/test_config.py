"""Settings: TOML, environment overrides, one-line errors, API key sources, documentation."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path

import keyring
import pytest

from executor_app.config import (
    KEYRING_SERVICE,
    ConfigError,
    api_key,
    load_settings,
    setting_docs,
)

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_contract_example_loads(tmp_path: Path) -> None:
    """The TOML example of the contract loads as written."""
    path = write(
        tmp_path,
        """
[brain]
url = "ws://127.0.0.1:8080/ws/executor"
executor_id = "ex1"
[terminal]
command_endpoint = "tcp://127.0.0.1:5555"
events_endpoint  = "tcp://127.0.0.1:5556"
[limits]
allowed_symbols = ["EURUSD", "XAUUSD"]
max_volume_per_order = 1.0
max_total_volume_per_symbol = 5.0
max_open_positions = 10
max_orders_per_minute = 60
daily_loss_limit = 500.0
require_stop_loss = false
max_price_deviation_pct = 0.5
max_spread_points = 0
on_brain_disconnect = "keep"
disconnect_grace_seconds = 30
daily_reset_time = 17:00:00
""",
    )
    settings = load_settings(path, environ={})
    assert settings.brain.executor_id == "ex1"
    assert settings.limits.daily_reset_time == time(17)


def test_environment_overrides_file(tmp_path: Path) -> None:
    """FX_EXECUTOR_<SECTION>_<KEY> wins over the file; lists are comma-separated."""
    path = write(tmp_path, "[limits]\nmax_volume_per_order = 1.0\n")
    settings = load_settings(
        path,
        environ={
            "FX_EXECUTOR_LIMITS_MAX_VOLUME_PER_ORDER": "0.25",
            "FX_EXECUTOR_LIMITS_ALLOWED_SYMBOLS": "GBPUSD, USDJPY",
            "FX_EXECUTOR_LIMITS_REQUIRE_STOP_LOSS": "true",
            "FX_EXECUTOR_BRAIN_URL": "wss://brain.example/ws/executor",
        },
    )
    assert settings.limits.max_volume_per_order == 0.25
    assert settings.limits.allowed_symbols == ["GBPUSD", "USDJPY"]
    assert settings.limits.require_stop_loss is True
    assert settings.brain.url.startswith("wss://")


@pytest.mark.parametrize(
    ("text", "env", "needle"),
    [
        ("[limits]\nmax_volume_per_order = -1\n", {}, "max_volume_per_order"),
        ("[limits]\nbogus = 1\n", {}, "bogus"),
        ("[limits\n", {}, "invalid TOML"),
        ('[limits]\non_brain_disconnect = "panic"\n', {}, "on_brain_disconnect"),
        ('[limits]\ndaily_reset_zone = "Mars/Base"\n', {}, "daily_reset_zone"),
        ('[brain]\nurl = "http://x"\n', {}, "brain.url"),
        ("", {"FX_EXECUTOR_LIMITS_MAX_OPEN_POSITIONS": "many"}, "MAX_OPEN_POSITIONS"),
    ],
)
def test_bad_settings_give_one_line(
    tmp_path: Path, text: str, env: dict[str, str], needle: str
) -> None:
    """Every invalid setting is reported in one line naming it."""
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text), environ=env)
    message = str(info.value)
    assert needle in message
    assert "\n" not in message


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    """--config pointing nowhere is refused rather than silently defaulted."""
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml", environ={})


def test_api_key_from_env_then_keyring(tmp_path: Path) -> None:
    """Headless uses the named variable; otherwise (or if unset) the OS keyring."""
    settings = load_settings(
        write(tmp_path, '[brain]\nexecutor_id = "ex1"\napi_key_env = "MY_KEY"\n'), environ={}
    )
    assert api_key(settings, headless=True, environ={"MY_KEY": "k-env"}) == "k-env"
    with pytest.raises(ConfigError, match="keyring"):
        api_key(settings, headless=False, environ={"MY_KEY": "k-env"})
    keyring.set_password(KEYRING_SERVICE, "ex1", "k-ring")
    assert api_key(settings, headless=False, environ={}) == "k-ring"


def test_every_setting_is_documented() -> None:
    """docs/configuration.md names every setting, its variable and its default."""
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing = [
        name
        for name, env, _, _ in setting_docs()
        if f"`{name.split('.', 1)[1]}`" not in text or f"`{env}`" not in text
    ]
    assert missing == []
    for name, _, help_text, _ in setting_docs():
        assert help_text, f"{name} has no help text"
    assert re.search(r"`FX_EXECUTOR_CONFIG`", text)
