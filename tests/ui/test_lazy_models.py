"""The Contacts/Companies models page from PostgreSQL lazily, sort by keyset, search, select by filter."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from sqlalchemy import Engine, text

from contact360_desktop.services import browse
from contact360_desktop.ui.models.companies_model import CompaniesModel
from contact360_desktop.ui.models.contacts_model import ContactsModel
from contact360_desktop.ui.views.contacts_tab import ContactsTab
from tests.ui.helpers import insert_contacts


def wait_loaded(qtbot: Any, model: Any) -> None:
    qtbot.waitUntil(lambda: not model.loading and model.first_page_seconds is not None, timeout=10_000)


def fetch_all(qtbot: Any, model: Any) -> None:
    while model.canFetchMore():
        before = model.rowCount()
        with qtbot.waitSignal(model.page_loaded, timeout=10_000):
            model.fetchMore()
        assert model.rowCount() > before or model.exhausted


def test_fetches_pages_and_never_loads_everything(qtbot: Any, app_context: Any, ui_engine: Engine) -> None:
    insert_contacts(ui_engine, 3000, companies=20)
    model = ContactsModel(app_context, page_size=500)
    wait_loaded(qtbot, model)
    assert model.rowCount() == 500
    assert model.canFetchMore()
    with qtbot.waitSignal(model.page_loaded, timeout=10_000):
        model.fetchMore()
    assert model.rowCount() == 1000
    assert model.pages_fetched == 2
    # The first page is in insertion order (created_at, id) and carries the joined company.
    assert model.data(model.index(0, 1)) == "person0000000@example.com"
    assert model.data(model.index(0, 2)).startswith("Company ")
    qtbot.waitUntil(lambda: model.count is not None)
    assert model.count == browse.RowCount(3000, True)
    fetch_all(qtbot, model)
    assert model.rowCount() == 3000 and not model.canFetchMore()


def test_sorting_walks_every_row_once_in_order(qtbot: Any, app_context: Any, ui_engine: Engine) -> None:
    # Nullable sort keys (names) across page boundaries: every row exactly once, in SQL's order.
    insert_contacts(ui_engine, 230, null_names_every=7)
    model = ContactsModel(app_context, page_size=17)
    wait_loaded(qtbot, model)
    name_col = next(i for i, c in enumerate(model.columns) if c.key == "name")
    email_col = next(i for i, c in enumerate(model.columns) if c.key == "email")
    for column, order, sql in (
        (name_col, Qt.SortOrder.AscendingOrder, "lower(last_name), lower(first_name), id"),
        (name_col, Qt.SortOrder.DescendingOrder, "lower(last_name) DESC, lower(first_name) DESC, id DESC"),
        (email_col, Qt.SortOrder.DescendingOrder, "lower(email) DESC, id DESC"),
    ):
        model.sort(column, order)
        wait_loaded(qtbot, model)
        fetch_all(qtbot, model)
        with ui_engine.connect() as conn:
            expected = [r for (r,) in conn.execute(text(f"SELECT id FROM contacts ORDER BY {sql}"))]
        got = [model.row_id(r) for r in range(model.rowCount())]
        assert got == expected, f"order of column {column} {order}"


def test_search_is_debounced_and_matches_name_email_and_company(
    qtbot: Any, app_context: Any, ui_engine: Engine
) -> None:
    insert_contacts(ui_engine, 600, companies=3)
    tab = ContactsTab(app_context)
    qtbot.addWidget(tab)
    wait_loaded(qtbot, tab.model)
    resets = []
    tab.model.modelReset.connect(lambda: resets.append(1))
    for ch in "person000012":  # typed quickly: one query, not twelve
        qtbot.keyClicks(tab.search, ch)
    with qtbot.waitSignal(tab.model.first_page_loaded, timeout=5000):
        pass
    assert len(resets) == 1
    emails = {tab.model.data(tab.model.index(r, 1)) for r in range(tab.model.rowCount())}
    assert emails == {f"person{i:07d}@example.com" for i in range(120, 130)}
    # Company name and full name match too.
    tab.search.setText("company 0002")
    with qtbot.waitSignal(tab.model.first_page_loaded, timeout=5000):
        pass
    qtbot.waitUntil(lambda: tab.model.count is not None)
    assert tab.model.count.value == 200
    tab.search.setText("first05 last05")
    with qtbot.waitSignal(tab.model.first_page_loaded, timeout=5000):
        pass
    assert tab.model.rowCount() > 0
    assert all(tab.model.data(tab.model.index(r, 0)) == "First05 Last05" for r in range(tab.model.rowCount()))
    # No match: an empty state that says so.
    tab.search.setText("nobody-like-this")
    with qtbot.waitSignal(tab.model.first_page_loaded, timeout=5000):
        pass
    assert tab.model.rowCount() == 0
    assert "No contacts match" in tab.empty_label.text()


def test_select_all_matching_gives_a_filter_not_ids(qtbot: Any, app_context: Any, ui_engine: Engine) -> None:
    insert_contacts(ui_engine, 1200)
    tab = ContactsTab(app_context)
    tab.model.page_size = 500
    qtbot.addWidget(tab)
    wait_loaded(qtbot, tab.model)
    assert tab.current_selection() == {"filter": {}}  # nothing selected: everything matching
    tab.view.selectRow(3)
    assert tab.current_selection() == {"ids": [tab.model.row_id(3)]}
    tab.search.setText("person00001")
    with qtbot.waitSignal(tab.model.first_page_loaded, timeout=5000):
        pass
    tab.select_all_button.click()
    assert tab.all_matching
    assert tab.current_selection() == {"filter": {"search": "person00001"}}
    qtbot.waitUntil(lambda: tab.model.count is not None)
    assert "all 100 matching selected" in tab.status_text()
    # Clicking one row ends "all matching".
    tab.view.selectRow(0)
    assert not tab.all_matching
    assert "ids" in tab.current_selection()


def test_select_all_matching_also_selects_rows_fetched_later(
    qtbot: Any, app_context: Any, ui_engine: Engine
) -> None:
    insert_contacts(ui_engine, 900)
    tab = ContactsTab(app_context)
    qtbot.addWidget(tab)
    wait_loaded(qtbot, tab.model)
    first_page = tab.model.rowCount()
    assert 0 < first_page < 900
    tab.select_all_button.click()
    with qtbot.waitSignal(tab.model.page_loaded, timeout=5000):
        tab.model.fetchMore()
    assert tab.model.rowCount() > first_page
    assert len(tab.view.selectionModel().selectedRows()) == tab.model.rowCount()
    assert tab.all_matching


def test_empty_database_shows_what_to_do(qtbot: Any, app_context: Any) -> None:
    tab = ContactsTab(app_context)
    qtbot.addWidget(tab)
    wait_loaded(qtbot, tab.model)
    assert tab.stack.currentWidget() is tab.empty
    assert tab.empty_label.text() == "No contacts yet — Import a CSV (Ctrl+I)"
    with qtbot.waitSignal(tab.import_requested):
        tab.empty_button.click()


def test_companies_model_counts_contacts(qtbot: Any, app_context: Any, ui_engine: Engine) -> None:
    insert_contacts(ui_engine, 50, companies=5)
    model = CompaniesModel(app_context)
    wait_loaded(qtbot, model)
    assert model.rowCount() == 5
    contacts_col = next(i for i, c in enumerate(model.columns) if c.key == "contacts")
    assert [model.data(model.index(r, contacts_col)) for r in range(5)] == ["10"] * 5
    model.sort(0, Qt.SortOrder.DescendingOrder)
    wait_loaded(qtbot, model)
    assert model.data(model.index(0, 0)) == "Company 0004"
    assert model.headerData(contacts_col, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole).endswith(
        "(not sortable)"
    )


def test_count_uses_the_estimate_for_big_unfiltered_tables(ui_engine: Engine, monkeypatch: Any) -> None:
    insert_contacts(ui_engine, 300)
    monkeypatch.setattr(browse, "EXACT_COUNT_LIMIT", 100)
    with ui_engine.connect() as conn:
        estimate = browse.count_rows(conn, "contacts")
        exact = browse.count_rows(conn, "contacts", {"search": "person"})
    assert not estimate.exact and estimate.value == 300  # reltuples after ANALYZE
    assert exact == browse.RowCount(300, True)
