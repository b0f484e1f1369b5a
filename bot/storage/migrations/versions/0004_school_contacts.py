"""Help at school: how staff reach the school's vertrouwenspersoon and bedrijfsarts / arbodienst.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "school_contacts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("school_id", sa.Integer(), sa.ForeignKey("schools.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("name", sa.String(100), nullable=True),
        sa.Column("name_agreed", sa.Boolean(), nullable=False),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("url", sa.String(300), nullable=True),
        sa.Column("hours", sa.String(200), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("school_id", "kind", name="uq_school_contacts_key"),
        sa.CheckConstraint("name IS NULL OR name_agreed", name="ck_school_contacts_name_agreed"),
        sa.CheckConstraint("kind IN ('vertrouwenspersoon', 'bedrijfsarts')", name="ck_school_contacts_kind"),
    )


def downgrade() -> None:
    op.drop_table("school_contacts")
