"""Read-only queries behind the desktop app's tables: keyset pages, counts, filters, job rows.

Qt-free. Every function takes a SQLAlchemy ``Connection`` from its caller and
never commits (the one write, ``reset_for_retry``, runs in the caller's
transaction).

Paging is keyset paging: a page is "the next N rows after this key" in the
chosen sort order, so page 2,000 costs what page 1 costs and nothing ever
loads a whole table. Each sortable column has a key (one or more SQL
expressions ending in the primary key, so the order is total).
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from contact360_desktop.storage.notify import notify_job

Kind = Literal["contacts", "companies"]

#: Above this many rows (by the planner's estimate) an unfiltered count is not computed exactly.
EXACT_COUNT_LIMIT = 100_000
#: How long a filtered count may take before an estimate is shown instead.
COUNT_TIMEOUT_MS = 1500
DEFAULT_PAGE_SIZE = 500


@dataclasses.dataclass(frozen=True)
class SortKey:
    expr: str
    nullable: bool


@dataclasses.dataclass(frozen=True)
class Column:
    key: str
    title: str
    #: None: not sortable (e.g. computed per row).
    sort: tuple[SortKey, ...] | None


def _k(expr: str, nullable: bool = True) -> SortKey:
    return SortKey(expr, nullable)


_CID = _k("c.id", False)
_COID = _k("co.id", False)

CONTACT_COLUMNS: tuple[Column, ...] = (
    Column("name", "Name", (_k("lower(c.last_name)"), _k("lower(c.first_name)"), _CID)),
    Column("email", "Email", (_k("lower(c.email)", False), _CID)),
    Column("company", "Company", (_k("lower(co.name)"), _CID)),
    Column("title", "Title", (_k("lower(c.title)"), _CID)),
    Column("phone", "Phone", (_k("c.phone"), _CID)),
    Column("city", "City", (_k("lower(c.city)"), _CID)),
    Column("country", "Country", (_k("lower(c.country)"), _CID)),
    Column("created_at", "Added", (_k("c.created_at", False), _CID)),
)

COMPANY_COLUMNS: tuple[Column, ...] = (
    Column("name", "Name", (_k("lower(co.name)", False), _COID)),
    Column("domain", "Domain", (_k("lower(co.domain)"), _COID)),
    Column("industry", "Industry", (_k("lower(co.industry)"), _COID)),
    Column("employee_count", "Employees", (_k("co.employee_count"), _COID)),
    Column("city", "City", (_k("lower(co.city)"), _COID)),
    Column("country", "Country", (_k("lower(co.country)"), _COID)),
    Column("contacts", "Contacts", None),
    Column("created_at", "Added", (_k("co.created_at", False), _COID)),
)

#: The order a table opens in: oldest first by the (created_at, id) index.
DEFAULT_SORT = "created_at"

_SELECT = {
    "contacts": (
        "SELECT c.id, concat_ws(' ', c.first_name, c.last_name) AS name, c.email, co.name AS company, "
        "c.title, c.phone, c.city, c.country, c.created_at{keys} "
        "FROM contacts c LEFT JOIN companies co ON co.id = c.company_id"
    ),
    "companies": (
        "SELECT co.id, co.name, co.domain, co.industry, co.employee_count, co.city, co.country, "
        "(SELECT count(*) FROM contacts c WHERE c.company_id = co.id) AS contacts, co.created_at{keys} "
        "FROM companies co"
    ),
}
_COUNT_FROM = {
    "contacts": "FROM contacts c LEFT JOIN companies co ON co.id = c.company_id",
    "companies": "FROM companies co",
}
_TABLE = {"contacts": "contacts", "companies": "companies"}


def columns(kind: Kind) -> tuple[Column, ...]:
    return CONTACT_COLUMNS if kind == "contacts" else COMPANY_COLUMNS


@dataclasses.dataclass(frozen=True)
class BrowseQuery:
    """What a table shows: which rows (the filter) in which order."""

    kind: Kind = "contacts"
    search: str = ""
    sort: str = DEFAULT_SORT
    descending: bool = False

    @property
    def filter(self) -> dict[str, Any]:
        """The selection filter handed to exports (``{}`` = every row)."""
        search = self.search.strip()
        return {"search": search} if search else {}

    def sort_keys(self) -> tuple[SortKey, ...]:
        for col in columns(self.kind):
            if col.key == self.sort and col.sort is not None:
                return col.sort
        raise ValueError(f"cannot sort {self.kind} by {self.sort!r}")


def escape_like(text: str) -> str:
    """``text`` matched literally inside a LIKE pattern (backslash is the escape character)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


