"""Every csv-spectrum acid-test file reads exactly as its JSON says (issue 3, "Reading")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from contact360_desktop.core.reader import open_csv

SPECTRUM = Path(__file__).resolve().parents[3] / "shared" / "data" / "csv-spectrum"
NAMES = sorted(p.stem for p in (SPECTRUM / "csvs").glob("*.csv"))


def read_as_dicts(path: Path) -> list[dict[str, str]]:
    # The spectrum headers ("a,b,c") name no contact field: take the first row as the header.
    with open_csv(path, header_row=1) as f:
        return [dict(zip(f.header, r.values, strict=True)) for r in f.records()]


def expected(name: str) -> list[dict[str, str]]:
    data = json.loads((SPECTRUM / "json" / f"{name}.json").read_text(encoding="utf-8"))
    return data if isinstance(data, list) else [data]  # location_coordinates.json is one object


def test_the_spectrum_is_there() -> None:
    assert len(NAMES) == 12


@pytest.mark.parametrize("name", [n for n in NAMES if n != "location_coordinates"])
def test_spectrum_file_reads_as_its_json(name: str, tmp_path: Path) -> None:
    path = SPECTRUM / "csvs" / f"{name}.csv"
    want = expected(name)
    if name.endswith("_crlf") and b"\r" not in path.read_bytes():
        # This copy of the *_crlf files lost its CRs (a git autocrlf checkout upstream),
        # while the JSON still expects "\r\n" inside quoted values. Read the file as
        # published -- with CRLF line endings -- so the JSON holds exactly.
        crlf = tmp_path / f"{name}.csv"
        crlf.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
        assert read_as_dicts(crlf) == want
        # And the file as shipped reads the same, with the newlines it actually has.
        as_shipped = [{k: v.replace("\r\n", "\n") for k, v in row.items()} for row in want]
        assert read_as_dicts(path) == as_shipped
    else:
        assert read_as_dicts(path) == want


def test_location_coordinates_reads_as_its_json_except_the_upstream_typo() -> None:
    # Upstream's JSON has "1234567890" for the phone the CSV spells "2095257564", and is an
    # object, not a list (max-mapper/csv-spectrum issues #20 and #22, open). Every other
    # value, including the U+FFFD characters, matches.
    rows = read_as_dicts(SPECTRUM / "csvs" / "location_coordinates.csv")
    want = expected("location_coordinates")
    assert len(rows) == 1
    assert rows[0]["Contact Phone Number"] == "2095257564"
    assert want[0]["Contact Phone Number"] == "1234567890"
    del rows[0]["Contact Phone Number"], want[0]["Contact Phone Number"]
    assert rows == want


@pytest.mark.parametrize("name", NAMES)
def test_spectrum_files_also_read_with_automatic_header_detection(name: str) -> None:
    # Nothing there names two contact fields, so the first row of the table is the header.
    with open_csv(SPECTRUM / "csvs" / f"{name}.csv") as f:
        assert f.header_line == 1
        assert f.preamble == []
        assert f.format.delimiter == ","
