"""The rules (issue 3): what is rejected, what is warned, what a clean contact holds."""

from __future__ import annotations

import random
from typing import Any

import pytest

from contact360_desktop.core.emails import COMMON_ADDRESS
from contact360_desktop.core.errors import FileRejected
from contact360_desktop.core.fields import ERROR, FIELD_LIMITS, WARNING
from contact360_desktop.core.mapping import IGNORE, auto_map
from contact360_desktop.core.records import RawRecord
from contact360_desktop.core.validation import CUSTOM_FIELD_LIMIT, RowValidator

HEADER = [
    "Email", "First Name", "Last Name", "Title", "Company", "Website", "Phone", "Mobile",
    "LinkedIn", "City", "State", "Country", "Seniority", "Department", "Shoe Size",
]  # fmt: skip


def row(**values: str) -> list[str]:
    return [values.get(name.replace(" ", "_").lower(), "") for name in HEADER]


def validate(values: list[str], header: list[str] = HEADER, **kwargs: object):  # type: ignore[no-untyped-def]
    return RowValidator(header, **kwargs).validate(RawRecord(7, 9, values))  # type: ignore[arg-type]


def test_a_clean_row_is_trimmed_and_normalised() -> None:
    contact, issues = validate(
        row(
            email="  Ann.Lee@Example.COM ",
            first_name=" Ann ",
            last_name="Lee",
            title="CTO",
            company=" Acme, Inc. ",
            website="https://www.Acme.com/about",
            phone="(415) 555-0100",
            mobile="+44 20 7946 0958",
            linkedin="linkedin.com/in/annlee/",
            city="San Francisco",
            state="CA",
            country="USA",
            seniority="c_suite",
            department="Engineering",
            shoe_size=" 38 ",
        )
    )
    assert issues == []
    assert contact is not None
    assert (contact.row_number, contact.line_number, contact.email) == (7, 9, "ann.lee@example.com")
    assert contact.fields == {
        "first_name": "Ann",
        "last_name": "Lee",
        "title": "CTO",
        "company_name": "Acme, Inc.",
        "company_domain": "acme.com",
        "phone": "+14155550100",
        "mobile_phone": "+442079460958",
        "linkedin_url": "https://www.linkedin.com/in/annlee",
        "city": "San Francisco",
        "state": "CA",
        "country": "USA",
        "seniority": "c_suite",
        "department": "Engineering",
    }
    assert contact.custom_fields == {"Shoe Size": "38"}


def test_blank_values_are_omitted_so_they_never_erase() -> None:
    contact, issues = validate(row(email="a@b.io", first_name="   ", shoe_size=""))
    assert issues == []
    assert contact is not None
    assert contact.fields == {}
    assert contact.custom_fields == {}


def test_missing_email_rejects_with_a_message_a_person_understands() -> None:
    contact, issues = validate(row(first_name="Ann"))
    assert contact is None
    [issue] = issues
    assert (issue.severity, issue.field, issue.code) == (ERROR, "email", "email_missing")
    assert issue.message.startswith('Row 7 (line 9): the email address (column "Email") is empty.')
    assert issue.raw["First Name"] == "Ann"
    assert list(issue.raw) == HEADER


@pytest.mark.parametrize(
    "email", ["ann", "ann@", "ann@@b.io", "ann@b", "a..b@b.io", "ann@b.test", "ann lee@b.io"]
)
def test_invalid_email_rejects_naming_the_problem(email: str) -> None:
    contact, issues = validate(row(email=email))
    assert contact is None
    [issue] = issues
    assert (issue.field, issue.code) == ("email", "email_invalid")
    assert f'"{email}" in column "Email" is not a valid email address' in issue.message


def test_short_rows_are_padded() -> None:
    contact, issues = validate(["a@b.io", "Ann"])
    assert issues == []
    assert contact is not None and contact.fields == {"first_name": "Ann"}


