"""A scratch database of its own on a PostgreSQL server, for the benchmarks and scripts/screenshots.py."""

from __future__ import annotations

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from contact360_desktop.storage import migrate
from contact360_desktop.storage.db import libpq_dsn, make_engine
from contact360_desktop.storage.embedded import to_sqlalchemy_url


def recreate_database(server_url: str, name: str) -> str:
    """Drop ``name`` on the server at ``server_url`` (if there), create it, migrate it; returns its URL."""
    url = make_url(to_sqlalchemy_url(server_url))
    admin = libpq_dsn(url.set(database="postgres").render_as_string(hide_password=False))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    target = url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(target)
    migrate.upgrade(engine)
    engine.dispose()
    return target
