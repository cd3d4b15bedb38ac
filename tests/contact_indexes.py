"""What indexes the contacts table has right now (bulk imports defer and rebuild them)."""

from __future__ import annotations

from sqlalchemy import Engine, text


def secondary_indexes(engine: Engine) -> set[str]:
    """Every contacts index but the primary key's and the unique email index."""
    with engine.connect() as conn:
        return set(
            conn.execute(
                text(
                    "SELECT indexname FROM pg_indexes WHERE tablename = 'contacts' "
                    "AND indexname NOT IN ('contacts_pkey', 'uq_contacts_email')"
                )
            ).scalars()
        )


def primary_key(engine: Engine) -> str | None:
    """The primary key constraint of contacts ("PRIMARY KEY (id)"), or None while it is deferred."""
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'contacts'::regclass AND contype = 'p'"
            )
        ).scalar()
