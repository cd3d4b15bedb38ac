"""ContactsModel: the Contacts tab's lazy table (keyset pages of ``contacts`` joined to companies)."""

from __future__ import annotations

from contact360_desktop.ui.models.lazy_table import IdRole, LazyTableModel, RawValueRole

__all__ = ["ContactsModel", "IdRole", "RawValueRole"]


class ContactsModel(LazyTableModel):
    kind = "contacts"
    noun = "contact"
    noun_plural = "contacts"
