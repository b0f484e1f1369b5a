"""Dashboard sessions on the server: the cookie holds only a random id, this table its SHA-256.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dashboard_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("id_hash", sa.String(64), nullable=False),
        sa.Column("coordinator_id", sa.Integer(), sa.ForeignKey("coordinators.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.UniqueConstraint("id_hash", name="uq_dashboard_sessions_id_hash"),
    )
    op.create_index("ix_dashboard_sessions_coordinator_id", "dashboard_sessions", ["coordinator_id"])


def downgrade() -> None:
    op.drop_index("ix_dashboard_sessions_coordinator_id", table_name="dashboard_sessions")
    op.drop_table("dashboard_sessions")
