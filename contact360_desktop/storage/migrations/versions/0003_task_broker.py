"""task layer: Huey broker tables on PostgreSQL, job redelivery counter

Revision ID: 0003
Revises: 0002

The embedded deployment uses PostgreSQL as the Huey broker. The tables are the
ones huey.storage.PostgresStorage creates (same names, columns and indexes, so
Huey's own SQL works unchanged) plus ``huey_kv.expires_at``: results and task
states expire like they do on Redis (tasks.brokers.ExpiringPostgresStorage).
Creating them here rather than at run time keeps concurrent worker start-ups
from racing on CREATE TABLE.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "huey_kv",
        sa.Column("queue", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("queue", "key"),
    )
    op.create_index("huey_kv_expires_at", "huey_kv", ["expires_at"], postgresql_where=sa.text("expires_at IS NOT NULL"))
    op.create_table(
        "huey_schedule",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), primary_key=True),
        sa.Column("queue", sa.Text(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("timestamp", sa.Float(), nullable=False),
    )
    op.create_index("huey_schedule_queue_timestamp", "huey_schedule", ["queue", "timestamp"])
    op.create_table(
        "huey_task",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), primary_key=True),
        sa.Column("queue", sa.Text(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("priority", sa.Float(), nullable=False, server_default=sa.text("0.0")),
    )
    op.create_index("huey_task_queue_priority_id", "huey_task", ["queue", sa.text("priority DESC"), "id"])
    op.create_table(
        "huey_counter",
        sa.Column("queue", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
        sa.PrimaryKeyConstraint("queue", "key"),
    )
    for table in ("contact_import_jobs", "exports"):
        op.add_column(table, sa.Column("redeliveries", sa.Integer(), server_default=sa.text("0"), nullable=False))
    op.add_column("worker_processes", sa.Column("task_started_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("worker_processes", "task_started_at")
    for table in ("contact_import_jobs", "exports"):
        op.drop_column(table, "redeliveries")
    for table in ("huey_counter", "huey_task", "huey_schedule", "huey_kv"):
        op.drop_table(table)
