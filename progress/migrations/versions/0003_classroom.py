"""Classroom mode: learners get a password hash and a role; sign-in sessions; failed sign-ins (for rate
limiting); assignments.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    with op.batch_alter_table("learners") as batch:
        batch.add_column(sa.Column("password_hash", sa.Text, nullable=True))
        batch.add_column(sa.Column("role", sa.String(20), nullable=False, server_default="student"))
    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Index("ix_sign_in_failures_name", "name", "failed_at"),
    )
    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("learner_id", sa.Integer, sa.ForeignKey("learners.id", ondelete="CASCADE"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("lessons", sa.Text, nullable=False),  # JSON list of lesson ids
        sa.Column("demos", sa.Text, nullable=False),  # JSON list of {"page", "params", "label"}
        sa.Column("due", sa.Date, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("assignments")
    op.drop_table("sessions")
    op.drop_table("sign_in_failures")
    with op.batch_alter_table("learners") as batch:
        batch.drop_column("role")
        batch.drop_column("password_hash")
