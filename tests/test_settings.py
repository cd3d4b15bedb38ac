from pathlib import Path

import pytest

from contact360_desktop.settings import SettingsError, load_settings


def test_defaults_without_environment(tmp_path: Path) -> None:
    settings = load_settings(env={}, config_path=tmp_path / "missing.toml")
    assert settings.database_url is None and settings.uses_embedded_database
    assert settings.redis_url is None and not settings.uses_redis
    assert settings.worker_concurrency == 4
    assert settings.user  # the OS login
    assert settings.soft_time_limit == 25 * 60 and settings.hard_time_limit == 30 * 60


def test_environment_overrides_config_file(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('worker_concurrency = 2\ns3_bucket = "from-file"\nuser = "alice"\n')
    env = {"CONTACT360_WORKER_CONCURRENCY": "8", "CONTACT360_DATA_DIR": str(tmp_path / "d")}
    settings = load_settings(env=env, config_path=config)
    assert settings.worker_concurrency == 8
    assert settings.s3_bucket == "from-file"
    assert settings.user == "alice"
    assert settings.data_dir == tmp_path / "d"


def test_config_path_from_environment(tmp_path: Path) -> None:
    config = tmp_path / "other.toml"
    config.write_text('redis_url = "redis://10.0.0.5:6379/0"\n')
    settings = load_settings(env={"CONTACT360_CONFIG": str(config)})
    assert settings.redis_url == "redis://10.0.0.5:6379/0" and settings.uses_redis


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("WORKER_CONCURRENCY", "four", "CONTACT360_WORKER_CONCURRENCY must be a whole number"),
        ("WORKER_CONCURRENCY", "0", "CONTACT360_WORKER_CONCURRENCY must be at least 1"),
        ("DATABASE_URL", "mysql://x", "CONTACT360_DATABASE_URL must start with postgresql://"),
        ("REDIS_URL", "http://x", "CONTACT360_REDIS_URL must start with redis://"),
        ("S3_ENDPOINT_URL", "ftp://x", "CONTACT360_S3_ENDPOINT_URL must start with http://"),
        ("PHONE_REGION", "Germany", "CONTACT360_PHONE_REGION must be a two-letter country code"),
    ],
)
def test_bad_values_name_the_variable(tmp_path: Path, variable: str, value: str, expected: str) -> None:
    with pytest.raises(SettingsError, match=expected):
        load_settings(env={f"CONTACT360_{variable}": value}, config_path=tmp_path / "none.toml")


def test_soft_limit_must_be_below_hard_limit(tmp_path: Path) -> None:
    env = {"CONTACT360_SOFT_TIME_LIMIT": "60", "CONTACT360_HARD_TIME_LIMIT": "30"}
    with pytest.raises(SettingsError, match="SOFT_TIME_LIMIT"):
        load_settings(env=env, config_path=tmp_path / "none.toml")


def test_invalid_toml_and_unknown_keys_are_reported(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("worker_concurrency = [")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(env={}, config_path=config)
    config.write_text("colour = 'blue'\n")
    with pytest.raises(SettingsError, match="unknown setting 'colour'"):
        load_settings(env={}, config_path=config)