#: The trigram search indexes ix_contacts_search_0/1 (migration 0007) hold EXACTLY this expression,
#: so the planner can use them: the email's local part and the full name, lower-cased; the
#: newline keeps a search from matching across them.
CONTACT_SEARCH_EXPR = (
    "split_part(lower(c.email), '@', 1) || E'\\n' || "
    "lower(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, ''))"
)
#: The predicate of each half of the search index (migration 0006: two halves build on two cores).
SEARCH_HALF_EXPR = "(length(c.email) & 1)"
#: The email's domain, as ix_contacts_email_domain (migration 0007) holds it.
EMAIL_DOMAIN_EXPR = "split_part(lower(c.email), '@', 2)"


def contact_search(search: str, placeholder: Callable[[str], str]) -> tuple[str, dict[str, str]]:
    """The contacts search condition (alias ``c``) and its LIKE patterns, by name.

    ``placeholder(name)`` writes a parameter in the caller's style (``:name``, ``{name}``).
    A contact matches when its full name or its email's local part contains the text, its
    email's domain starts with it, or its company's name contains it. Text with an "@" is
    matched across the "@": a local part ending in what comes before it, at a domain
    starting with what follows ("smith@acme"). Each arm is served by an index -- the two
    trigram halves (one OR arm per half, so each implies its index's predicate), the domain
    B-tree, the company_id index through the companies that match -- and the planner ORs
    the bitmap scans: milliseconds at 1,000,000 contacts.
    """
    query = search.strip().lower()
    local, at, domain = query.partition("@")
    domain_arm = f"{EMAIL_DOMAIN_EXPR} LIKE {placeholder('domain')}"
    if not at:
        words = escape_like(query)
        params = {"words": f"%{words}%", "domain": f"{words}%"}
        company_arm = (
            "c.company_id = ANY (ARRAY(SELECT s.id FROM companies s "
            f"WHERE lower(s.name) LIKE {placeholder('words')}))"
        )
        return f"({_search_halves(placeholder)} OR {domain_arm} OR {company_arm})", params
    params = {"domain": f"{escape_like(domain)}%"}
    if not local:
        return f"({domain_arm})", params
    # In the search expression a newline follows the local part; the recheck of the local part
    # itself keeps a newline inside a name from matching.
    params["words"] = f"%{escape_like(local)}\n%"
    params["local"] = f"%{escape_like(local)}"
    local_arm = f"split_part(lower(c.email), '@', 1) LIKE {placeholder('local')}"
    return f"(({_search_halves(placeholder)}) AND {local_arm} AND {domain_arm})", params


def _search_halves(placeholder: Callable[[str], str]) -> str:
    return " OR ".join(
        f"(({CONTACT_SEARCH_EXPR}) LIKE {placeholder('words')} AND {SEARCH_HALF_EXPR} = {half})"
        for half in (0, 1)
    )


def filter_clause(kind: Kind, filter: Mapping[str, Any] | None) -> tuple[str, dict[str, Any]]:
    """SQL condition (aliases ``c`` contacts, ``co`` companies) and parameters for a selection filter.

    The filter is what ``BrowseQuery.filter`` produces: ``{"search": "text"}`` matches contacts as
    :func:`contact_search` says, and companies by name or domain (case-insensitive substring).
    """
    search = str((filter or {}).get("search") or "").strip()
    if not search:
        return "TRUE", {}
    if kind == "contacts":
        return contact_search(search, ":{}".format)
    return "(lower(co.name) LIKE :q OR lower(co.domain) LIKE :q)", {"q": f"%{escape_like(search.lower())}%"}