def test_extra_empty_fields_are_ignored() -> None:
    contact, issues = validate([*row(email="a@b.io"), "", "  "])
    assert contact is not None and issues == []


def test_extra_non_empty_fields_reject_the_row() -> None:
    header = ["email", "a", "b", "c", "d"]
    contact, issues = validate(["a@b.io", "1", "2", "3", "4", "5", "6"], header)
    assert contact is None
    [issue] = issues
    assert (issue.severity, issue.field, issue.code) == (ERROR, None, "too_many_fields")
    assert "row has 7 fields, the header has 5" in issue.message
    assert issue.raw == {
        "email": "a@b.io",
        "a": "1",
        "b": "2",
        "c": "3",
        "d": "4",
        "_extra_1": "5",
        "_extra_2": "6",
    }


def test_too_long_values_reject_naming_the_field() -> None:
    too_long = "x" * (FIELD_LIMITS["first_name"] + 1)
    contact, issues = validate(
        row(email="a@b.io", first_name=too_long, shoe_size="y" * (CUSTOM_FIELD_LIMIT + 1))
    )
    assert contact is None
    assert [(i.field, i.code) for i in issues] == [
        ("first_name", "value_too_long"),
        ("Shoe Size", "value_too_long"),
    ]
    assert 'column "First Name" is 101 characters long; first_name allows at most 100' in issues[0].message


def test_a_value_at_the_limit_is_fine() -> None:
    contact, _ = validate(row(email="a@b.io", first_name="x" * FIELD_LIMITS["first_name"]))
    assert contact is not None


@pytest.mark.parametrize("bad", ["\x00", "\x07", "\x1b", "\x7f", "\x85"])
def test_control_characters_reject_naming_the_field(bad: str) -> None:
    contact, issues = validate(row(email="a@b.io", city=f"Par{bad}is"))
    assert contact is None
    [issue] = issues
    assert (issue.field, issue.code) == ("city", "control_character")
    assert f"U+{ord(bad):04X}" in issue.message


def test_tabs_and_newlines_inside_values_are_fine() -> None:
    contact, issues = validate(row(email="a@b.io", shoe_size="line 1\r\nline 2\tend"))
    assert issues == []
    assert contact is not None and contact.custom_fields == {"Shoe Size": "line 1\r\nline 2\tend"}


def test_a_rejected_row_reports_every_error() -> None:
    contact, issues = validate(row(email="nope", city="\x00"))
    assert contact is None
    assert {i.code for i in issues} == {"email_invalid", "control_character"}


@pytest.mark.parametrize(
    ("column", "value", "field", "code"),
    [
        ("phone", "call me maybe", "phone", "phone_invalid"),
        ("mobile", "123", "mobile_phone", "phone_invalid"),
        ("linkedin", "Ann Lee", "linkedin_url", "linkedin_url_invalid"),
        ("linkedin", "https://twitter.com/annlee", "linkedin_url", "linkedin_url_invalid"),
        ("website", "n/a", "company_domain", "company_domain_invalid"),
    ],
)
def test_unparseable_optional_fields_are_dropped_with_a_warning(
    column: str, value: str, field: str, code: str
) -> None:
    contact, issues = validate(row(email="a@b.io", first_name="Ann", **{column: value}))
    assert contact is not None
    assert field not in contact.fields
    assert contact.fields["first_name"] == "Ann"
    [issue] = issues
    assert (issue.severity, issue.field, issue.code) == (WARNING, field, code)
    assert f'"{value}" in column' in issue.message and "the row was imported without" in issue.message


def test_phone_region_is_the_default_for_national_numbers() -> None:
    contact, _ = validate(row(email="a@b.io", phone="020 7946 0958"), phone_region="GB")
    assert contact is not None and contact.fields["phone"] == "+442079460958"


def test_email_column_is_required() -> None:
    with pytest.raises(FileRejected, match="No column holds the email address"):
        RowValidator(["Name", "Phone"])


