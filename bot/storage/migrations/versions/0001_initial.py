"""Initial schema: schools, teams, check-ins, topic counts, coordinators.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

DIMENSIONS = ("energie", "werkdruk", "verbinding", "waardering", "plezier")


def upgrade() -> None:
    op.create_table(
        "schools",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_schools"),
        sa.UniqueConstraint("name", name="uq_schools_name"),
    )
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name="fk_teams_school_id_schools", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_teams"),
        sa.UniqueConstraint("code", name="uq_teams_code"),
        sa.UniqueConstraint("school_id", "name", name="uq_teams_school_name"),
    )
    op.create_index("ix_teams_school_id", "teams", ["school_id"])
    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("person_key", sa.String(64), nullable=False),
        sa.Column("iso_year", sa.SmallInteger(), nullable=False),
        sa.Column("iso_week", sa.SmallInteger(), nullable=False),
        *(sa.Column(d, sa.SmallInteger(), nullable=True) for d in DIMENSIONS),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name="fk_checkins_team_id_teams", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_checkins"),
        sa.UniqueConstraint("team_id", "person_key", "iso_year", "iso_week", name="uq_checkins_person_week"),
        *(sa.CheckConstraint(f"{d} BETWEEN 1 AND 5", name=f"ck_checkins_{d}_range") for d in DIMENSIONS),
    )
    op.create_index("ix_checkins_team_week", "checkins", ["team_id", "iso_year", "iso_week"])
    op.create_index("ix_checkins_person", "checkins", ["person_key"])
    op.create_table(
        "topic_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("iso_year", sa.SmallInteger(), nullable=False),
        sa.Column("iso_week", sa.SmallInteger(), nullable=False),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name="fk_topic_counts_team_id_teams", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_topic_counts"),
        sa.UniqueConstraint("team_id", "iso_year", "iso_week", "topic", name="uq_topic_counts_key"),
    )
    op.create_table(
        "coordinators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name="fk_coordinators_school_id_schools", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_coordinators"),
        sa.UniqueConstraint("email", name="uq_coordinators_email"),
    )
    op.create_index("ix_coordinators_school_id", "coordinators", ["school_id"])


def downgrade() -> None:
    op.drop_table("coordinators")
    op.drop_table("topic_counts")
    op.drop_table("checkins")
    op.drop_table("teams")
    op.drop_table("schools")
