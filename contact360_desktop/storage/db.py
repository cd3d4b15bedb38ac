"""Engines and sessions. One engine per process (never shared across a fork)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from contact360_desktop.settings import Settings
from contact360_desktop.storage.embedded import embedded_server, to_sqlalchemy_url


def database_url(settings: Settings) -> str:
    """The SQLAlchemy URL to use: the configured server, or the embedded one (started on demand)."""
    if settings.database_url:
        return to_sqlalchemy_url(settings.database_url)
    return embedded_server(settings.data_dir).start()


def libpq_dsn(url: str) -> str:
    """A plain libpq URI (for psycopg, COPY and LISTEN) from a SQLAlchemy URL."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def make_engine(url: str, **kwargs: object) -> Engine:
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("connect_args", {"application_name": f"contact360:{os.getpid()}"})
    return create_engine(to_sqlalchemy_url(url), **kwargs)  # type: ignore[arg-type]


_engines: dict[tuple[int, str], Engine] = {}


def get_engine(settings: Settings) -> Engine:
    """The process's engine for these settings; a forked child gets its own."""
    url = database_url(settings)
    key = (os.getpid(), url)
    if key not in _engines:
        _engines[key] = make_engine(url)
    return _engines[key]


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on error."""
    session = sessionmaker(engine, expire_on_commit=False)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def server_version(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(text("SHOW server_version")).scalar_one())
