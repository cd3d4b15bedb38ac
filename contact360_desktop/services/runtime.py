"""Open the app's database for any process (GUI, CLI, worker): settings -> migrated engine."""

from __future__ import annotations

import dataclasses

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from contact360_desktop.settings import Settings, load_settings
from contact360_desktop.storage import migrate
from contact360_desktop.storage.db import get_engine


@dataclasses.dataclass
class Runtime:
    settings: Settings
    engine: Engine

    @property
    def database_label(self) -> str:
        """What the status bar and `contact360 status` say about the database."""
        if self.settings.uses_embedded_database:
            return f"embedded PostgreSQL ({self.settings.data_dir / 'pgdata'})"
        url = make_url(self.engine.url)
        return f"PostgreSQL at {url.host or 'local socket'}:{url.port or 5432}/{url.database}"

    @property
    def broker_label(self) -> str:
        if self.settings.redis_url:
            url = make_url(self.settings.redis_url.replace("redis://", "redis+x://", 1))
            return f"Redis at {url.host}:{url.port or 6379}"
        return "embedded (Huey on PostgreSQL)"


def open_runtime(settings: Settings | None = None, *, upgrade: bool = True) -> Runtime:
    """Start or join the database (blocking: call off the GUI thread) and apply migrations."""
    settings = settings or load_settings()
    engine = get_engine(settings)
    if upgrade:
        migrate.upgrade(engine)
    return Runtime(settings, engine)
