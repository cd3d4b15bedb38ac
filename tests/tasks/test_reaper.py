"""The reaper: lost runs re-delivered (lease free + stale heartbeat), lost messages re-sent."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import Engine, text

from contact360_desktop.storage.db import libpq_dsn
from contact360_desktop.tasks.app import TaskApp
from contact360_desktop.tasks.dispatch import enqueue_job
from contact360_desktop.tasks.lease import LOCK_KEY_SQL, lease_name
from contact360_desktop.tasks.reaper import Reaper
from tests.contact_indexes import primary_key, secondary_indexes
from tests.tasks.fixtures import create_job, drain, job_row

pytestmark = pytest.mark.timeout(60)


def set_job(engine: Engine, job_id: str, sql: str) -> None:
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE contact_import_jobs SET {sql} WHERE id = :id"), {"id": job_id})


def lost_run(engine: Engine, redeliveries: int = 0) -> str:
    job_id = create_job(engine, rows=10, batch=5)
    set_job(
        engine,
        job_id,
        f"status = 'processing', attempts = 1, heartbeat_at = now() - interval '1 minute', "
        f"redeliveries = {redeliveries}, task_id = 'lost-task'",
    )
    return job_id


def test_lost_run_is_redelivered_and_completes(app: TaskApp, clean_db: Engine) -> None:
    job_id = lost_run(clean_db)
    report = Reaper(app, clean_db).sweep()
    assert report.redelivered == [job_id]
    row = job_row(clean_db, job_id)
    assert (row.status, row.redeliveries) == ("pending", 1)
    assert "re-delivered (1/3)" in row.message
    assert app.queue_depths()["imports"] == 1
    drain(app, lambda: job_row(clean_db, job_id).status == "completed")
    assert job_row(clean_db, job_id).attempts == 2


def test_run_whose_lease_is_held_is_left_alone(app: TaskApp, clean_db: Engine, pg_url: str) -> None:
    job_id = lost_run(clean_db)
    with psycopg.connect(libpq_dsn(pg_url), autocommit=True) as other:
        other.execute(f"SELECT pg_advisory_lock({LOCK_KEY_SQL})", (lease_name("import", job_id),))
        assert not Reaper(app, clean_db).sweep()
        assert job_row(clean_db, job_id).status == "processing"
    assert Reaper(app, clean_db).sweep().redelivered == [job_id]


def test_third_redelivery_is_the_last(app: TaskApp, clean_db: Engine) -> None:
    job_id = lost_run(clean_db, redeliveries=3)
    assert Reaper(app, clean_db).sweep().failed == [job_id]
    row = job_row(clean_db, job_id)
    assert row.status == "failed" and row.message.startswith("Worker lost")
    assert app.queue_depths()["imports"] == 0


def test_cancel_requested_lost_run_ends_cancelled(app: TaskApp, clean_db: Engine) -> None:
    job_id = lost_run(clean_db)
    set_job(clean_db, job_id, "cancel_requested = true")
    assert Reaper(app, clean_db).sweep().cancelled == [job_id]
    assert job_row(clean_db, job_id).status == "cancelled"


def test_pending_job_whose_message_was_lost_is_sent_again(app: TaskApp, clean_db: Engine) -> None:
    never_sent = create_job(clean_db, rows=5)
    lost = create_job(clean_db, rows=5, prefix="lost")
    queued = create_job(clean_db, rows=5, prefix="queued")
    fresh = create_job(clean_db, rows=5, prefix="fresh")
    task_id = enqueue_job(app, clean_db, "import", lost)
    enqueue_job(app, clean_db, "import", queued)
    # The broker forgets the message (as Redis does when restarted without persistence).
    app.hueys["imports"].storage.flush_queue()
    app.drop_marker("imports", task_id)
    enqueue_job(app, clean_db, "import", queued)
    for job_id in (never_sent, lost, queued):
        set_job(clean_db, job_id, "created_at = now() - interval '1 hour'")
    report = Reaper(app, clean_db).sweep()
    assert sorted(report.resent) == sorted([never_sent, lost])
    assert job_row(clean_db, lost).task_id == task_id
    drain(app, lambda: all(job_row(clean_db, j).status == "completed" for j in (never_sent, lost, queued)))
    assert job_row(clean_db, fresh).status == "pending"


def test_indexes_deferred_by_a_dead_bulk_import_are_rebuilt(app: TaskApp, clean_db: Engine) -> None:
    from contact360_desktop.storage.import_indexes import defer_indexes

    before = secondary_indexes(clean_db)
    job_id = create_job(clean_db, rows=10, batch=5)
    assert set(defer_indexes(clean_db, job_id)) == before | {"contacts_pkey"}  # the import died after this
    assert secondary_indexes(clean_db) == set()
    assert primary_key(clean_db) is None
    Reaper(app, clean_db).sweep()
    assert secondary_indexes(clean_db) == before
    assert primary_key(clean_db) == "PRIMARY KEY (id)"
