"""The Contacts tab."""

from __future__ import annotations

from contact360_desktop.ui.models.contacts_model import ContactsModel
from contact360_desktop.ui.views.table_tab import TableTab


class ContactsTab(TableTab):
    model_class = ContactsModel
    search_placeholder = "Search contacts by name, email or company…  (Ctrl+F)"
    search_tooltip = (
        "Shows contacts whose name, company or email address before the @ contains this text,\n"
        "or whose email domain starts with it (\"acme\" finds @acme.com; \"@acme\" only the domain).\n"
        "Case-insensitive."
    )

    def column_widths(self) -> list[int]:
        # name, email, company, title, phone, city, country, added
        return [170, 240, 180, 160, 130, 120, 110, 130]
