"""The set-based contact writer: one batch of validated rows -> companies, contacts, row errors.

:mod:`contact360_desktop.storage.staging` (pure Python, run by the import's reader)
merges rows that share an email and encodes them as one ``COPY`` payload;
:class:`ContactWriter` (runs on the database connection) COPYs that payload into a
temporary staging table and applies it with a few set-based statements, inside the
caller's transaction: companies by domain else by name, contacts by email, then the
row errors by COPY. Each row arrives with its company's id (staging.company_id), so the
contacts need no company lookup. Nothing here commits.

Rows whose values would not change a stored contact are filtered out before the
upsert, so a re-import neither rewrites nor locks them (they still count as updated).
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Iterable
from typing import Any

import psycopg

from contact360_desktop.core.fields import MODE_INSERT, MODE_UPDATE, MODE_UPSERT
from contact360_desktop.core.records import RowIssue
from contact360_desktop.storage.staging import CONTACT_COLUMNS, STAGE_COLUMNS, StagedBatch

STAGE_TABLE = "c360_import_stage"
ERROR_COLUMNS = ("job_id", "row_number", "line_number", "severity", "field", "code", "message", "raw")


@dataclasses.dataclass
class WriteResult:
    inserted: int = 0
    updated: int = 0
    #: Emails the database rejected: already stored (insert mode) or unknown (update mode).
    rejected_emails: list[str] = dataclasses.field(default_factory=list)


# --- SQL -------------------------------------------------------------------------------------

_CREATE_STAGE = f"""
CREATE TEMP TABLE IF NOT EXISTS {STAGE_TABLE} (
    id uuid NOT NULL,
    row_number bigint NOT NULL,
    email text COLLATE "C" NOT NULL,
    {", ".join(f"{c} text" for c in CONTACT_COLUMNS)},
    company_name text,
    company_domain text,
    custom_fields jsonb,
    new_company boolean NOT NULL,
    company_id uuid
) ON COMMIT DELETE ROWS
"""

_COPY_STAGE = f"COPY {STAGE_TABLE} ({', '.join(STAGE_COLUMNS)}) FROM STDIN (FORMAT text, NULL '')"

_EXISTS = "EXISTS (SELECT 1 FROM contacts c WHERE lower(c.email) = s.email)"

# A dry run writes no contacts, so an email its earlier batches would have created is
# remembered here (per connection, emptied when the run starts): its later rows count as
# updates -- or, insert-only, as duplicates -- exactly as in the real import.
DRY_RUN_SEEN = "c360_dry_run_seen"
_CREATE_DRY_RUN_SEEN = f'CREATE TEMP TABLE IF NOT EXISTS {DRY_RUN_SEEN} (email text COLLATE "C" PRIMARY KEY)'
_EXISTS_OR_SEEN = f"({_EXISTS} OR EXISTS (SELECT 1 FROM {DRY_RUN_SEEN} d WHERE d.email = s.email))"

# Companies by normalised domain; rows without a domain by case-insensitive name among
# domain-less companies (the two unique indexes). Sorted so that concurrent importers lock
# new keys in the same order. Existing companies are reused as they are: after the first
# batches nearly every domain exists: the reader flags only rows of companies that no earlier
# batch of the file staged (new_company), and of those the ones already stored are filtered
# out by a probe of the domain index before the sort and the speculative insertion (ON
# CONFLICT stays for a company another importer adds at the same time).
#
# A new company gets the id the reader staged (staging.company_id); should that id be taken
# (a company stored under it whose domain or name was changed since), the second pass of
# each statement stores the company under a fresh id, and the remap below links to it.
def _insert_companies_by_domain(company_id: str) -> str:
    return f"""
INSERT INTO companies (id, name, domain)
SELECT DISTINCT ON (s.company_domain) {company_id}, coalesce(s.company_name, s.company_domain), s.company_domain
FROM {STAGE_TABLE} s
WHERE s.new_company AND s.company_domain IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM companies c WHERE lower(c.domain) = s.company_domain)
ORDER BY s.company_domain, s.company_name IS NULL, s.row_number
ON CONFLICT DO NOTHING
"""


def _insert_companies_by_name(company_id: str) -> str:
    return f"""
