"""The contacts search: what it matches, and that the planner serves every arm of it from an index."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from contact360_desktop.services import browse


def _seed(session: Session) -> None:
    session.execute(
        text(
            "INSERT INTO companies (id, name, domain) VALUES "
            "('00000000-0000-4000-8000-000000000001', 'Globex Corporation', 'globex.example'), "
            "('00000000-0000-4000-8000-000000000002', 'Initech', 'initech.example')"
        )
    )
    session.execute(
        text(
            "INSERT INTO contacts (email, first_name, last_name, company_id) VALUES "
            "('anna.mueller@example.com', 'Anna', 'MÜLLER', '00000000-0000-4000-8000-000000000002'), "
            "('bob@globex.example', 'Bob', NULL, '00000000-0000-4000-8000-000000000001'), "
            "('carol@example.org', NULL, 'Smith', NULL), "
            "('dave_100%@example.net', 'Dave', 'Jones', NULL)"
        )
    )


def _emails(session: Session, search: str) -> list[str]:
    page = browse.fetch_page(session.connection(), browse.BrowseQuery("contacts", search, sort="email"))
    return [row["email"] for row in page.rows]


def test_search_matches_email_full_name_and_company(db_session: Session) -> None:
    _seed(db_session)
    assert _emails(db_session, "MUELLER@") == ["anna.mueller@example.com"]  # a local part ending so
    assert _emails(db_session, "a.mue") == ["anna.mueller@example.com"]  # inside the local part
    assert _emails(db_session, "anna müller") == ["anna.mueller@example.com"]  # full name, any case
    assert _emails(db_session, "  smith ") == ["carol@example.org"]  # a missing first name
    assert _emails(db_session, "globex corp") == ["bob@globex.example"]  # the company's name
    assert _emails(db_session, "initech") == ["anna.mueller@example.com"]
    assert _emails(db_session, "100%") == ["dave_100%@example.net"]  # LIKE wildcards are literal
    assert _emails(db_session, "m_l") == []  # "_" is no wildcard (it would match "mpl" in example)
    # The email and the name are separate: no match across their boundary.
    assert _emails(db_session, "mueller anna") == []
    # The domain matches from its start, with or without what comes before the "@".
    assert _emails(db_session, "example.") == [
        "anna.mueller@example.com",
        "carol@example.org",
        "dave_100%@example.net",
    ]
    assert _emails(db_session, "@EXAMPLE.N") == ["dave_100%@example.net"]
    assert _emails(db_session, "ol@example") == ["carol@example.org"]
    assert _emails(db_session, "ca@example") == []  # "ca" does not end carol's local part
    assert _emails(db_session, "example.com anna") == []
    assert _emails(db_session, "xample") == []  # inside a domain, not at its start
    count = browse.count_rows(db_session.connection(), "contacts", {"search": "example"})
    assert (count.value, count.exact) == (3, True)


def test_search_keeps_a_newline_in_a_name_from_ending_the_local_part(db_session: Session) -> None:
    db_session.execute(
        text("INSERT INTO contacts (email, first_name, last_name) VALUES ('x@example.com', :f, 'Doe')"),
        {"f": "Ann\nsmith"},
    )
    assert _emails(db_session, "ann@example") == []
    assert _emails(db_session, "x@example") == ["x@example.com"]


def _plan(session: Session, search: str) -> str:
    where, params = browse.filter_clause("contacts", {"search": search})
    conn = session.connection()
    conn.execute(text("SET LOCAL enable_seqscan = off"))  # a tiny table would be scanned otherwise
    plan: Any = conn.execute(
        text(f"EXPLAIN (FORMAT JSON) SELECT c.id FROM contacts c WHERE {where}"), params
    ).scalar_one()
    return plan if isinstance(plan, str) else json.dumps(plan)


def test_search_uses_both_halves_of_the_trigram_index_and_the_domain_index(db_session: Session) -> None:
    """browse's condition must be EXACTLY the indexed one, or every search scans the table."""
    _seed(db_session)
    indexdefs = db_session.execute(
        text("SELECT indexdef FROM pg_indexes WHERE indexname LIKE 'ix\\_contacts\\_search%' ORDER BY 1")
    ).scalars().all()
    assert len(indexdefs) == 2 and all("gin_trgm_ops" in d for d in indexdefs), indexdefs
    plan = _plan(db_session, "mueller")
    assert "ix_contacts_search_0" in plan and "ix_contacts_search_1" in plan, plan
    assert "ix_contacts_email_domain" in plan, plan
    # Company names go through the companies that match and the company_id index.
    assert "ix_contacts_company_id" in plan, plan
    assert "ix_contacts_email_domain" in _plan(db_session, "@example")
    # Across the "@": either index narrows it (the planner picks by cost); never a table scan.
    for search in ("mueller", "@example", "mueller@example"):
        plan = _plan(db_session, search)
        assert ("Seq Scan", "contacts") not in _scans(json.loads(plan)), plan


def _scans(node: Any) -> set[tuple[str, str]]:
    """(node type, relation) of every scan in an EXPLAIN (FORMAT JSON) plan."""
    if isinstance(node, list):
        return set().union(*map(_scans, node))
    if not isinstance(node, dict):
        return set()
    found = {(node["Node Type"], node["Relation Name"])} if "Relation Name" in node else set()
    return found.union(*map(_scans, node.values()))
