"""contacts: the search index covers the email's local part; its domain gets a B-tree

The trigram halves of migration 0006 indexed the whole address and the full name, and
their build was the longest step of a first import (~10.5 CPU-s of ~45 per 1,000,000
rows; bench/import_benchmark.py). Most of those trigrams came from the domains: company
domains are long and each one's trigrams repeat in every row of the company. Now:

- ix_contacts_search_0/1: trigrams of the local part and the full name (the newline
  keeps a search from matching across them) -- 5.7 CPU-s for the same 950,842 contacts;
- ix_contacts_email_domain: a B-tree of the domain (1.2 s), which a search matches from
  its start ("acme" finds @acme.com and @acme.co.uk; "smith@acme" finds a local part
  ending in "smith" at a domain starting with "acme").

What the search no longer finds: text inside a domain but not at its start ("mail" for
@gmail.com). ``services.browse.contact_search`` builds the matching condition.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

NAME_EXPR = "lower(coalesce(first_name, '') || ' ' || coalesce(last_name, ''))"
SEARCH_EXPR = f"split_part(lower(email), '@', 1) || E'\\n' || {NAME_EXPR}"
OLD_SEARCH_EXPR = f"lower(email) || E'\\n' || {NAME_EXPR}"
DOMAIN_EXPR = "split_part(lower(email), '@', 2)"
HALF_EXPR = "(length(email) & 1)"


def _search_halves(expr: str) -> None:
    op.execute("DROP INDEX IF EXISTS ix_contacts_search_0")
    op.execute("DROP INDEX IF EXISTS ix_contacts_search_1")
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")
    for half in (0, 1):
        op.execute(
            f"CREATE INDEX ix_contacts_search_{half} ON contacts "
            f"USING gin (({expr}) gin_trgm_ops) WHERE {HALF_EXPR} = {half}"
        )


def upgrade() -> None:
    _search_halves(SEARCH_EXPR)
    op.execute(f"CREATE INDEX ix_contacts_email_domain ON contacts (({DOMAIN_EXPR}))")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_contacts_email_domain")
    _search_halves(OLD_SEARCH_EXPR)
