"""Test data and helpers for the import wizard, export dialog, error browser and end-to-end UI tests.

The fixtures (``app_context``, ``make_context``, ``artifacts``) are in tests/ui/conftest.py.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QWidget

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

#: A HubSpot-style contacts export with bad rows (row numbers 1-based, header excluded).
HUBSPOT_HEADER = [
    "Record ID",
    "First Name",
    "Last Name",
    "Email",
    "Phone Number",
    "Company Name",
    "Job Title",
    "City",
    "Country/Region",
    "Lifecycle Stage",
]
HUBSPOT_ROWS = [
    ["101", "Ada", "Lovelace", "ada@example.com", "+44 20 7946 0018", "Analytical Engines", "Engineer", "London", "United Kingdom", "customer"],
    ["102", "Grace", "Hopper", "grace@example.com", "(202) 555-0143", "Navy", "Rear Admiral", "Arlington", "United States", "lead"],
    ["103", "No", "Email", "", "555-0100", "Nowhere", "", "", "", "lead"],  # row 3: rejected (no email)
    ["104", "Bad", "Address", "not-an-email", "", "Acme", "", "", "", "lead"],  # row 4: rejected (invalid email)
    ["105", "Alan", "Turing", "alan@example.com", "not a phone", "Bletchley", "Cryptanalyst", "", "", "lead"],  # row 5: warning
    ["106", "Edsger", "Dijkstra", "EDSGER@Example.com", "", "TU Eindhoven", "Professor", "Eindhoven", "Netherlands", "customer"],
    ["107", "Long", "Name", "long@example.com", "", "X" * 300, "", "", "", "lead"],  # row 7: rejected (too long)
    ["108", "Barbara", "Liskov", "barbara@example.com", "", "MIT", "Professor", "Cambridge", "United States", "customer"],
]
REJECTED_ROWS = {3, 4, 7}
WARNED_ROWS = {5}


def write_csv(path: Path, header: list[str], rows: list[list[str]], **kwargs: Any) -> Path:
    with path.open("w", newline="", encoding=kwargs.pop("encoding", "utf-8")) as fh:
        writer = csv.writer(fh, **kwargs)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def hubspot_file(folder: Path, name: str = "hubspot-contacts.csv") -> Path:
    return write_csv(folder / name, HUBSPOT_HEADER, HUBSPOT_ROWS)


def grab(widget: QWidget, name: str) -> Path:
    """Render a widget to test-artifacts/<name>.png (so a person can look at it)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    assert widget.grab().save(str(path)), f"could not save {path}"
    return path
