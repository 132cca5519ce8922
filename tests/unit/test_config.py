"""Settings fail at start-up naming the variable to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.cli import main
from service.config import ConfigError, load_settings


def test_defaults_need_nothing(monkeypatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings = load_settings()
    assert settings.port == 8080
    assert settings.database_url is None


def test_the_data_directory_is_the_checkouts_wherever_the_command_runs(
    monkeypatch, tmp_path
) -> None:
    monkeypatch.delenv("PLEDGER_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)  # another working directory must not start a second database
    assert load_settings().data_dir == Path(__file__).resolve().parents[2] / ".data"


def test_invalid_setting_names_the_variable(monkeypatch) -> None:
    monkeypatch.setenv("PLEDGER_PORT", "eighty")
    monkeypatch.setenv("PLEDGER_POOL_MAX_SIZE", "0")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "PLEDGER_PORT" in str(info.value)
    assert "PLEDGER_POOL_MAX_SIZE" in str(info.value)


def test_cli_reports_a_bad_setting_in_one_line(monkeypatch, capsys) -> None:
    monkeypatch.setenv("PLEDGER_PORT", "-1")
    assert main(["migrate"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("pledger: configuration error: PLEDGER_PORT")
    assert "\n" not in err


def test_database_url_is_read_without_prefix(monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h:5432/d")
    assert load_settings().database_url == "postgresql://u@h:5432/d"
