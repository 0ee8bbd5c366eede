"""The teacher's figures from the class's attempts, including a class that has joined but answered nothing."""

from datetime import UTC, datetime

from lessons import load_all
from lessons.reports import question_stats, roster_progress

LESSONS = load_all()
LESSON = next(lesson for lesson in LESSONS if len(lesson.quiz) >= 2)
TOPICS = [(LESSON.title, (LESSON.section,)), ("Elsewhere", ("no-such-section",))]
STUDENTS = [{"id": 1, "name": "Ada"}, {"id": 2, "name": "<b>Bo</b>"}]


def attempt(learner: int, item: int, correct: bool, source: str = "lesson", minute: int = 0) -> dict:
    return {"learner_id": learner, "name": STUDENTS[learner - 1]["name"], "lesson_id": LESSON.id,
            "item_id": LESSON.quiz[item].id, "kind": LESSON.quiz[item].kind, "source": source, "correct": correct,
            "score": float(correct), "answered_at": datetime(2026, 11, 2, 9, minute, tzinfo=UTC)}


def test_a_class_that_has_joined_but_answered_nothing_shows_zeros():
    table = roster_progress(LESSONS, TOPICS, STUDENTS, [])
    assert table.student.tolist() == ["Ada", "<b>Bo</b>"]
    assert table[LESSON.title].tolist() == [0.0, 0.0] and table.answered.tolist() == [0, 0]
    assert table["last active"].isna().all()
    assert question_stats(LESSONS, []).empty


def test_progress_counts_each_items_latest_answer_and_leaves_mock_interviews_out():
    rows = [attempt(1, 0, False, minute=1), attempt(1, 0, True, minute=2),  # right at the second try
            attempt(1, 1, True, source="mock", minute=3),  # a mock interview is not the lesson's quiz
            attempt(2, 0, True, minute=4), attempt(2, 0, False, minute=5)]  # right, then wrong: wrong now
    table = roster_progress(LESSONS, TOPICS, STUDENTS, rows).set_index("student")
    total = len(LESSON.quiz)
    assert table.loc["Ada", LESSON.title] == 1 / total and table.loc["<b>Bo</b>", LESSON.title] == 0.0
    assert table.loc["Ada", "Elsewhere"] == 0.0
    assert table.answered.tolist() == [1, 1]
    stats = question_stats(LESSONS, rows)
    assert stats.students.tolist() == [2]
    assert stats["right first time"].tolist() == [0.5] and stats["right now"].tolist() == [0.5]
