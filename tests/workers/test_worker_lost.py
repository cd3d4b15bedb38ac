"""SIGKILL of a worker mid-import: the reaper re-delivers, the import resumes, nothing lost or doubled."""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import pytest
from sqlalchemy import Engine, text

from contact360_desktop.settings import Settings
from contact360_desktop.tasks.app import TaskApp
from contact360_desktop.tasks.config import TaskConfig
from contact360_desktop.tasks.dispatch import enqueue_job
from tests.tasks.fixtures import create_job, job_row, wait_for
from tests.workers.helpers import running_pool

pytestmark = pytest.mark.timeout(120)

ROWS, BATCH, PAUSE = 60, 5, 0.1


def snapshot(engine: Engine, job_id: str) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT status, processed_rows, inserted, rejected, total_rows FROM contact_import_jobs WHERE id = :j"
            ),
            {"j": job_id},
        ).one()
        emails = conn.execute(text("SELECT email FROM contacts ORDER BY email")).scalars().all()
        errors = conn.execute(
            text("SELECT row_number, code FROM contact_import_errors WHERE job_id = :j ORDER BY row_number"),
            {"j": job_id},
        ).all()
    return {"job": tuple(row), "emails": list(emails), "errors": [tuple(e) for e in errors]}


def reset(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE contacts, contact_import_errors, contact_import_jobs CASCADE"))


def run_import(app: TaskApp, engine: Engine, kill_after_rows: tuple[int, ...], pool: Any) -> dict[str, Any]:
    job_id = create_job(engine, rows=ROWS, batch=BATCH, sleep=PAUSE)
    enqueue_job(app, engine, "import", job_id)
    for rows in kill_after_rows:
        wait_for(lambda r=rows: job_row(engine, job_id).processed_rows >= r, timeout=40)
        wait_for(lambda: bool(pool.pids()) and pool.slots[0].current is not None, timeout=40)
        os.kill(pool.pids()[0], signal.SIGKILL)
    wait_for(lambda: job_row(engine, job_id).status == "completed", timeout=60)
    result = snapshot(engine, job_id)
    result["redeliveries"] = job_row(engine, job_id).redeliveries
    return result


def test_sigkill_mid_import_at_several_points_matches_a_run_without_faults(
    app: TaskApp, broker_settings: Settings, task_config: TaskConfig, clean_db: Engine
) -> None:
    with running_pool(broker_settings, task_config, workers=1) as pool:
        reference = run_import(app, clean_db, (), pool)
        reset(clean_db)
        started = time.monotonic()
        faulty = run_import(app, clean_db, (5, 25, 45), pool)
        elapsed = time.monotonic() - started
    assert reference["redeliveries"] == 0 and faulty["redeliveries"] == 3
    assert faulty["job"] == reference["job"] == ("completed", ROWS, 48, 12, ROWS)
    assert faulty["emails"] == reference["emails"] and len(set(faulty["emails"])) == 48
    assert faulty["errors"] == reference["errors"]
    assert elapsed < 60


def import_snapshot(engine: Engine, job_id: str) -> dict[str, Any]:
    with engine.connect() as conn:
        job = conn.execute(
            text(
                "SELECT status, processed_rows, inserted, updated, rejected, warnings FROM contact_import_jobs "
                "WHERE id = :j"
            ),
            {"j": job_id},
        ).one()
        contacts = conn.execute(
            text(
                "SELECT email, first_name, last_name, title, phone, mobile_phone, city, country, custom_fields::text "
                "FROM contacts ORDER BY email"
            )
        ).all()
        companies = conn.execute(text("SELECT name, domain FROM companies ORDER BY name, domain")).all()
        errors = conn.execute(
            text(
                "SELECT row_number, severity, field, code FROM contact_import_errors WHERE job_id = :j "
                "ORDER BY row_number, field, code"
            ),
            {"j": job_id},
        ).all()
    return {
        "job": tuple(job),
        "contacts": [tuple(c) for c in contacts],
        "companies": [tuple(c) for c in companies],
        "errors": [tuple(e) for e in errors],
    }


@pytest.mark.parametrize("broker", ["postgres"])
def test_sigkill_mid_real_import_matches_a_run_without_faults(
    app: TaskApp, broker_settings: Settings, task_config: TaskConfig, clean_db: Engine, tmp_path: Any
) -> None:
    import dataclasses

    from bench.generate_contacts import generate
    from contact360_desktop.services.imports import ImportRequest, create_import_job
    from contact360_desktop.storage.db import session_scope

    csv_path = tmp_path / "contacts.csv"
    generate(csv_path, 6000, seed=11)
    config = dataclasses.replace(
        task_config,
        import_task="contact360_desktop.tasks.import_tasks.process_contacts_import",
        import_batch_rows=200,
    )

    real_app = TaskApp(broker_settings, config)

    def one_run(kill_at: tuple[int, ...], pool: Any) -> dict[str, Any]:
        with session_scope(clean_db) as session:
            job_id = str(create_import_job(session, ImportRequest(path=csv_path, user="tester")).id)
        enqueue_job(real_app, clean_db, "import", job_id)
        for rows in kill_at:
            wait_for(lambda r=rows: job_row(clean_db, job_id).processed_rows >= r, timeout=60, interval=0.02)
            os.kill(pool.pids()[0], signal.SIGKILL)
        wait_for(lambda: job_row(clean_db, job_id).status in ("completed", "failed"), timeout=90)
        result = import_snapshot(clean_db, job_id)
        result["redeliveries"] = job_row(clean_db, job_id).redeliveries
        return result

    with running_pool(broker_settings, config, workers=1) as pool:
        reference = one_run((), pool)
        with clean_db.begin() as conn:
            conn.execute(
                text("TRUNCATE contacts, companies, contact_import_errors, contact_import_jobs CASCADE")
            )
        faulty = one_run((1000, 3000), pool)
    real_app.close()
    assert reference["job"][0] == "completed" and reference["redeliveries"] == 0
    assert faulty["redeliveries"] == 2
    for key in ("job", "contacts", "companies", "errors"):
        assert faulty[key] == reference[key], key
