"""The import wizard: file → preview → mapping → options → validate → start.

The wizard only builds an ``ImportRequest`` (like Anki's import dialog); the job runs in a
worker. Pages share plain data held here (``file_info``, ``mapping``, ``options``,
``template_name``); each page overrides only the QWizardPage hooks it needs.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import QWidget, QWizard

from contact360_desktop.core.mapping import ColumnMapping
from contact360_desktop.ui.import_wizard.file_page import FilePage
from contact360_desktop.ui.import_wizard.mapping_page import MappingPage
from contact360_desktop.ui.import_wizard.options_page import OptionsPage
from contact360_desktop.ui.import_wizard.preview_page import PreviewPage
from contact360_desktop.ui.import_wizard.start_page import StartPage
from contact360_desktop.ui.import_wizard.state import FileInfo, ImportOptions
from contact360_desktop.ui.import_wizard.validate_page import ValidatePage

__all__ = ["ImportWizard"]

GEOMETRY_KEY = "import_wizard/geometry"


class ImportWizard(QWizard):
    """``prefill``: ``{"mapping": ColumnMapping JSON, "options": job options, "path": str}`` of an earlier job."""

    #: The job was created and queued (its id); the jobs dock selects it.
    job_started = Signal(str)

    PAGE_FILE, PAGE_PREVIEW, PAGE_MAPPING, PAGE_OPTIONS, PAGE_VALIDATE, PAGE_START = range(6)

    def __init__(
        self,
        context: Any,
        parent: QWidget | None = None,
        path: str | None = None,
        prefill: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.prefill = dict(prefill or {})
        self.file_info: FileInfo | None = None
        self.mapping: ColumnMapping | None = None
        self.template_name: str | None = None
        prefill_options = dict(self.prefill.get("options") or {})
        self.import_options = ImportOptions(
            mode=str(prefill_options.get("mode") or "upsert"),
            dry_run=bool(prefill_options.get("dry_run", False)),
            phone_region=str(prefill_options.get("phone_region") or getattr(context.settings, "phone_region", "US")),
        )

        self.setWindowTitle("Import contacts")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setOption(QWizard.WizardOption.HaveHelpButton, False)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, False)
        self.setMinimumSize(820, 600)

        self.file_page = FilePage(self)
        self.preview_page = PreviewPage(self)
        self.mapping_page = MappingPage(self)
        self.options_page = OptionsPage(self)
        self.validate_page = ValidatePage(self)
        self.start_page = StartPage(self)
        for page_id, page in enumerate(
            (self.file_page, self.preview_page, self.mapping_page, self.options_page, self.validate_page, self.start_page)
        ):
            self.setPage(page_id, page)
        self.setStartId(self.PAGE_FILE)
        self.file_page.file_loaded.connect(self._file_loaded)

        geometry = QSettings().value(GEOMETRY_KEY)
        if geometry is not None:
            self.restoreGeometry(geometry)  # type: ignore[arg-type]

        self.file_page.set_overrides(prefill_options.get("encoding"), prefill_options.get("delimiter"))
        start_path = path or self.prefill.get("path")
        if start_path:
            self.file_page.set_path(str(start_path))

    # -- shared state ------------------------------------------------------------------------------------
    def _file_loaded(self, info: FileInfo | None) -> None:
        if info is None or self.file_info is None or info.header != self.file_info.header:
            self.mapping = None
            self.template_name = None
        self.file_info = info

    def encoding(self) -> str:
        return self.file_page.encoding_override() or (self.file_info.encoding if self.file_info else "utf-8")

    def delimiter(self) -> str:
        return self.file_page.delimiter_override() or (self.file_info.delimiter if self.file_info else ",")

    def prefill_mapping(self) -> ColumnMapping | None:
        data = self.prefill.get("mapping")
        return ColumnMapping.from_json(data) if data else None

    def prefill_template(self) -> str | None:
        name = (self.prefill.get("options") or {}).get("template")
        return str(name) if name else None

    def validation_key(self) -> tuple[Any, ...]:
        """What the validate page's result depends on."""
        info = self.file_info
        return (info.path if info else None, self.encoding(), self.delimiter(), self.mapping, self.import_options.phone_region)

    @property
    def job_id(self) -> str | None:
        return self.start_page.job_id

    # -- closing ---------------------------------------------------------------------------------------------
    def done(self, result: int) -> None:
        self.validate_page.cancel()
        self.start_page.cleanupPage()
        QSettings().setValue(GEOMETRY_KEY, self.saveGeometry())
        super().done(result)

    def keyPressEvent(self, event: Any) -> None:
        # Enter in the mapping table's dropdowns must not press Next by accident.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentId() == self.PAGE_MAPPING:
            focus = self.focusWidget()
            if focus is not None and focus.inherits("QComboBox"):
                return
        super().keyPressEvent(event)
