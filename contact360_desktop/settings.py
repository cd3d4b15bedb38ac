"""One Settings object, from CONTACT360_* environment variables and an optional TOML file.

Environment variables win over the file. The file lives in the user config dir
(``config.toml``) and uses the same names in lower case without the prefix.
"""

from __future__ import annotations

import dataclasses
import getpass
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import platformdirs

APP_NAME = "contact360"
ENV_PREFIX = "CONTACT360_"


class SettingsError(ValueError):
    """A setting has a value we cannot use; the message names the variable."""


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME))


def _os_login() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (containers without a passwd entry)
        return "user"


@dataclasses.dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    redis_url: str | None = None
    data_dir: Path = dataclasses.field(default_factory=default_data_dir)
    s3_bucket: str | None = None
    s3_prefix: str = ""
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    worker_concurrency: int = 4
    user: str = dataclasses.field(default_factory=_os_login)
    phone_region: str = "US"
    soft_time_limit: int = 25 * 60
    hard_time_limit: int = 30 * 60

    @property
    def uses_embedded_database(self) -> bool:
        return not self.database_url

    @property
    def uses_redis(self) -> bool:
        return bool(self.redis_url)


def _parse_int(name: str, raw: Any, minimum: int = 1) -> int:
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise SettingsError(f"{ENV_PREFIX}{name.upper()} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{ENV_PREFIX}{name.upper()} must be at least {minimum}, got {value}")
    return value


def _check_url(name: str, value: str, schemes: tuple[str, ...]) -> str:
    scheme = value.split("://", 1)[0] if "://" in value else ""
    if scheme not in schemes:
        expected = " or ".join(f"{s}://" for s in schemes)
        raise SettingsError(f"{ENV_PREFIX}{name.upper()} must start with {expected}, got {value!r}")
    return value


_DB_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
_REDIS_SCHEMES = ("redis", "rediss", "unix")
_HTTP_SCHEMES = ("http", "https")


def _convert(name: str, raw: Any) -> Any:
    if name == "database_url":
        return _check_url(name, str(raw), _DB_SCHEMES)
    if name == "redis_url":
        return _check_url(name, str(raw), _REDIS_SCHEMES)
    if name == "s3_endpoint_url":
        return _check_url(name, str(raw), _HTTP_SCHEMES)
    if name in ("worker_concurrency", "soft_time_limit", "hard_time_limit"):
        return _parse_int(name, raw)
    if name == "data_dir":
        return Path(str(raw)).expanduser()
    if name == "phone_region":
        region = str(raw).strip().upper()
        if len(region) != 2 or not region.isalpha():
            raise SettingsError(
                f"{ENV_PREFIX}PHONE_REGION must be a two-letter country code such as US or DE, got {raw!r}"
            )
        return region
    return str(raw)


_FIELDS = {f.name for f in dataclasses.fields(Settings)}


def load_settings(
    env: Mapping[str, str] | None = None, config_path: Path | None = None, **overrides: Any
) -> Settings:
    """Read settings: defaults < config file < environment < explicit overrides."""
    env = os.environ if env is None else env
    path = config_path or Path(env.get(f"{ENV_PREFIX}CONFIG", "") or default_config_path())
    values: dict[str, Any] = {}
    if path.is_file():
        try:
            file_values = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"Config file {path} is not valid TOML: {exc}") from None
        for key, raw in file_values.items():
            name = key.lower()
            if name not in _FIELDS:
                raise SettingsError(f"Config file {path}: unknown setting {key!r}")
            values[name] = _convert(name, raw)
    for name in _FIELDS:
        raw = env.get(ENV_PREFIX + name.upper())
        if raw is not None and raw.strip() != "":
            values[name] = _convert(name, raw.strip())
    values.update({k: v for k, v in overrides.items() if v is not None})
    settings = Settings(**values)
    if settings.soft_time_limit >= settings.hard_time_limit:
        raise SettingsError(
            f"{ENV_PREFIX}SOFT_TIME_LIMIT ({settings.soft_time_limit}s) must be below "
            f"{ENV_PREFIX}HARD_TIME_LIMIT ({settings.hard_time_limit}s)"
        )
    return settings
