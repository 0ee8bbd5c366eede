"""Saved progress: quiz attempts and spaced-repetition review cards, in a real database.

SQLite in WAL mode by default (a file, no set-up), PostgreSQL when `DLLAB_DATABASE_URL` names
one. The schema is versioned with Alembic; opening a store upgrades it in place.
"""

from progress.store import Attempt, Review, Store, database_url

__all__ = ["Attempt", "Review", "Store", "database_url"]
