"""The Companies tab."""

from __future__ import annotations

from contact360_desktop.ui.models.companies_model import CompaniesModel
from contact360_desktop.ui.views.table_tab import TableTab


class CompaniesTab(TableTab):
    model_class = CompaniesModel
    search_placeholder = "Search companies by name or domain…  (Ctrl+F)"
    search_tooltip = "Shows companies whose name or domain contains this text (case-insensitive)."

    def column_widths(self) -> list[int]:
        # name, domain, industry, employees, city, country, contacts, added
        return [200, 180, 150, 90, 120, 110, 80, 130]
