"""The export dialog: selection and filter counts, columns, format options, local and S3 destinations."""

from __future__ import annotations

import csv
import uuid
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from contact360_desktop.core.fields import CONTACT_FIELDS
from contact360_desktop.services.exports import run_export
from contact360_desktop.storage.models import Contact
from contact360_desktop.ui.export_dialog import ExportDialog
from tests.s3_fixtures import (  # noqa: F401  (fixtures, registered by name)
    s3_bucket,
    s3_client,
    s3_credentials,
    s3_endpoint,
    s3_settings,
)
from tests.ui.helpers import insert_contacts
from tests.ui.wizard_support import grab


def open_dialog(qtbot: Any, context: Any, kind: str, selection: dict[str, Any]) -> ExportDialog:
    dialog = ExportDialog(context, kind, selection)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.count_loaded, timeout=10000):
        dialog.show()
    return dialog


def run_queued_export(qtbot: Any, dialog: ExportDialog, engine: Engine, settings: Any) -> str:
    """Export, then carry the queued export out as the worker's task does (the service, in this process)."""
    with qtbot.waitSignal(dialog.export_started, timeout=10000) as started:
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    export_id = str(started.args[0])
    with qtbot.waitSignal(dialog.export_finished, timeout=30000) as finished:
        assert run_export(engine, export_id, settings) == "completed"
    assert finished.args[0] == "completed", finished.args
    return export_id


def test_selected_contacts_to_a_local_file(qtbot: Any, app_context: Any, ui_engine: Engine, tmp_path: Path) -> None:
    insert_contacts(ui_engine, 30, companies=3)
    with Session(ui_engine) as session:
        contacts = list(session.scalars(select(Contact).order_by(Contact.email)))
    chosen = [contacts[i] for i in (7, 2, 19, 11, 4)]
    dialog = open_dialog(qtbot, app_context, "contacts", {"ids": [str(c.id) for c in chosen]})
    assert dialog.count == 5
    assert "<b>5</b> selected contacts" in dialog.selection_label.text()
    assert not dialog.kind_combo.isEnabled()  # selected rows are contacts
    assert dialog.safe.isChecked() and "formula" in dialog.safe_help.text()
    assert dialog.columns.columns() == list(CONTACT_FIELDS)  # canonical by default

    # Pick columns and re-order them with the buttons.
    dialog.columns.set_columns(["email", "first_name", "last_name", "company_name"])
    dialog.columns.list.setCurrentRow(3)
    qtbot.mouseClick(dialog.columns.up_button, Qt.MouseButton.LeftButton)
    assert dialog.columns.columns() == ["email", "first_name", "company_name", "last_name"]
    dialog.delimiter.setCurrentIndex(dialog.delimiter.findData(";"))
    out = tmp_path / "chosen.csv"
    dialog.path_edit.setText(str(out))
    grab(dialog, "export-dialog-local")

    run_queued_export(qtbot, dialog, ui_engine, app_context.settings)
    assert dialog.open_folder_button.isVisible() and not dialog.copy_link_button.isVisible()
    assert "Export completed" in dialog.state_label.text()
    grab(dialog, "export-dialog-completed")
    with out.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    assert rows[0] == ["email", "first_name", "company_name", "last_name"]
    # Exactly the selected contacts (in the export's own order: oldest first).
    by_email = {c.email: c for c in chosen}
    assert sorted(r[0] for r in rows[1:]) == sorted(by_email)
    assert [r[0] for r in rows[1:]] == [c.email for c in sorted(chosen, key=lambda c: (c.created_at, c.id))]
    assert all(r[3] == by_email[r[0]].last_name for r in rows[1:])
    assert out.read_text(encoding="utf-8").startswith('"email";"first_name"')  # spreadsheet-safe: all quoted

    # The canonical preset puts the standard columns back in the standard order.
    fresh = open_dialog(qtbot, app_context, "contacts", {"ids": [str(chosen[0].id)]})
    fresh.columns.set_columns(["city"])
    qtbot.mouseClick(fresh.columns.canonical_button, Qt.MouseButton.LeftButton)
    assert fresh.columns.columns() == list(CONTACT_FIELDS)


