"""The progress store: record graded answers, schedule missed items for review, export, reset."""

import csv
import io
import json
import os
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fsrs import Card, Rating, Scheduler

from progress.tables import attempts, learners, review_cards

MIGRATIONS = Path(__file__).parent / "migrations"
SOURCES = ("lesson", "review", "mock")
_MIGRATING = threading.Lock()


def database_url() -> str:
    """`DLLAB_DATABASE_URL`, else a SQLite file in the user's data folder."""
    if url := os.environ.get("DLLAB_DATABASE_URL", "").strip():
        return url
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return f"sqlite:///{base / 'dl-interview-lab' / 'progress.sqlite'}"


@dataclass(frozen=True)
class Attempt:
    lesson_id: str
    item_id: str
    kind: str
    response: object  # what the learner answered (plain JSON data)
    correct: bool
    score: float
    source: str
    answered_at: datetime


@dataclass(frozen=True)
class Review:
    lesson_id: str
    item_id: str
    due: datetime


def _alembic_config(connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything here is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Store:
    """One database of progress. Safe to share between threads; several processes may write at once."""

    def __init__(self, url: str | None = None, *, upgrade: bool = True):
        self.url = url or database_url()
        sa_url = sa.make_url(self.url)
        self.is_sqlite = sa_url.get_backend_name() == "sqlite"
        if self.is_sqlite and sa_url.database not in (None, "", ":memory:"):
            Path(sa_url.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine = sa.create_engine(self.url, connect_args={"timeout": 30} if self.is_sqlite else {})
        if self.is_sqlite:
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
            sa.event.listen(self.engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        self.scheduler = Scheduler(enable_fuzzing=False)
        if upgrade:
            self.upgrade()

    def upgrade(self, revision: str = "head") -> None:
        """Bring the schema to `revision`, keeping every row.

        Alembic's commands are not thread-safe, so one thread of a process migrates at a time; across
        processes, SQLite's write lock (taken at BEGIN) or a PostgreSQL advisory lock serializes them.
        """
        if revision == "head" and self.revision() == self.head():
            return
        with _MIGRATING, self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql("SELECT pg_advisory_xact_lock(727274)")  # any fixed key of ours
            command.upgrade(_alembic_config(connection), revision)

    def revision(self) -> str | None:
        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    @staticmethod
    @cache
    def head() -> str:
        return ScriptDirectory(str(MIGRATIONS)).get_current_head()

    def close(self) -> None:
        self.engine.dispose()

    # learners

    def learner(self, name: str = "local") -> int:
        """The learner's id, created on first use."""
        with self.engine.begin() as conn:
            found = conn.execute(sa.select(learners.c.id).where(learners.c.name == name)).scalar()
            if found is not None:
                return found
            created = conn.execute(learners.insert().values(name=name, created_at=datetime.now(UTC)))
            return created.inserted_primary_key[0]

    # answers

    def record(self, learner_id: int, lesson_id: str, item_id: str, *, kind: str, response, correct: bool,
               score: float | None = None, source: str = "lesson", now: datetime | None = None) -> Attempt:
        """Save one graded answer, and schedule the item: a miss puts it in the review queue, and every
        answer to an item already there reschedules it."""
        if source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}")
        now = now or datetime.now(UTC)
        score = float(correct) if score is None else float(score)
        attempt = Attempt(lesson_id, item_id, kind, response, bool(correct), score, source, now)
        with self.engine.begin() as conn:
            conn.execute(attempts.insert().values(
                learner_id=learner_id, lesson_id=lesson_id, item_id=item_id, kind=kind,
                response=json.dumps(response), correct=bool(correct), score=score, source=source, answered_at=now))
            if source != "mock":
                self._schedule(conn, learner_id, lesson_id, item_id, correct, score, now)
        return attempt

    def _schedule(self, conn, learner_id, lesson_id, item_id, correct, score, now) -> None:
        key = ((review_cards.c.learner_id == learner_id) & (review_cards.c.lesson_id == lesson_id)
               & (review_cards.c.item_id == item_id))
        row = conn.execute(sa.select(review_cards.c.card).where(key)).first()
        if row is None and correct:
            return  # right the first time: nothing to review
        card = Card.from_dict(json.loads(row.card)) if row is not None and row.card else Card(due=now)
        rating = Rating.Good if correct else (Rating.Hard if score >= 0.5 else Rating.Again)
        card, _ = self.scheduler.review_card(card, rating, review_datetime=now)
        values = {"card": json.dumps(card.to_dict()), "due": card.due}
        if row is None:
            conn.execute(review_cards.insert().values(learner_id=learner_id, lesson_id=lesson_id, item_id=item_id,
                                                      **values))
        else:
            conn.execute(review_cards.update().where(key).values(**values))

    def attempts(self, learner_id: int) -> list[Attempt]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(attempts).where(attempts.c.learner_id == learner_id)
                                .order_by(attempts.c.id)).all()
        return [Attempt(r.lesson_id, r.item_id, r.kind, json.loads(r.response), bool(r.correct), r.score, r.source,
                        _utc(r.answered_at)) for r in rows]

    def latest(self, learner_id: int, source: str | None = None) -> dict[tuple[str, str], Attempt]:
        """Each item's latest attempt, keyed by (lesson id, item id)."""
        return {(a.lesson_id, a.item_id): a for a in self.attempts(learner_id) if source in (None, a.source)}

    def due(self, learner_id: int, now: datetime | None = None) -> list[Review]:
        """The review queue: items due by now, most overdue first."""
        now = now or datetime.now(UTC)
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(review_cards.c.lesson_id, review_cards.c.item_id, review_cards.c.due)
                                .where((review_cards.c.learner_id == learner_id) & (review_cards.c.due <= now))
                                .order_by(review_cards.c.due)).all()
        return [Review(r.lesson_id, r.item_id, _utc(r.due)) for r in rows]

    def scheduled(self, learner_id: int) -> list[Review]:
        """Every item in the learner's review schedule, due or not."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(review_cards.c.lesson_id, review_cards.c.item_id, review_cards.c.due)
                                .where(review_cards.c.learner_id == learner_id).order_by(review_cards.c.due)).all()
        return [Review(r.lesson_id, r.item_id, _utc(r.due)) for r in rows]

    # export and reset

    def export_json(self, learner_id: int) -> str:
        rows = [asdict(a) | {"answered_at": a.answered_at.isoformat()} for a in self.attempts(learner_id)]
        return json.dumps({"attempts": rows,
                           "reviews": [{"lesson_id": r.lesson_id, "item_id": r.item_id, "due": r.due.isoformat()}
                                       for r in self.scheduled(learner_id)]}, indent=1)

    def export_csv(self, learner_id: int) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["answered_at", "lesson_id", "item_id", "kind", "source", "correct", "score", "response"])
        for a in self.attempts(learner_id):
            writer.writerow([a.answered_at.isoformat(), a.lesson_id, a.item_id, a.kind, a.source, int(a.correct),
                             f"{a.score:g}", json.dumps(a.response)])
        return out.getvalue()

    def reset(self, learner_id: int) -> None:
        """Forget the learner's answers and review schedule."""
        with self.engine.begin() as conn:
            conn.execute(attempts.delete().where(attempts.c.learner_id == learner_id))
            conn.execute(review_cards.delete().where(review_cards.c.learner_id == learner_id))

    def integrity_ok(self) -> bool:
        if not self.is_sqlite:
            return True
        with self.engine.connect() as conn:
            return conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # Let SQLAlchemy issue BEGIN itself (see the "begin" listener), so writes take the lock up front.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable across app crashes in WAL mode
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
