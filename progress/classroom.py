"""What a teacher sees: the whole class's answers, and the assignments students see on their Home page."""

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa

from progress.store import Store, _utc
from progress.tables import assignments, attempts, learners


def class_attempts(store: Store) -> list[dict]:
    """Every student's attempts, oldest first: learner_id, name, lesson_id, item_id, kind, source, correct, score,
    answered_at."""
    query = (sa.select(attempts.c.learner_id, learners.c.name, attempts.c.lesson_id, attempts.c.item_id,
                       attempts.c.kind, attempts.c.source, attempts.c.correct, attempts.c.score,
                       attempts.c.answered_at)
             .join(learners, learners.c.id == attempts.c.learner_id)
             .where(learners.c.role == "student").order_by(attempts.c.id))
    with store.engine.connect() as conn:
        rows = conn.execute(query).all()
    return [dict(row._mapping) | {"correct": bool(row.correct), "answered_at": _utc(row.answered_at)} for row in rows]


@dataclass(frozen=True)
class Assignment:
    id: int
    title: str
    lessons: tuple[str, ...]  # lesson ids
    demos: tuple[dict, ...]  # {"page", "params", "label"}: Try-it presets
    due: date


def add_assignment(store: Store, title: str, lessons: list[str], demos: list[dict], due: date) -> int:
    title = " ".join((title or "").split())[:200]
    if not title or not (lessons or demos):
        raise ValueError("An assignment needs a title and at least one lesson or demo.")
    with store.engine.begin() as conn:
        return conn.execute(assignments.insert().values(
            title=title, lessons=json.dumps(list(lessons)), demos=json.dumps(list(demos)), due=due,
            created_at=datetime.now(UTC))).inserted_primary_key[0]


def list_assignments(store: Store) -> list[Assignment]:
    """Every assignment, soonest due first."""
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(assignments).order_by(assignments.c.due, assignments.c.id)).all()
    return [Assignment(r.id, r.title, tuple(json.loads(r.lessons)), tuple(json.loads(r.demos)), r.due) for r in rows]


def delete_assignment(store: Store, assignment_id: int) -> None:
    with store.engine.begin() as conn:
        conn.execute(assignments.delete().where(assignments.c.id == assignment_id))
