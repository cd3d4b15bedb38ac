"""CompaniesModel: the Companies tab's lazy table (keyset pages of ``companies`` with contact counts)."""

from __future__ import annotations

from typing import Any

from contact360_desktop.ui.models.lazy_table import IdRole, LazyTableModel, RawValueRole

__all__ = ["CompaniesModel", "IdRole", "RawValueRole"]


class CompaniesModel(LazyTableModel):
    kind = "companies"
    noun = "company"
    noun_plural = "companies"
    numeric_columns = frozenset({"employee_count", "contacts"})

    def display(self, key: str, value: Any) -> str:
        if key == "domain" and value:
            return str(value).lower()
        return super().display(key, value)
