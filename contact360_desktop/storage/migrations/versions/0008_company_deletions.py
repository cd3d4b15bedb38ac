"""companies: deletions advance a sequence, so a running import sees them

An import now stages each contact's company id with the row (an id derived from the
company's domain or name, storage.staging.company_id) instead of looking the company
up per row, and it remembers the companies its earlier batches linked. A company
deleted meanwhile would leave the import's later rows pointing at nothing (there is
no foreign key: migration 0002), so the delete trigger also advances
``company_deletions``; an import that sees it move looks companies up again for the
rest of its rows (storage.contact_writer).

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _unlink_function(body: str) -> None:
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION contacts_unlink_deleted_companies() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            {body}
            UPDATE contacts SET company_id = NULL
            WHERE company_id IN (SELECT id FROM deleted_companies);
            RETURN NULL;
        END $$
        """
    )


def upgrade() -> None:
    op.execute("CREATE SEQUENCE company_deletions")
    _unlink_function("PERFORM nextval('company_deletions');")


def downgrade() -> None:
    _unlink_function("")
    op.execute("DROP SEQUENCE company_deletions")
