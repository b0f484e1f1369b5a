"""Respondents: school e-mail domains, team rosters with an audit list, released weeks,
holidays, the mail outbox, and each team's weekly mail schedule.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

DIMENSIONS = ("energie", "werkdruk", "verbinding", "waardering", "plezier")


def _team_fk() -> sa.Column:
    return sa.Column("team_id", sa.Integer(), sa.ForeignKey("teams.id", ondelete="CASCADE"), nullable=False)


def upgrade() -> None:
    with op.batch_alter_table("teams") as batch:
        batch.add_column(sa.Column("first_import_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("invite_weekday", sa.SmallInteger(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("invite_time", sa.String(5), nullable=False, server_default="07:30"))
        batch.add_column(sa.Column("reminder_weekday", sa.SmallInteger(), nullable=False, server_default="3"))

    op.create_table(
        "school_domains",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("school_id", sa.Integer(), sa.ForeignKey("schools.id", ondelete="CASCADE"), nullable=False),
        sa.Column("domain", sa.String(253), nullable=False),
        sa.UniqueConstraint("school_id", "domain", name="uq_school_domains_key"),
    )
    op.create_table(
        "members",
        sa.Column("id", sa.Integer(), primary_key=True),
        _team_fk(),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=True),
        sa.Column("token_version", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("counts_from", sa.Date(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("email", name="uq_members_email"),
        sa.UniqueConstraint("token_hash", name="uq_members_token_hash"),
    )
    op.create_index("ix_members_team_id", "members", ["team_id"])
    op.create_table(
        "roster_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        _team_fk(),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("masked_email", sa.String(254), nullable=False),
        sa.Column("actor", sa.String(254), nullable=False),
    )
    op.create_index("ix_roster_events_team_id", "roster_events", ["team_id"])
    op.create_table(
        "released_weeks",
        sa.Column("id", sa.Integer(), primary_key=True),
        _team_fk(),
        sa.Column("iso_year", sa.SmallInteger(), nullable=False),
        sa.Column("iso_week", sa.SmallInteger(), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("eligible", sa.Integer(), nullable=False),
        sa.Column("respondents", sa.Integer(), nullable=False),
        *(sa.Column(d, sa.String(64), nullable=False) for d in DIMENSIONS),
        sa.UniqueConstraint("team_id", "iso_year", "iso_week", name="uq_released_weeks_key"),
    )
    op.create_table(
        "team_holidays",
        sa.Column("id", sa.Integer(), primary_key=True),
        _team_fk(),
        sa.Column("iso_year", sa.SmallInteger(), nullable=False),
        sa.Column("iso_week", sa.SmallInteger(), nullable=False),
        sa.UniqueConstraint("team_id", "iso_year", "iso_week", name="uq_team_holidays_key"),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
        _team_fk(),
        sa.Column("iso_year", sa.SmallInteger(), nullable=False),
        sa.Column("iso_week", sa.SmallInteger(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("member_id", "iso_year", "iso_week", "kind", name="uq_outbox_key"),
    )
    op.create_index("ix_outbox_team_id", "outbox", ["team_id"])
    op.create_index("ix_outbox_due", "outbox", ["status", "next_attempt_at"])


def downgrade() -> None:
    for table in ("outbox", "team_holidays", "released_weeks", "roster_events", "members", "school_domains"):
        op.drop_table(table)
    with op.batch_alter_table("teams") as batch:
        for column in ("reminder_weekday", "invite_time", "invite_weekday", "first_import_at"):
            batch.drop_column(column)