INSERT INTO companies (id, name)
SELECT DISTINCT ON (lower(s.company_name)) {company_id}, s.company_name
FROM {STAGE_TABLE} s
WHERE s.new_company AND s.company_domain IS NULL AND s.company_name IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM companies c WHERE c.domain IS NULL AND lower(c.name) = lower(s.company_name))
ORDER BY lower(s.company_name), s.row_number
ON CONFLICT DO NOTHING
"""


_INSERT_COMPANIES = tuple(
    insert(company_id)
    for company_id in ("s.company_id", "gen_random_uuid()")
    for insert in (_insert_companies_by_domain, _insert_companies_by_name)
)

# Staged company ids that are not the stored company's id: the company was stored before
# under another id (created by hand, by an import before ids were derived from keys, or
# another name differing only in case). Found among the flagged rows (a reader flags the
# first rows of each company it meets), remembered for the rest of the import on this
# connection, and applied to every row of the batches that follow.
COMPANY_REMAP = "c360_company_remap"
_CREATE_COMPANY_REMAP = (
    f"CREATE TEMP TABLE IF NOT EXISTS {COMPANY_REMAP} (staged uuid PRIMARY KEY, stored uuid NOT NULL)"
)
_REMAP_COMPANIES = tuple(
    f"""
INSERT INTO {COMPANY_REMAP} (staged, stored)
SELECT DISTINCT ON (s.company_id) s.company_id, c.id
FROM {STAGE_TABLE} s JOIN companies c ON {match}
WHERE s.new_company AND c.id <> s.company_id
ON CONFLICT (staged) DO UPDATE SET stored = excluded.stored
"""
    for match in (
        "lower(c.domain) = s.company_domain",
        "c.domain IS NULL AND lower(c.name) = lower(s.company_name) AND s.company_domain IS NULL",
    )
)

# Company deletions (migration 0008's sequence, advanced by the delete trigger). A company
# deleted during an import may be the one a later batch's staged id names: from then on the
# import looks each row's company up by domain and name, as any row's was before ids were
# staged, so it never links a contact to a company that is gone.
_COMPANY_DELETIONS = "SELECT pg_sequence_last_value('company_deletions')"


def _source(company: str, joins: str = "") -> str:
    """The staged rows as contacts, with ``company`` as their company_id."""
    return f"""
SELECT s.id, s.email, {", ".join(f"s.{c}" for c in CONTACT_COLUMNS)},
       {company} AS company_id,
       coalesce(s.custom_fields, '{{}}'::jsonb) AS custom_fields
FROM {STAGE_TABLE} s{joins}
"""


#: How a batch's rows get their company ids (ContactWriter picks one per batch).
STAGED, REMAPPED, LOOKED_UP = "staged", "remapped", "looked up"
_SOURCES = {
    STAGED: _source("s.company_id"),
    REMAPPED: _source("coalesce(r.stored, s.company_id)", f"\nLEFT JOIN {COMPANY_REMAP} r ON r.staged = s.company_id"),
    # A NULL probe key (a row with a domain, for the by-name lookup) ends the index scan
    # before it descends, so each row costs one probe, not two.
    LOOKED_UP: _source(
        "coalesce(cd.id, cn.id)",
        """
LEFT JOIN companies cd ON lower(cd.domain) = s.company_domain
LEFT JOIN companies cn ON cn.domain IS NULL
                      AND lower(cn.name) = CASE WHEN s.company_domain IS NULL THEN lower(s.company_name) END""",
    ),
}

# True when applying src to the stored contact c would change nothing; never NULL (a new
# value for a field stored as NULL is a change: "= ... IS TRUE", not a NULL that NOT keeps NULL).
_UNCHANGED = " AND ".join(
    [f"(src.{col} IS NULL OR (src.{col} = c.{col}) IS TRUE)" for col in (*CONTACT_COLUMNS, "company_id")]
    + ["c.custom_fields @> src.custom_fields"]
)
_INSERT_COLUMNS = ("id", "email", *CONTACT_COLUMNS, "company_id", "custom_fields", "created_by_job")
_SET_MERGED = ",\n    ".join(
    [f"{col} = coalesce(excluded.{col}, c.{col})" for col in (*CONTACT_COLUMNS, "company_id")]
    + ["custom_fields = c.custom_fields || excluded.custom_fields", "updated_at = now()"]
)


def _upsert_contacts(source: str, conflict_guard: str = "") -> str:
    """The upsert of ``source`` rows; returns how many were inserted (the others updated)."""
    return f"""
