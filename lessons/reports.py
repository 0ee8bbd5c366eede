"""The teacher's figures, from the class's attempts (progress.classroom.class_attempts): progress per student
and topic, and which quiz questions the class misses most."""

import pandas as pd

from lessons import Lesson


def _latest(rows: list[dict]) -> pd.DataFrame:
    """Each student's latest lesson or review answer to each quiz item."""
    frame = pd.DataFrame(rows, columns=["learner_id", "name", "lesson_id", "item_id", "kind", "source", "correct",
                                        "score", "answered_at"])
    frame = frame[frame.source != "mock"].astype({"correct": bool})  # (an empty column would be of objects)
    if frame.empty:  # (grouping an empty frame would drop its columns)
        return frame
    return frame.groupby(["learner_id", "lesson_id", "item_id"], as_index=False).last()


def roster_progress(lessons: tuple[Lesson, ...], topics: list[tuple[str, tuple[str, ...]]], students: list[dict],
                    rows: list[dict]) -> pd.DataFrame:
    """One row per student: their name, the share of each topic's quiz items whose latest answer is right,
    items answered, and when they last answered. `topics`: (title, syllabus sections) pairs."""
    latest = _latest(rows)
    section_of = {lesson.id: lesson.section for lesson in lessons}
    totals = {title: sum(len(lesson.quiz) for lesson in lessons if lesson.section in sections)
              for title, sections in topics}
    table = []
    for student in students:
        mine = latest[latest.learner_id == student["id"]]
        right = mine[mine.correct]
        row = {"student": student["name"]}
        for title, sections in topics:
            in_topic = right.lesson_id.map(section_of).isin(sections).sum()
            row[title] = in_topic / totals[title] if totals[title] else 0.0
        every = [r for r in rows if r["learner_id"] == student["id"]]
        row["answered"] = len(mine)
        row["last active"] = max((r["answered_at"] for r in every), default=None)
        table.append(row)
    return pd.DataFrame(table, columns=["student", *[t for t, _ in topics], "answered", "last active"])


def question_stats(lessons: tuple[Lesson, ...], rows: list[dict]) -> pd.DataFrame:
    """One row per quiz item anyone answered: how many students tried it, and the share right at the first try
    and now; the most missed first."""
    frame = pd.DataFrame(rows, columns=["learner_id", "name", "lesson_id", "item_id", "kind", "source", "correct",
                                        "score", "answered_at"])
    frame = frame[frame.source != "mock"]
    if frame.empty:
        return pd.DataFrame(columns=["lesson", "question", "students", "right first time", "right now"])
    prompts = {(lesson.id, item.id): (lesson.title, " ".join(item.prompt.split())) for lesson in lessons
               for item in lesson.quiz}
    grouped = frame.groupby(["lesson_id", "item_id", "learner_id"]).correct
    per_student = pd.DataFrame({"first": grouped.first(), "now": grouped.last()}).reset_index()
    stats = per_student.groupby(["lesson_id", "item_id"]).agg(
        students=("learner_id", "nunique"), first=("first", "mean"), now=("now", "mean")).reset_index()
    stats = stats[[(lid, iid) in prompts for lid, iid in zip(stats.lesson_id, stats.item_id, strict=True)]]
    return pd.DataFrame({
        "lesson": [prompts[(lid, iid)][0] for lid, iid in zip(stats.lesson_id, stats.item_id, strict=True)],
        "question": [prompts[(lid, iid)][1] for lid, iid in zip(stats.lesson_id, stats.item_id, strict=True)],
        "students": stats.students.to_numpy(), "right first time": stats["first"].to_numpy(),
        "right now": stats["now"].to_numpy(),
    }).sort_values(["right first time", "students"], ascending=[True, False], ignore_index=True)
