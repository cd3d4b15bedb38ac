"""Shared fixtures: a real PostgreSQL (the CI server or an embedded one), Redis, offscreen Qt.

PostgreSQL: CONTACT360_TEST_DATABASE_URL names a server (CI points it at the
machine's); otherwise one embedded server is started for the session in a temp
dir. Every test session works in a database of its own, created and migrated here.

Redis: CONTACT360_TEST_REDIS_URL (default redis://127.0.0.1:6379/15). When it
is unreachable the test is skipped, unless CONTACT360_REQUIRE_SERVICES=1, which
turns that skip into a failure.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from sqlalchemy import Engine, create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from contact360_desktop.settings import Settings  # noqa: E402
from contact360_desktop.storage import migrate  # noqa: E402
from contact360_desktop.storage.db import make_engine  # noqa: E402
from contact360_desktop.storage.embedded import to_sqlalchemy_url  # noqa: E402

# Fixtures defined in their own modules, registered here by name for every test package.
from tests.fs_fixtures import full_disk_folder, read_only_folder  # noqa: E402, F401
from tests.s3_fixtures import (  # noqa: E402, F401
    read_only_s3_key,
    s3_bucket,
    s3_credentials,
    s3_endpoint,
    s3_settings,
)

REQUIRE_SERVICES = os.environ.get("CONTACT360_REQUIRE_SERVICES") == "1"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

APP_TABLES = (
    "contact_import_errors",
    "contacts",
    "companies",
    "contact_import_jobs",
    "exports",
    "mapping_templates",
    "worker_processes",
)


def service_unavailable(what: str) -> None:
    """Skip for a missing service, or fail when CI requires every service."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is unreachable and CONTACT360_REQUIRE_SERVICES=1", pytrace=False)
    pytest.skip(f"service unavailable: {what} is unreachable")


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """An admin URL of a PostgreSQL server: the configured one or a session-wide embedded one."""
    configured = os.environ.get("CONTACT360_TEST_DATABASE_URL")
    if configured:
        url = to_sqlalchemy_url(configured)
        try:
            engine = create_engine(url)
            with engine.connect():
                pass
            engine.dispose()
        except Exception as exc:
            service_unavailable(f"PostgreSQL at {configured} ({exc.__class__.__name__})")
        yield url
        return
    from contact360_desktop.storage.embedded import EmbeddedServer

    # Outside pytest's 0700 tmp dir: as root the server runs as another user.
    data_dir = Path(tempfile.mkdtemp(prefix="c360-test-pg-"))
    server = EmbeddedServer(data_dir)
    yield server.start()
    server.release()
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_url(pg_server_url: str) -> Iterator[str]:
    """A migrated database of this test session's own on that server."""
    name = f"c360_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg_server_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"),
            {"n": name},
        )
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture(scope="session")
def engine(pg_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_url)
    yield engine
    engine.dispose()


@pytest.fixture()
def db_session(engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back after the test (commits become savepoints)."""
    with engine.connect() as conn:
        outer = conn.begin()
        session = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
        try:
            yield session
        finally:
            session.close()
            outer.rollback()


def truncate_app_tables(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(APP_TABLES)} RESTART IDENTITY CASCADE"))
        huey_tables = conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'huey%'")
        ).scalars()
        for table in huey_tables:
            conn.execute(text(f'TRUNCATE "{table}"'))


@pytest.fixture()
def clean_db(engine: Engine) -> Iterator[Engine]:
    """For tests whose code commits on its own connections (workers, imports): empty tables after."""
    truncate_app_tables(engine)
    yield engine
    truncate_app_tables(engine)


@pytest.fixture()
def settings(pg_url: str, tmp_path: Path) -> Settings:
    """Settings pointing at the test database, with a private data dir."""
    return Settings(database_url=pg_url, data_dir=tmp_path / "data", user="tester")


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("CONTACT360_TEST_REDIS_URL", DEFAULT_REDIS_URL)
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        service_unavailable(f"Redis at {url} ({exc.__class__.__name__})")
    return url


@pytest.fixture()
def clean_redis(redis_url: str) -> Iterator[str]:
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield redis_url
    client.flushdb()
    client.close()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"shared test data not found at {SHARED_DATA}", pytrace=False)
    return SHARED_DATA
