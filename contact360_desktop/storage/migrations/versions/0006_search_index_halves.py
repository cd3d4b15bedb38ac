"""contacts: the trigram search index in two halves, so that rebuilding it uses two cores

A bulk import defers the search index and builds it once at the end
(storage.import_indexes). PostgreSQL before 18 builds a GIN index on one core, and
this one was the longest step of a 1,000,000-row first import (~12 s, more than a
third of it; more memory does not make it faster). Two partial indexes, one for each
half of the contacts by the parity of the email's length (as even a split as a hash,
475,923 / 474,919 on the benchmark's contacts, and stable across PostgreSQL versions
and collations), hold the same entries and are built side by side on two connections
(~5 s each).

A search reads both halves: ``services.browse.contact_search`` ORs the search
expression over the two predicates, which the planner serves with a BitmapOr of the
two index scans (a test checks it).

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

SEARCH_EXPR = "lower(email) || E'\\n' || lower(coalesce(first_name, '') || ' ' || coalesce(last_name, ''))"
HALF_EXPR = "(length(email) & 1)"


def upgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_contacts_search")
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")
    for half in (0, 1):
        op.execute(
            f"CREATE INDEX ix_contacts_search_{half} ON contacts "
            f"USING gin (({SEARCH_EXPR}) gin_trgm_ops) WHERE {HALF_EXPR} = {half}"
        )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_contacts_search_0")
    op.execute("DROP INDEX IF EXISTS ix_contacts_search_1")
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")
    op.execute(f"CREATE INDEX ix_contacts_search ON contacts USING gin (({SEARCH_EXPR}) gin_trgm_ops)")