def test_mapping_choices_are_applied() -> None:
    mapping = auto_map(HEADER).with_target("Shoe Size", IGNORE).with_target("Mobile", "phone")
    validator = RowValidator(HEADER, mapping)
    contact, issues = validator.validate(
        RawRecord(1, 2, row(email="a@b.io", mobile="415-555-0100", shoe_size="9"))
    )
    assert issues == []
    assert contact is not None
    assert contact.fields == {"phone": "+14155550100"}
    assert contact.custom_fields == {}
    # The JSON form works as well.
    assert RowValidator(HEADER, mapping.to_json()).mapping == validator.mapping


def test_duplicate_and_blank_header_names_get_distinct_keys() -> None:
    header = ["Email", "Tag", "Tag", ""]
    contact, _ = RowValidator(header).validate(RawRecord(1, 2, ["a@b.io", "x", "y", "z"]))
    assert contact is not None
    assert contact.custom_fields == {"Tag": "x", "Tag (2)": "y", "column_4": "z"}


def test_header_with_email_only() -> None:
    contact, issues = RowValidator(["E-mail"]).validate(RawRecord(1, 2, [" X@Y.io "]))
    assert issues == [] and contact is not None and contact.email == "x@y.io"


def _expected(validator: RowValidator, order: tuple[str, ...], number: int, values: list[str]) -> Any:
    """What the batch cleaner must give for a row: validate()'s clean row, or None (declined)."""
    contact, issues = validator.validate(RawRecord(number, number + 1, values))
    if contact is None or issues:
        return None
    return (
        contact.row_number,
        contact.line_number,
        contact.email,
        tuple(contact.fields.get(name, "") for name in order),
        contact.custom_fields or None,
    )


def test_batch_cleaner_agrees_with_validate_or_declines() -> None:
    """The import's fast path gives exactly validate()'s clean row, and declines any row with an issue."""
    header = ["Email", "First Name", "Phone", "LinkedIn", "Website", "Notes", "Tags"]
    order = ("first_name", "last_name", "phone", "linkedin_url", "company_domain")
    validator = RowValidator(header)
    rows = [
        [" Ann@X.com ", " Ann ", "(201) 555-1234", "linkedin.com/in/ann/", "https://www.Acme.com/x", "n", ""],
        ["bob@x.com", "", "", "", "", "", ""],
        ["bob@x.com", "Bob", "12", "", "", "", ""],  # phone warning
        ["bob@x.com", "Bob", "", "http://example.com/x", "", "", ""],  # linkedin warning
        ["bob@x.com", "Bob", "", "", "nope", "", ""],  # domain warning
        ["", "Bob", "", "", "", "", ""],  # email missing
        ["bob@@x.com", "Bob", "", "", "", "", ""],  # email invalid
        ["bob@x.com", "Bob\tTab", "", "", "", "a\\b", ""],  # kept by validate; not the common shape
        ["bob@x.com", "x" * 101, "", "", "", "", ""],  # too long
        ["bob@x.com", "Bob", "", "", "", "", "", ""],  # one empty extra cell
        ["bob@x.com", "Bob"],  # short row
        ["bob@x.com", "ctl\x01", "", "", "", "", ""],  # control character
        ["carl@x.com", "Carl", "+44 20 7946 0958", "https://www.linkedin.com/in/carl", "acme.io", "", "t"],
        ["dora@x.com", "Dora", "+1 (415) 555-0100 ext 2", "LinkedIn.com/in/Dora?x=1", "www.dora.de", "", ""],
        ["erin@x.com", "Erin", "415.555.0100", "", "", "multi\nline", ""],
        ["jöhn@bücher.de", "John", "", "", "", "", ""],  # valid, not the common ASCII shape
    ]
    staged, declined = validator.batch_cleaner(order)([(n, n + 1, v) for n, v in enumerate(rows, start=1)])
    assert [s[0] for s in staged] == [1, 2, 13, 14]
    for row in staged:
        assert row == _expected(validator, order, row[0], rows[row[0] - 1])
    assert [d[0] for d in declined] == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 15, 16]
    assert staged[2][3][2] == "+442079460958" and staged[3][3][3] == "https://www.linkedin.com/in/Dora"


