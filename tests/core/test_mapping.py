"""Mapping mechanics: match order, fuzzy threshold, duplicates, JSON, resolve, signature."""

from __future__ import annotations

import json

import pytest

from contact360_desktop.core.errors import FileRejected, MappingError
from contact360_desktop.core.mapping import (
    CUSTOM,
    IGNORE,
    ColumnMapping,
    auto_map,
    count_known_fields,
    header_signature,
    match_column,
    normalize_header,
    require_email,
)


@pytest.mark.parametrize(
    ("name", "target", "method"),
    [
        ("email", "email", "exact"),
        ("First Name", "first_name", "normalised"),
        (" FIRST_NAME ", "first_name", "normalised"),
        ("Company-Domain", "company_domain", "normalised"),
        ("E-mail Address", "email", "synonym"),
        ("Prénom", "first_name", "synonym"),
        ("Given Name", "first_name", "synonym"),
        ("Frist Name", "first_name", "fuzzy"),
        ("E-mail Adress", "email", "fuzzy"),
        ("Favourite Colour", CUSTOM, "unmapped"),
        ("", CUSTOM, "unmapped"),
        ("Company Phone", CUSTOM, "unmapped"),  # the switchboard, not the person's phone
    ],
)
def test_match_order(name: str, target: str, method: str) -> None:
    match = match_column(name.strip())
    assert (match.target, match.method) == (target, method)


def test_confidence_ranks_exact_over_synonym_over_fuzzy() -> None:
    exact, normalised, synonym, fuzzy = (
        match_column(n) for n in ("email", "Email ", "E-mail Address", "E-mail Adress")
    )
    assert exact.confidence == 1.0
    assert 1.0 > normalised.confidence > synonym.confidence > fuzzy.confidence > 0


def test_fuzzy_needs_the_threshold() -> None:
    assert match_column("Stage").target == CUSTOM  # close to "state", but not close enough
    assert match_column("Emails").target == "email"


def test_normalize_header() -> None:
    assert normalize_header("  E-mail Address ") == "emailaddress"
    assert normalize_header("Prénom") == "prenom"
    assert normalize_header("State/Region") == "stateregion"


def test_only_the_best_column_gets_a_field() -> None:
    mapping = auto_map(["Work Email", "Email", "Personal Email", "Phone", "Phone"])
    assert mapping.targets == [CUSTOM, "email", CUSTOM, "phone", CUSTOM]
    assert mapping.columns[0].method == "duplicate"
    assert mapping.field_columns() == {"email": 1, "phone": 3}


def test_unmapped_columns_are_custom() -> None:
    mapping = auto_map(["email", "Favourite Colour", "Shoe Size"])
    assert mapping.targets == ["email", CUSTOM, CUSTOM]


def test_json_round_trip() -> None:
    mapping = auto_map(["Email Address", "Given Name", "Shoe Size"]).with_target("Shoe Size", IGNORE)
    data = mapping.to_json()
    assert json.loads(json.dumps(data)) == data  # plain JSON data
    assert ColumnMapping.from_json(data) == mapping
    assert ColumnMapping.from_json(json.dumps(data)) == mapping
    assert ColumnMapping.from_json(json.dumps(data).encode()) == mapping


def test_simple_hand_written_mapping() -> None:
    mapping = ColumnMapping.from_json('{"Mail": "email", "Notes": "ignore"}')
    resolved = mapping.resolve(["Notes", "First Name", "Mail", "Other"])
    # Named columns take the given targets; the rest are auto-mapped.
    assert resolved.targets == [IGNORE, "first_name", "email", CUSTOM]
    assert resolved.columns[0].method == "user"


@pytest.mark.parametrize(
    "bad",
    ['{"Email": "e-mail"}', "[1, 2]", "not json", '{"version": 1, "columns": [{"target": "email"}]}'],
)
def test_malformed_mappings_raise_mapping_error(bad: str) -> None:
    with pytest.raises(MappingError):
        ColumnMapping.from_json(bad)


def test_resolve_matches_by_normalised_name_and_position() -> None:
    template = auto_map(["Email", "First Name", "Last Name"]).with_target("Last Name", IGNORE)
    resolved = template.resolve(["last_name", "EMAIL", "first name", "City"])
    assert resolved.targets == [IGNORE, "email", "first_name", "city"]
    assert template.resolve(template.sources) is template


def test_with_target_moves_a_field_and_frees_its_holder() -> None:
    mapping = auto_map(["Email", "Work Email"])
    moved = mapping.with_target(1, "email")
    assert moved.targets == [CUSTOM, "email"]
    assert moved.columns[1].confidence == 1.0
    with pytest.raises(MappingError):
        mapping.with_target(0, "nonsense")


def test_header_signature_is_stable_and_normalised() -> None:
    a = header_signature(["Email", "First Name"])
    assert len(a) == 64 and int(a, 16) >= 0
    assert header_signature(["email", "first_name"]) == a  # same layout, spelled differently
    assert header_signature(["First Name", "Email"]) != a  # order matters
    assert header_signature(["Email", "First Name", "City"]) != a


def test_require_email() -> None:
    require_email(auto_map(["Email Address", "Name"]))
    with pytest.raises(FileRejected, match=r'No column holds the email address \(columns: "Name", "Phone"\)'):
        require_email(auto_map(["Name", "Phone"]))


def test_count_known_fields_ignores_guesses_and_prose() -> None:
    assert count_known_fields(["First Name", "Email Address", "Connected On"]) == 2
    assert count_known_fields(["Frist Name", "Emial"]) == 0
    assert count_known_fields(["When exporting your connection data, you may notice..."]) == 0
