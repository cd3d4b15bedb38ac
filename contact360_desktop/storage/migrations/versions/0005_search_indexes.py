"""contacts: one trigram index for the search box

The Contacts search is a case-insensitive substring match ("LIKE '%text%'"), which
no B-tree can serve: at 1,000,000 contacts it scanned the whole table (1.3-1.7 s
per keystroke). A GIN index of pg_trgm trigrams serves it, but only for the very
expression the query filters on, so the search matches ONE expression that holds
the email and the full name:

    lower(email) || E'\\n' || lower(coalesce(first_name, '') || ' ' || coalesce(last_name, ''))

``services.browse.CONTACT_SEARCH_EXPR`` is that expression (a test checks the
planner uses this index for it). lower(email) is lower() in the email's "C"
collation, as in the unique index; the newline keeps a search from matching across
the email and the name (the search box cannot hold one).

Company names are matched through ``contacts.company_id`` (the companies that match,
a small table, then ix_contacts_company_id), so the import pays for one extra index
on contacts and none on companies.

Revision ID: 0005
Revises: 0003
"""

from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
# After 0002 (email COLLATE "C"), so lower(email) here has the collation the queries see.
depends_on = None

SEARCH_EXPR = "lower(email) || E'\\n' || lower(coalesce(first_name, '') || ' ' || coalesce(last_name, ''))"


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    # A one-time build on an existing database (~1M rows: tens of seconds); more memory is faster.
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")
    op.execute(f"CREATE INDEX ix_contacts_search ON contacts USING gin (({SEARCH_EXPR}) gin_trgm_ops)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_contacts_search")
