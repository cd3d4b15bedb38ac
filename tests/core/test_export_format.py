"""The export format rules: columns, header, delimiter, the formula-injection rule."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from contact360_desktop.core.export_format import (
    ALL_CUSTOM,
    NUMBER,
    PHONE,
    TEXT,
    UTF8_BOM,
    ExportFormatError,
    FormatOptions,
    check_columns,
    default_file_name,
    header_bytes,
    neutralise,
    parse_column_list,
    parse_delimiter,
    resolve_columns,
)
from contact360_desktop.core.fields import COMPANY_FIELDS, CONTACT_FIELDS


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+2", "'=1+2"),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("\nx", "'\nx"),
        ('=HYPERLINK("http://evil","click")', '\'=HYPERLINK("http://evil","click")'),
        ("Ann", "Ann"),
        ("a=b", "a=b"),
        (" =1", " =1"),  # only the first character counts (OWASP)
        ("'=1", "'=1"),
        ("", ""),
        (None, None),
    ],
)
def test_text_cells_starting_with_a_trigger_get_a_quote(value: str | None, expected: str | None) -> None:
    assert neutralise(value, TEXT) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("+14155550100", "+14155550100"),  # E.164 cannot be a formula: left alone
        ("+44 20 7946 0958", "+44 20 7946 0958"),
        ("+1-415-555-0100", "'+1-415-555-0100"),  # not digits and spaces only
        ("+1+1", "'+1+1"),
        ("+", "'+"),
        ("+1\n", "'+1\n"),
        ("=1+2", "'=1+2"),
        ("-5", "'-5"),
        ("4155550100", "4155550100"),
    ],
)
def test_phone_rule_keeps_plain_international_numbers(value: str, expected: str) -> None:
    assert neutralise(value, PHONE) == expected


def test_numbers_are_never_touched() -> None:
    assert neutralise("-5", NUMBER) == "-5"


def test_default_columns_are_the_canonical_fields() -> None:
    assert check_columns("contacts", None) == list(CONTACT_FIELDS)
    assert check_columns("companies", []) == list(COMPANY_FIELDS)


def test_columns_keep_the_users_order() -> None:
    assert check_columns("contacts", ["phone", "email", "company_industry"]) == [
        "phone",
        "email",
        "company_industry",
    ]


def test_unknown_and_duplicate_columns_are_refused_with_the_choices() -> None:
    with pytest.raises(ExportFormatError, match=r"Unknown contacts column\(s\): shoe_size.*Available: email"):
        check_columns("contacts", ["email", "shoe_size"])
    with pytest.raises(ExportFormatError, match="more than once: email"):
        check_columns("contacts", ["email", "email"])
    with pytest.raises(ExportFormatError, match="Unknown companies column"):
        check_columns("companies", ["custom.plan"])
    with pytest.raises(ExportFormatError, match="Unknown export kind"):
        check_columns("deals", None)


def test_custom_columns_expand_and_use_the_bare_key_as_header() -> None:
    specs = resolve_columns("contacts", ["email", "custom.plan", ALL_CUSTOM], ["tier", "plan", "email"])
    assert [s.name for s in specs] == ["email", "custom.plan", "custom.email", "custom.tier"]
    # "email" is taken by the canonical column, so that custom key keeps its prefix.
    assert [s.header for s in specs] == ["email", "plan", "custom.email", "tier"]
    assert all(s.kind == TEXT for s in specs[1:])


def test_parse_column_list() -> None:
    assert parse_column_list(" email, first_name ,,custom.plan ") == ["email", "first_name", "custom.plan"]


@pytest.mark.parametrize(
    ("given", "expected"), [(",", ","), (";", ";"), ("tab", "\t"), ("\\t", "\t"), ("|", "|")]
)
def test_delimiters(given: str, expected: str) -> None:
    assert parse_delimiter(given) == expected


@pytest.mark.parametrize("bad", ["", ",,", '"', "\n", "a", "7"])
def test_bad_delimiters_are_refused(bad: str) -> None:
    with pytest.raises(ExportFormatError, match="Delimiter must be one character"):
        FormatOptions(delimiter=bad)


def test_header_is_quoted_in_safe_mode_and_minimal_in_raw_mode() -> None:
    columns = resolve_columns("contacts", ["email", "custom.=cmd", "custom.a;b"])
    safe = header_bytes(columns, FormatOptions(delimiter=";", bom=True))
    assert safe.startswith(UTF8_BOM)
    assert safe[len(UTF8_BOM) :] == b'"email";"\'=cmd";"a;b"\n'
    raw = header_bytes(columns, FormatOptions(raw=True))
    assert raw == b"email,=cmd,a;b\n"
    assert next(csv.reader(io.StringIO(raw.decode()))) == ["email", "=cmd", "a;b"]


def test_default_file_name() -> None:
    now = dt.datetime(2024, 1, 31, 17, 45, 1)
    assert default_file_name("contacts", now, gzip=False) == "contacts-20240131-174501.csv"
    assert default_file_name("companies", now, gzip=True) == "companies-20240131-174501.csv.gz"
