"""Apply the Alembic migrations (at start-up and by `contact360 db upgrade`)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

_MIGRATIONS = Path(__file__).with_name("migrations")
# Any constant: serialises concurrent upgrades from several processes.
_ADVISORY_LOCK_KEY = 360_001


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def _revision_label(heads: tuple[str, ...]) -> str | None:
    return "+".join(sorted(heads)) or None


def head_revisions() -> str | None:
    return _revision_label(tuple(ScriptDirectory.from_config(_config()).get_heads()))


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return _revision_label(MigrationContext.configure(conn).get_current_heads())


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Upgrade to head; returns (revision before, revision after). Idempotent."""
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_LOCK_KEY})
        before = _revision_label(MigrationContext.configure(conn).get_current_heads())
        config = _config()
        config.attributes["connection"] = conn
        # "heads": feature migrations branch from the initial schema independently.
        command.upgrade(config, "heads")
        after = _revision_label(MigrationContext.configure(conn).get_current_heads())
    return before, str(after)