WITH written AS (
    INSERT INTO contacts AS c ({", ".join(_INSERT_COLUMNS)})
    SELECT {", ".join(f"src.{col}" for col in _INSERT_COLUMNS[:-1])}, %(job)s
    FROM ({source}) src
    ON CONFLICT (lower(email)) DO UPDATE SET
    {_SET_MERGED}
    {conflict_guard}
    RETURNING xmax = 0 AS inserted
)
SELECT count(*) FILTER (WHERE inserted) FROM written
"""


@dataclasses.dataclass(frozen=True)
class _ContactStatements:
    """The contact statements of one way to get the rows' company ids (_SOURCES)."""

    upsert: str
    bulk_upsert: str
    insert: str
    update: str


def _contact_statements(source: str) -> _ContactStatements:
    changed = f"""
SELECT src.* FROM ({source}) src
WHERE NOT EXISTS (SELECT 1 FROM contacts c WHERE lower(c.email) = src.email AND {_UNCHANGED})
"""
    return _ContactStatements(
        upsert=_upsert_contacts(changed),
        # A first load into a (nearly) empty table: almost every row is new, so the pre-filter
        # above would probe the email index once per row for nothing (~1 s per 1M rows). The same
        # guard moves to the conflict arm instead, where only repeated emails meet it (a
        # conflicting row it skips is locked, not rewritten: cheap when conflicts are rare, which
        # is why a re-import keeps the filter).
        bulk_upsert=_upsert_contacts(source, f"WHERE NOT ({_UNCHANGED.replace('src.', 'excluded.')})"),
        insert=f"""
INSERT INTO contacts AS c ({", ".join(_INSERT_COLUMNS)})
SELECT {", ".join(f"src.{col}" for col in _INSERT_COLUMNS[:-1])}, %(job)s
FROM ({source}) src
ON CONFLICT (lower(email)) DO NOTHING
""",
        update=f"""
UPDATE contacts c SET
    {_SET_MERGED.replace("excluded.", "src.")}
FROM ({source}) src
WHERE lower(c.email) = src.email AND NOT ({_UNCHANGED})
""",
    )


_STATEMENTS = {name: _contact_statements(source) for name, source in _SOURCES.items()}


# Statistics of contacts and companies lag far behind during an import, and plans built on
# them went wrong both ways: a hash join scanned the whole contacts table once per batch, and
# an estimate of a few domain-less companies (15,792 by then) had every staged row compared
# with all of them (12 s for 2,000 rows). Per-row index probes are right for any batch size
# and any table size, so the batch's transaction allows nothing else; JIT is off because the
# costs of the disabled paths would otherwise switch it on for every statement.
BATCH_SETTINGS = "; ".join(
    f"SET LOCAL {setting}"
    for setting in (
        "enable_hashjoin = off",
        "enable_mergejoin = off",
        "enable_seqscan = off",
        "enable_bitmapscan = off",
        "enable_material = off",
        "jit = off",
    )
)


