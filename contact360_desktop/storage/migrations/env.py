"""Alembic environment: runs on the connection handed over by storage.migrate."""

from alembic import context

from contact360_desktop.storage.models import Base

target_metadata = Base.metadata
connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - always called through storage.migrate
    raise RuntimeError("Run migrations with `contact360 db upgrade`.")

context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