def _keyset_clause(
    keys: Sequence[SortKey], after: Sequence[Any], descending: bool
) -> tuple[str, dict[str, Any]]:
    """Rows strictly after ``after`` in the order ASC NULLS LAST (or DESC NULLS FIRST) of ``keys``."""
    params = {f"k{i}": v for i, v in enumerate(after)}
    op = "<" if descending else ">"
    if not any(k.nullable for k in keys):
        lhs = ", ".join(k.expr for k in keys)
        rhs = ", ".join(f":k{i}" for i in range(len(keys)))
        return f"(({lhs}) {op} ({rhs}))", params
    alternatives = []
    for i, key in enumerate(keys):
        prefix = [
            f"{k.expr} IS NOT DISTINCT FROM :k{j}" if k.nullable else f"{k.expr} = :k{j}"
            for j, k in enumerate(keys[:i])
        ]
        value = after[i]
        if not key.nullable:
            step = f"{key.expr} {op} :k{i}"
        elif descending:  # NULLS FIRST: after NULL come all values; after a value, smaller ones
            step = f"{key.expr} IS NOT NULL" if value is None else f"{key.expr} < :k{i}"
        else:  # NULLS LAST: after a value come larger ones and then NULLs; nothing after NULL
            step = "FALSE" if value is None else f"({key.expr} > :k{i} OR {key.expr} IS NULL)"
        alternatives.append("(" + " AND ".join([*prefix, step]) + ")")
    return "(" + " OR ".join(alternatives) + ")", params


@dataclasses.dataclass
class Page:
    rows: list[dict[str, Any]]
    #: The sort key of the last row: pass it as ``after`` for the next page (None: no more rows).
    next_after: tuple[Any, ...] | None


