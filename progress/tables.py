"""The progress schema, as the latest migration leaves it."""

import sqlalchemy as sa

metadata = sa.MetaData()

learners = sa.Table(
    "learners", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),  # "local" in local mode
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("password_hash", sa.Text, nullable=True),  # classroom accounts only (argon2)
    sa.Column("role", sa.String(20), nullable=False, server_default="student"),  # "student" or "teacher"
)

attempts = sa.Table(
    "attempts", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("learner_id", sa.Integer, sa.ForeignKey("learners.id", ondelete="CASCADE"), nullable=False),
    sa.Column("lesson_id", sa.String(100), nullable=False),
    sa.Column("item_id", sa.String(100), nullable=False),  # a quiz item, or a question in a mock interview
    sa.Column("kind", sa.String(20), nullable=False),  # the item's kind; "open" for a self-graded question
    sa.Column("response", sa.Text, nullable=False),  # the learner's answer, as JSON
    sa.Column("correct", sa.Boolean, nullable=False),
    sa.Column("score", sa.Float, nullable=False),  # 0 to 1
    sa.Column("source", sa.String(20), nullable=False),  # "lesson", "review" or "mock"
    sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_attempts_learner_item", "learner_id", "lesson_id", "item_id"),
)

review_cards = sa.Table(
    "review_cards", metadata,
    sa.Column("learner_id", sa.Integer, sa.ForeignKey("learners.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("lesson_id", sa.String(100), primary_key=True),
    sa.Column("item_id", sa.String(100), primary_key=True),
    sa.Column("card", sa.Text, nullable=True),  # the scheduler's card as JSON; null: not yet reviewed
    sa.Column("due", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_review_cards_due", "learner_id", "due"),
)

sign_in_failures = sa.Table(
    "sign_in_failures", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_sign_in_failures_name", "name", "failed_at"),
)

sessions = sa.Table(
    "sessions", metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),  # sha256 of the browser's cookie, never the token
    sa.Column("learner_id", sa.Integer, sa.ForeignKey("learners.id", ondelete="CASCADE"), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
)

assignments = sa.Table(
    "assignments", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("lessons", sa.Text, nullable=False),  # JSON list of lesson ids
    sa.Column("demos", sa.Text, nullable=False),  # JSON list of {"page", "params", "label"}
    sa.Column("due", sa.Date, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
