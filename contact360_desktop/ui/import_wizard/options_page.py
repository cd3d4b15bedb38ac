"""Page 4: import mode, dry run, default phone region."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QLocale
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWizardPage,
)

from contact360_desktop.core.fields import MODE_INSERT, MODE_UPDATE, MODE_UPSERT
from contact360_desktop.ui.import_wizard.state import ImportOptions

if TYPE_CHECKING:
    from contact360_desktop.ui.import_wizard.wizard import ImportWizard

MODES: tuple[tuple[str, str, str], ...] = (
    (MODE_UPSERT, "&Add new contacts and update existing ones", "Rows whose email is already known update that contact; the others are added."),
    (MODE_INSERT, "Add &new contacts only", "Rows whose email is already known are rejected as duplicates; nothing is updated."),
    (MODE_UPDATE, "&Update existing contacts only", "Rows whose email is not known yet are rejected; nothing is added."),
)


def phone_regions() -> list[tuple[str, str]]:
    """(region code, "Name (CODE)") for every region the phone number library knows, by name."""
    import phonenumbers

    out = []
    for code in phonenumbers.SUPPORTED_REGIONS:
        territory = QLocale.codeToTerritory(code)
        name = QLocale.territoryToString(territory) if territory != QLocale.Country.AnyTerritory else code
        out.append((code, f"{name} ({code})"))
    return sorted(out, key=lambda item: item[1].casefold())


class OptionsPage(QWizardPage):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setTitle("Options")
        self.setSubTitle("How the rows are applied to the contacts you already have.")

        mode_box = QGroupBox("Mode", self)
        mode_layout = QVBoxLayout(mode_box)
        self.mode_group = QButtonGroup(self)
        self.mode_buttons: dict[str, QRadioButton] = {}
        for i, (mode, label, tip) in enumerate(MODES):
            button = QRadioButton(label, mode_box)
            button.setToolTip(tip)
            self.mode_group.addButton(button, i)
            self.mode_buttons[mode] = button
            mode_layout.addWidget(button)
            hint = QLabel(tip, mode_box)
            hint.setWordWrap(True)
            hint.setIndent(24)
            hint.setEnabled(False)
            mode_layout.addWidget(hint)
        self.mode_buttons[MODE_UPSERT].setChecked(True)

        self.dry_run = QCheckBox("&Dry run: check every row and record the problems, but write no contacts", self)
        self.dry_run.setToolTip("The job validates the whole file and lists rejected rows in the error browser; the database's contacts are not changed")

        self.region = QComboBox(self)
        self.region.setEditable(False)
        for code, label in phone_regions():
            self.region.addItem(label, code)
        self.region.setToolTip(
            "Phone numbers written without a country code (e.g. 020 7946 0018) are read as numbers of this country.\n"
            "Numbers that cannot be read are dropped with a warning; the row is still imported."
        )
        form = QFormLayout()
        region_label = QLabel("Default phone &region:", self)
        region_label.setBuddy(self.region)
        form.addRow(region_label, self.region)

        layout = QVBoxLayout(self)
        layout.addWidget(mode_box)
        layout.addWidget(self.dry_run)
        layout.addLayout(form)
        layout.addStretch(1)

    def wizard(self) -> ImportWizard:  # type: ignore[override]
        return super().wizard()  # type: ignore[return-value]

    def set_options(self, options: ImportOptions) -> None:
        self.mode_buttons.get(options.mode, self.mode_buttons[MODE_UPSERT]).setChecked(True)
        self.dry_run.setChecked(options.dry_run)
        i = self.region.findData(options.phone_region.upper())
        if i >= 0:
            self.region.setCurrentIndex(i)

    def options(self) -> ImportOptions:
        mode = next((m for m, b in self.mode_buttons.items() if b.isChecked()), MODE_UPSERT)
        return ImportOptions(mode=mode, dry_run=self.dry_run.isChecked(), phone_region=str(self.region.currentData() or "US"))

    def initializePage(self) -> None:
        self.set_options(self.wizard().import_options)

    def validatePage(self) -> bool:
        self.wizard().import_options = self.options()
        return True

    def cleanupPage(self) -> None:
        # Going back keeps what was chosen here (QWizard would otherwise forget it).
        self.wizard().import_options = self.options()
