"""Fundament-scans per school and answer-feedback counters per team.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SCAN_ITEMS = (
    "visie",
    "leiderschap",
    "inwerken",
    "maatje",
    "waarderingsgesprekken",
    "professionalisering",
    "techniek",
    "verbinding",
    "efficacy",
    "groen",
    "geel",
    "rood",
)


def upgrade() -> None:
    op.create_table(
        "feedback_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("iso_year", sa.SmallInteger(), nullable=False),
        sa.Column("iso_week", sa.SmallInteger(), nullable=False),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("helpful", sa.Integer(), nullable=False),
        sa.Column("not_helpful", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name="fk_feedback_counts_team_id_teams", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_feedback_counts"),
        sa.UniqueConstraint("team_id", "iso_year", "iso_week", "topic", name="uq_feedback_counts_key"),
    )
    op.create_table(
        "fundament_scans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        *(sa.Column(item, sa.SmallInteger(), nullable=True) for item in SCAN_ITEMS),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name="fk_fundament_scans_school_id_schools", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_fundament_scans"),
        *(
            sa.CheckConstraint(f"{item} BETWEEN 0 AND 2", name=f"ck_fundament_scans_{item}_range")
            for item in SCAN_ITEMS
        ),
    )
    op.create_index("ix_fundament_scans_school_date", "fundament_scans", ["school_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_fundament_scans_school_date", table_name="fundament_scans")
    op.drop_table("fundament_scans")
    op.drop_table("feedback_counts")