def test_filtered_companies_count_and_export(qtbot: Any, app_context: Any, ui_engine: Engine, tmp_path: Path) -> None:
    insert_contacts(ui_engine, 40, companies=12)
    dialog = open_dialog(qtbot, app_context, "companies", {"filter": {"search": "company000"}})
    assert dialog.count == 10  # Company 0000 .. Company 0009
    assert "matching search “company000”" in dialog.selection_label.text()
    assert dialog.kind_combo.isEnabled()
    dialog.gzip.setChecked(False)
    dialog.bom.setChecked(True)
    out = tmp_path / "companies.csv"
    dialog.path_edit.setText(str(out))
    run_queued_export(qtbot, dialog, ui_engine, app_context.settings)
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(data.decode("utf-8-sig").splitlines()))
    assert rows[0][0] == "name"
    assert sorted(r[0] for r in rows[1:]) == [f"Company {i:04d}" for i in range(10)]

    # Switching the kind of a filter export recounts.
    other = open_dialog(qtbot, app_context, "companies", {"filter": {}})
    assert other.count == 12
    with qtbot.waitSignal(other.count_loaded, timeout=10000):
        other.kind_combo.setCurrentIndex(other.kind_combo.findData("contacts"))
    assert other.count == 40 and "All contacts" in other.selection_label.text()
    assert other.columns.columns() == list(CONTACT_FIELDS)


def test_no_columns_no_export(qtbot: Any, app_context: Any, ui_engine: Engine) -> None:
    dialog = open_dialog(qtbot, app_context, "contacts", {"filter": {}})
    assert dialog.export_button.isEnabled()
    qtbot.mouseClick(dialog.columns.none_button, Qt.MouseButton.LeftButton)
    assert not dialog.export_button.isEnabled()
    qtbot.mouseClick(dialog.columns.all_button, Qt.MouseButton.LeftButton)
    assert dialog.export_button.isEnabled()


def test_s3_test_connection_export_and_copy_link(
    qtbot: Any,
    app_context: Any,
    ui_engine: Engine,
    s3_settings: Any,  # noqa: F811
    s3_endpoint: str,  # noqa: F811
) -> None:
    insert_contacts(ui_engine, 10)
    app_context.settings = s3_settings
    dialog = open_dialog(qtbot, app_context, "contacts", {"filter": {}})
    dialog.s3_radio.setChecked(True)
    assert dialog.bucket_edit.text() == s3_settings.s3_bucket
    assert dialog.key_edit.text().startswith("team/contacts-")

    dialog.bucket_edit.setText(f"missing-{uuid.uuid4().hex[:8]}")
    with qtbot.waitSignal(dialog.connection_tested, timeout=20000) as missing:
        qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    assert missing.args[0] is False and "does not exist" in missing.args[1]
    dialog.bucket_edit.setText(s3_settings.s3_bucket)
    with qtbot.waitSignal(dialog.connection_tested, timeout=20000) as ok:
        qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    assert ok.args[0] is True, ok.args
    assert "Connected" in dialog.test_label.text()
    dialog.key_edit.setText("team/all-contacts.csv")
    grab(dialog, "export-dialog-s3")

    run_queued_export(qtbot, dialog, ui_engine, s3_settings)
    assert dialog.copy_link_button.isVisible() and not dialog.open_folder_button.isVisible()
    body = s3_client(s3_endpoint).get_object(Bucket=s3_settings.s3_bucket, Key="team/all-contacts.csv")["Body"].read()
    assert len(body.decode("utf-8").splitlines()) == 11
    with qtbot.waitSignal(dialog.link_copied, timeout=20000) as copied:
        qtbot.mouseClick(dialog.copy_link_button, Qt.MouseButton.LeftButton)
    url = copied.args[0]
    assert "all-contacts.csv" in url and "Signature" in url
    assert QGuiApplication.clipboard().text() == url