def fetch_page(
    conn: Connection,
    query: BrowseQuery,
    after: Sequence[Any] | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> Page:
    """The next ``limit`` rows of ``query`` after the key ``after`` (None: the first page)."""
    keys = query.sort_keys()
    direction = " DESC" if query.descending else ""
    key_cols = "".join(f", {k.expr} AS _k{i}" for i, k in enumerate(keys))
    where, params = filter_clause(query.kind, query.filter)
    if after is not None:
        keyset, kparams = _keyset_clause(keys, after, query.descending)
        where = f"{where} AND {keyset}"
        params.update(kparams)
    order = ", ".join(f"{k.expr}{direction}" for k in keys)
    sql = f"{_SELECT[query.kind].format(keys=key_cols)} WHERE {where} ORDER BY {order} LIMIT :limit"
    params["limit"] = limit + 1
    result = conn.execute(text(sql), params).mappings().all()
    more = len(result) > limit
    rows = [dict(r) for r in result[:limit]]
    next_after = None
    if more and rows:
        last = rows[-1]
        next_after = tuple(last[f"_k{i}"] for i in range(len(keys)))
    for row in rows:
        for i in range(len(keys)):
            row.pop(f"_k{i}", None)
    return Page(rows, next_after)


@dataclasses.dataclass(frozen=True)
class RowCount:
    value: int
    exact: bool


def estimated_rows(conn: Connection, kind: Kind) -> int:
    """The planner's row estimate for the whole table (-1 when never analysed)."""
    value = conn.execute(
        text("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(:t)"), {"t": _TABLE[kind]}
    ).scalar()
    return int(value) if value is not None else -1


def count_rows(conn: Connection, kind: Kind, filter: Mapping[str, Any] | None = None) -> RowCount:
    """How many rows match: exact when cheap, else the planner's estimate (``exact=False``)."""
    where, params = filter_clause(kind, filter)
    if where == "TRUE":
        estimate = estimated_rows(conn, kind)
        if estimate > EXACT_COUNT_LIMIT:
            return RowCount(estimate, False)
        from_ = f"FROM {_TABLE[kind]}"
    else:
        from_ = _COUNT_FROM[kind]
    sql = f"SELECT count(*) {from_} WHERE {where}"
    try:
        with conn.begin_nested() if conn.in_transaction() else conn.begin():
            conn.execute(text(f"SET LOCAL statement_timeout = {int(COUNT_TIMEOUT_MS)}"))
            return RowCount(int(conn.execute(text(sql), params).scalar_one()), True)
    except DBAPIError as exc:
        if "statement timeout" not in str(exc.orig) and "canceling statement" not in str(exc.orig):
            raise
    plan = conn.execute(text(f"EXPLAIN (FORMAT JSON) SELECT 1 {from_} WHERE {where}"), params).scalar_one()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return RowCount(int(plan[0]["Plan"]["Plan Rows"]), False)


# --- jobs -------------------------------------------------------------------------------------

JobKind = Literal["import", "export"]

_JOB_SELECT = {
    "import": (
        "SELECT 'import' AS kind, id, user_id, file_name AS name, file_path, NULL::text AS path_or_key, "
        "NULL::text AS destination, status, total_rows, processed_rows, inserted, updated, rejected, warnings, "
        "options, message, cancel_requested, created_at, started_at, finished_at, heartbeat_at "
        "FROM contact_import_jobs"
    ),
    "export": (
        "SELECT 'export' AS kind, id, user_id, "
        "coalesce(nullif(regexp_replace(path_or_key, '^.*/', ''), ''), kind || ' export') || ' (' || kind || ')' AS name, NULL::text AS file_path, path_or_key, "
        "destination, status, total_rows, row_count AS processed_rows, 0::bigint AS inserted, "
        "0::bigint AS updated, 0::bigint AS rejected, 0::bigint AS warnings, options, message, cancel_requested, "
        "created_at, started_at, finished_at, heartbeat_at FROM exports"
    ),
}


def list_jobs(conn: Connection, user: str, limit: int = 200) -> list[dict[str, Any]]:
    """Imports and exports of ``user``, newest first (uses the (user_id, created_at DESC) indexes)."""
    sql = (
        f"({_JOB_SELECT['import']} WHERE user_id = :u ORDER BY created_at DESC LIMIT :n) UNION ALL "
        f"({_JOB_SELECT['export']} WHERE user_id = :u ORDER BY created_at DESC LIMIT :n) "
        "ORDER BY created_at DESC LIMIT :n"
    )
    return [dict(r) for r in conn.execute(text(sql), {"u": user, "n": limit}).mappings()]


def get_job(conn: Connection, kind: JobKind, job_id: uuid.UUID | str) -> dict[str, Any] | None:
    row = conn.execute(text(f"{_JOB_SELECT[kind]} WHERE id = :id"), {"id": str(job_id)}).mappings().first()
    return dict(row) if row else None


def last_import_job(conn: Connection, user: str) -> uuid.UUID | None:
    return conn.execute(
        text("SELECT id FROM contact_import_jobs WHERE user_id = :u ORDER BY created_at DESC LIMIT 1"),
        {"u": user},
    ).scalar()


def reset_for_retry(conn: Connection, kind: JobKind, job_id: uuid.UUID | str) -> bool:
    """Put a failed or cancelled job back to pending (an import resumes after its checkpoint)."""
    table = "contact_import_jobs" if kind == "import" else "exports"
    done = conn.execute(
        text(
            f"UPDATE {table} SET status = 'pending', cancel_requested = false, finished_at = NULL, "
            "message = 'Retry requested' WHERE id = :id AND status IN ('failed', 'cancelled') RETURNING id"
        ),
        {"id": str(job_id)},
    ).scalar()
    if done is None:
        return False
    notify_job(conn, kind, job_id, "pending")
    return True