VALUE_POOL = {
    "Email": ["a@x.com", " B@Example.ORG ", "", "bad@", "c@d", "x@y.test", "jöhn@bücher.de", "q" * 65 + "@x.com"],
    "First Name": ["Ann", "", " Zoë ", "x" * 101, "tab\there", "nul\x00", "nbsp\u00a0x"],
    "Phone": ["", "(201) 555-1234", "+1 415 555 0100", "12", "+44 20 7946 0958", "1-800-FLOWERS", "+999 1"],
    "LinkedIn": ["", "linkedin.com/in/ann/", "https://uk.linkedin.com/in/b?x", "http://example.com/x", "x y"],
    "Website": ["", "https://www.Acme.com/x", "nope", "acme.co.uk", "user@acme.io"],
    "Notes": ["", "n", " spaced "],
    "Tags": ["", "t"],
}


@pytest.mark.parametrize("seed", range(5))
def test_batch_cleaner_matches_validate_on_random_rows(seed: int) -> None:
    """Random rows from tricky values: every row the batch takes is exactly validate()'s."""
    rng = random.Random(seed)
    header = list(VALUE_POOL)
    order = ("first_name", "last_name", "phone", "mobile_phone", "linkedin_url", "company_domain")
    validator = RowValidator(header)
    rows = [[rng.choice(VALUE_POOL[name]) for name in header] for _ in range(400)]
    rows += [row + ["extra"] for row in rows[:5]] + [row[:3] for row in rows[5:10]]
    numbered = [(n, n + 1, v) for n, v in enumerate(rows, start=1)]
    staged, declined = validator.batch_cleaner(order)(numbered)
    assert sorted([s[0] for s in staged] + [d[0] for d in declined]) == list(range(1, len(rows) + 1))
    assert [s[0] for s in staged] == sorted(s[0] for s in staged)
    assert [d[0] for d in declined] == sorted(d[0] for d in declined)
    for row in staged:
        assert row == _expected(validator, order, row[0], rows[row[0] - 1])
    accepted = {s[0] for s in staged}
    common = [n for n, _, v in numbered if _expected(validator, order, n, v) is not None]
    # Declined but clean: only the uncommon shapes (a padded short row, an address that only
    # email-validator judges, a character str.isprintable refuses but the rules allow: U+00A0).
    for number in set(common) - accepted:
        values = rows[number - 1]
        uncommon = len(values) != len(header) or not COMMON_ADDRESS.fullmatch(values[0].strip().lower())
        assert uncommon or not all(v.isprintable() for v in values), values


@pytest.mark.parametrize("customs", [1, 2, 3])
def test_batch_cleaner_custom_fields_match_validate(customs: int) -> None:
    """The custom-field shortcuts (one or two custom columns) give validate()'s dict, in its order."""
    names = ["Lead Source", "Notes", "Tags"][:customs]
    validator = RowValidator(["Email", "First Name", *names])
    cells = ["", " a ", "b"]
    combos = [[x] if customs == 1 else [x, y] if customs == 2 else [x, y, "t"] for x in cells for y in cells]
    rows = [(number, number + 1, ["ann@x.com", "Ann", *custom]) for number, custom in enumerate(combos, start=1)]
    staged, declined = validator.batch_cleaner(("first_name",))(rows)
    assert not declined and len(staged) == len(rows)
    for row, (number, line, values) in zip(staged, rows, strict=True):
        contact, issues = validator.validate(RawRecord(number, line, values))
        assert contact is not None and not issues
        assert row[4] == (contact.custom_fields or None)
        assert list((row[4] or {}).items()) == list(contact.custom_fields.items())
