"""The import wizard (one module per page)."""

from contact360_desktop.ui.import_wizard.wizard import ImportWizard

__all__ = ["ImportWizard"]
