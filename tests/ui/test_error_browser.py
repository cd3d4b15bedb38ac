"""The error browser on a job with many errors: lazy keyset pages, filters, debounced search."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from contact360_desktop.services.error_queries import ErrorFilter, count_errors, error_fields, error_page
from contact360_desktop.ui.error_browser import SEARCH_DEBOUNCE_MS, ErrorBrowser
from contact360_desktop.ui.import_wizard import ImportWizard
from tests.ui.wizard_support import grab

FILL = """
INSERT INTO contact_import_errors (job_id, row_number, line_number, severity, field, code, message, raw)
SELECT :job, g, g + 1,
       CASE WHEN g % 4 = 0 THEN 'warning' ELSE 'error' END,
       (ARRAY['email', 'phone', 'linkedin_url', NULL])[1 + g % 4],
       'code_' || (g % 4),
       'Problem number ' || g || CASE WHEN g % 1000 = 7 THEN ' needle' ELSE '' END,
       jsonb_build_object('Email', 'user' || g || '@example', 'Name', 'Person ' || g)
FROM generate_series(1, :n) AS g
"""

MAPPING = {"version": 1, "columns": [{"source": "Name", "target": "first_name"}, {"source": "Email", "target": "email"}]}


def make_job(engine: Engine, n: int) -> str:
    job_id = str(uuid.uuid4())
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO contact_import_jobs (id, user_id, file_name, file_path, file_size, status, rejected,"
                " warnings, processed_rows, options) VALUES (:id, 'tester', 'people.csv', '/tmp/people.csv', 10,"
                " 'completed', :r, :w, :n, CAST(:o AS jsonb))"
            ),
            {
                "id": job_id,
                "r": n - n // 4,
                "w": n // 4,
                "n": n,
                "o": '{"mode": "insert", "dry_run": false, "phone_region": "FR", "encoding": "utf-8",'
                ' "delimiter": ";", "template": null, "mapping": '
                + __import__("json").dumps(MAPPING)
                + "}",
            },
        )
        conn.execute(text(FILL), {"job": job_id, "n": n})
        conn.execute(text("ANALYZE contact_import_errors"))
    return job_id


@pytest.fixture()
def big_job(ui_engine: Engine) -> str:
    return make_job(ui_engine, 200_000)


def test_service_keyset_pages(ui_engine: Engine, big_job: str) -> None:
    with Session(ui_engine) as session:
        first = error_page(session, big_job, limit=200)
        assert [e.row_number for e in first] == list(range(1, 201))
        second = error_page(session, big_job, after=first[-1].key, limit=200)
        assert second[0].row_number == 201
        warnings = error_page(session, big_job, ErrorFilter(severity="warning"), limit=10)
        assert [e.row_number for e in warnings] == [4, 8, 12, 16, 20, 24, 28, 32, 36, 40]
        phone = error_page(session, big_job, ErrorFilter(field="phone"), limit=3)
        assert [e.row_number for e in phone] == [1, 5, 9]
        needle = error_page(session, big_job, ErrorFilter(search="NEEDLE"), limit=3)
        assert [e.row_number for e in needle] == [7, 1007, 2007]
        raw_hit = error_page(session, big_job, ErrorFilter(search="user1234@"), limit=3)
        assert [e.row_number for e in raw_hit] == [1234]
        assert error_page(session, big_job, ErrorFilter(search="100%_"), limit=3) == []  # LIKE chars are literal
        assert count_errors(session, big_job) == 200_000
        assert count_errors(session, big_job, ErrorFilter(severity="error")) == 150_000
        assert error_fields(session, big_job) == ["email", "linkedin_url", "phone"]


def test_browser_pages_lazily_and_filters(qtbot: Any, app_context: Any, big_job: str) -> None:
    started = time.perf_counter()
    browser = ErrorBrowser(app_context, big_job)
    qtbot.addWidget(browser)
    with qtbot.waitSignal(browser.first_page_loaded, timeout=5000) as first:
        browser.show()
    elapsed = time.perf_counter() - started
    assert first.args == [200]
    assert elapsed < 1.0, f"first page took {elapsed:.2f} s"
    model = browser.model
    assert model.rowCount() == 200 and model.has_more
    qtbot.waitUntil(lambda: "200,000 row errors" in browser.count_label.text(), timeout=10000)
    qtbot.waitUntil(lambda: browser.field.count() == 4, timeout=10000)
    assert "people.csv" in browser.windowTitle()
    # Raw values in the file's column order (from the job's mapping), not JSONB's.
    assert model.index(0, 5).data().startswith("Name=Person 1; Email=")
    assert "Person 1" in browser.details.toPlainText()  # first row selected, details shown
    grab(browser, "error-browser-200k")

    # Scrolling to the end asks for the next keyset page, and only that.
    browser.table.scrollToBottom()
    qtbot.waitUntil(lambda: model.rowCount() == 400, timeout=5000)
    browser.table.scrollToBottom()
    qtbot.waitUntil(lambda: model.rowCount() == 600, timeout=5000)
    assert [model.error_at(i).row_number for i in (0, 199, 200, 599)] == [1, 200, 201, 600]

    # Filters restart from the first page.
    with qtbot.waitSignal(browser.first_page_loaded, timeout=5000):
        browser.severity.setCurrentIndex(browser.severity.findData("warning"))
    assert {model.error_at(i).severity for i in range(model.rowCount())} == {"warning"}
    qtbot.waitUntil(lambda: "50,000 row errors match" in browser.count_label.text(), timeout=10000)
    with qtbot.waitSignal(browser.first_page_loaded, timeout=5000):
        browser.severity.setCurrentIndex(0)
    with qtbot.waitSignal(browser.first_page_loaded, timeout=5000):
        browser.field.setCurrentIndex(browser.field.findData("phone"))
    assert {model.error_at(i).field for i in range(model.rowCount())} == {"phone"}
    with qtbot.waitSignal(browser.first_page_loaded, timeout=5000):
        browser.field.setCurrentIndex(0)

    # Typing is debounced: one query for the whole word.
    loads: list[int] = []
    browser.first_page_loaded.connect(loads.append)
    with qtbot.waitSignal(browser.first_page_loaded, timeout=5000 + SEARCH_DEBOUNCE_MS):
        qtbot.keyClicks(browser.search, "needle")
    assert len(loads) == 1
    assert [model.error_at(i).row_number for i in range(3)] == [7, 1007, 2007]
    assert browser.current_filter.search == "needle"

    with qtbot.waitSignal(browser.first_page_loaded, timeout=5000) as none:
        browser.set_filter(search="nothing matches this")
    assert none.args == [0]
    assert browser.empty.isVisible() and "No row errors match" in browser.empty.text()
    grab(browser, "error-browser-no-match")


def test_browser_empty_job_and_reimport_prefill(qtbot: Any, app_context: Any, ui_engine: Engine, tmp_path: Path) -> None:
    job_id = make_job(ui_engine, 0)
    browser = ErrorBrowser(app_context, job_id)
    qtbot.addWidget(browser)
    with qtbot.waitSignal(browser.first_page_loaded, timeout=5000) as first:
        browser.show()
    assert first.args == [0]
    assert "This import has no row errors" in browser.empty.text()
    qtbot.waitUntil(browser.reimport_button.isEnabled, timeout=5000)
    prefill = browser.reimport_prefill()
    assert prefill["path"] == "/tmp/people.csv"
    assert prefill["mapping"] == MAPPING
    assert prefill["options"]["mode"] == "insert" and prefill["options"]["phone_region"] == "FR"
    assert prefill["options"]["delimiter"] == ";"  # the original file's format, for the original file


def test_browser_reports_a_missing_job(qtbot: Any, app_context: Any) -> None:
    browser = ErrorBrowser(app_context, str(uuid.uuid4()))
    qtbot.addWidget(browser)
    with qtbot.waitSignal(browser.load_failed, timeout=5000) as failed:
        browser.show()
    assert "does not exist" in failed.args[0]
    assert not browser.reimport_button.isEnabled()


def test_reimport_of_an_error_csv_does_not_force_the_original_format(
    qtbot: Any, app_context: Any, ui_engine: Engine, tmp_path: Path
) -> None:
    job_id = make_job(ui_engine, 3)
    browser = ErrorBrowser(app_context, job_id)
    qtbot.addWidget(browser)
    browser.show()
    qtbot.waitUntil(browser.reimport_button.isEnabled, timeout=5000)
    out = tmp_path / "errors.csv"
    with qtbot.waitSignal(browser.csv_exported, timeout=10000):
        browser.export_csv(str(out))
    assert out.read_text(encoding="utf-8").splitlines()[0].endswith("row_number,error")
    prefill = browser.reimport_prefill()
    assert prefill["path"] == str(out)
    assert prefill["options"].get("delimiter") is None and prefill["options"].get("encoding") is None
    qtbot.mouseClick(browser.reimport_button, Qt.MouseButton.LeftButton)
    wizard = browser.wizard
    assert isinstance(wizard, ImportWizard)
    qtbot.waitUntil(wizard.file_page.isComplete, timeout=10000)
    assert wizard.file_page.info is not None and wizard.file_page.info.delimiter == ","
    assert wizard.import_options.mode == "insert" and wizard.import_options.phone_region == "FR"
