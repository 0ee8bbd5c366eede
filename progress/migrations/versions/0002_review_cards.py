"""Spaced-repetition review cards; every item a learner last answered wrong gets one, due now.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "review_cards",
        sa.Column("learner_id", sa.Integer, sa.ForeignKey("learners.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("lesson_id", sa.String(100), primary_key=True),
        sa.Column("item_id", sa.String(100), primary_key=True),
        sa.Column("card", sa.Text, nullable=True),
        sa.Column("due", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_review_cards_due", "review_cards", ["learner_id", "due"])
    # Items whose latest attempt was wrong come back for review at once.
    op.execute("""
        INSERT INTO review_cards (learner_id, lesson_id, item_id, card, due)
        SELECT a.learner_id, a.lesson_id, a.item_id, NULL, a.answered_at
        FROM attempts a
        WHERE a.id = (SELECT MAX(b.id) FROM attempts b WHERE b.learner_id = a.learner_id
                      AND b.lesson_id = a.lesson_id AND b.item_id = a.item_id)
          AND NOT a.correct AND a.source != 'mock'
    """)


def downgrade() -> None:
    op.drop_table("review_cards")