class ContactWriter:
    """Applies staged batches on one psycopg connection, in the caller's transaction."""

    def __init__(
        self, conn: psycopg.Connection[Any], job_id: uuid.UUID, mode: str, dry_run: bool, *, bulk: bool = False
    ) -> None:
        """``bulk``: a first load into a (nearly) empty table (storage.import_indexes.should_defer)."""
        if mode not in (MODE_UPSERT, MODE_INSERT, MODE_UPDATE):
            raise ValueError(f"unknown import mode {mode!r}")
        self.conn = conn
        self.job_id = job_id
        self.mode = mode
        self.dry_run = dry_run
        self.bulk = bulk
        self._dry_run_started = False
        # The row of _COMPANY_DELETIONS when the first batch came (None: none came yet).
        self._deletions: tuple[Any, ...] | None = None
        self._company_source = STAGED

    def _company_ids(self, cur: psycopg.Cursor[Any]) -> str:
        """After the companies upsert: how this batch's rows get their company ids (_SOURCES)."""
        cur.execute(_COMPANY_DELETIONS)
        deletions = tuple(cur.fetchone() or ())
        if self._deletions is None:
            self._deletions = deletions
            cur.execute(_CREATE_COMPANY_REMAP)
            cur.execute(f"TRUNCATE {COMPANY_REMAP}")
        elif deletions != self._deletions:
            self._company_source = LOOKED_UP
        if self._company_source == LOOKED_UP:
            return LOOKED_UP
        remapped = 0
        for statement in _REMAP_COMPANIES:
            cur.execute(statement)
            remapped += cur.rowcount
        if remapped:
            self._company_source = REMAPPED
        return self._company_source

    def write(self, batch: StagedBatch) -> WriteResult:
        """Stage and apply one batch. Counts are per distinct email; the caller maps them to rows."""
        result = WriteResult()
        if not batch.distinct:
            return result
        with self.conn.cursor() as cur:
            cur.execute(BATCH_SETTINGS)
            cur.execute(_CREATE_STAGE)
            with cur.copy(_COPY_STAGE) as copy:
                copy.write(batch.payload)
            exists = _EXISTS
            if self.dry_run:
                exists = _EXISTS_OR_SEEN
                if not self._dry_run_started:
                    cur.execute(_CREATE_DRY_RUN_SEEN)
                    cur.execute(f"TRUNCATE {DRY_RUN_SEEN}")
                    self._dry_run_started = True
            if self.mode == MODE_INSERT:
                result.rejected_emails = self._remove_stage_rows(cur, exists)
            elif self.mode == MODE_UPDATE:
                result.rejected_emails = self._remove_stage_rows(cur, f"NOT {exists}")
            if self.dry_run:
                return self._dry_run_counts(cur, result)
            for statement in _INSERT_COMPANIES:
                cur.execute(statement)
            statements = _STATEMENTS[self._company_ids(cur)]
            params = {"job": self.job_id}
            remaining = batch.distinct - len(result.rejected_emails)
            if self.mode == MODE_UPSERT:
                cur.execute(statements.bulk_upsert if self.bulk else statements.upsert, params)
                result.inserted = _scalar(cur)
                result.updated = remaining - result.inserted
            elif self.mode == MODE_INSERT:
                cur.execute(statements.insert, params)
                result.inserted = cur.rowcount
            else:
                cur.execute(statements.update, params)
                result.updated = remaining
        return result

    def _remove_stage_rows(self, cur: psycopg.Cursor[Any], condition: str) -> list[str]:
        cur.execute(f"DELETE FROM {STAGE_TABLE} s WHERE {condition} RETURNING s.email")
        return [row[0] for row in cur.fetchall()]

    def _dry_run_counts(self, cur: psycopg.Cursor[Any], result: WriteResult) -> WriteResult:
        cur.execute(f"SELECT count(*) FILTER (WHERE {_EXISTS_OR_SEEN}), count(*) FROM {STAGE_TABLE} s")
        existing, staged = cur.fetchone() or (0, 0)
        result.updated = int(existing)
        result.inserted = int(staged) - int(existing)
        if self.mode != MODE_UPDATE:  # the emails this batch would have created
            cur.execute(f"INSERT INTO {DRY_RUN_SEEN} SELECT email FROM {STAGE_TABLE} ON CONFLICT DO NOTHING")
        cur.execute(f"TRUNCATE {STAGE_TABLE}")
        return result

    def write_issues(self, issues: Iterable[RowIssue]) -> int:
        """COPY row errors and warnings into contact_import_errors; returns how many."""
        count = 0
        job = str(self.job_id)
        with (
            self.conn.cursor() as cur,
            cur.copy(f"COPY contact_import_errors ({', '.join(ERROR_COLUMNS)}) FROM STDIN") as copy,
        ):
            for issue in issues:
                copy.write_row(
                    (
                        job,
                        issue.row_number,
                        issue.line_number,
                        issue.severity,
                        issue.field,
                        issue.code,
                        issue.message,
                        json.dumps(issue.raw, ensure_ascii=False),
                    )
                )
                count += 1
        return count


def _scalar(cur: psycopg.Cursor[Any]) -> int:
    row = cur.fetchone()
    return int(row[0]) if row and row[0] is not None else 0
