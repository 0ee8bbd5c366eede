"""The study plan: progress per lesson, what to do next, and mock-interview question draws."""

import random
from dataclasses import dataclass

from lessons import Lesson, Question


@dataclass(frozen=True)
class LessonProgress:
    lesson: Lesson
    answered: int  # quiz items answered at least once
    right: int  # quiz items whose latest answer was right
    total: int

    @property
    def done(self) -> bool:
        return self.right == self.total


def lesson_progress(lessons: tuple[Lesson, ...], latest: dict) -> list[LessonProgress]:
    """Each lesson's quiz progress, from each item's latest attempt keyed by (lesson id, item id)."""
    rows = []
    for lesson in lessons:
        answers = [latest.get((lesson.id, item.id)) for item in lesson.quiz]
        rows.append(LessonProgress(lesson, sum(a is not None for a in answers),
                                   sum(a is not None and a.correct for a in answers), len(lesson.quiz)))
    return rows


@dataclass(frozen=True)
class NextStep:
    text: str  # one sentence in Markdown
    lesson: Lesson | None = None  # the lesson to open, if any


def next_step(progress: list[LessonProgress], due: int) -> NextStep:
    """What to do next: reviews that are due come first, then the first unfinished lesson in syllabus order."""
    if due:
        return NextStep(f"Answer the **{due} review item{'s' if due > 1 else ''}** due below: "
                        "questions you missed, back at the moment you are about to forget them.")
    started = [p for p in progress if p.answered and not p.done]
    unfinished = started or [p for p in progress if not p.done]
    if not unfinished:
        return NextStep("Every quiz item answered right. Try a **mock interview**: answer out loud, against the clock.")
    p = unfinished[0]
    if p.answered:
        return NextStep(f"Finish **{p.lesson.title}**: {p.right} of {p.total} quiz items right so far.", p.lesson)
    return NextStep(f"Start **{p.lesson.title}** (section {p.lesson.section}): read the answers, follow the "
                    "Try-it links, then take its quiz.", p.lesson)


def draw_questions(lessons: list[Lesson], count: int, seed: int) -> list[tuple[Lesson, Question]]:
    """A mock interview's questions: `count` distinct lesson questions drawn at random from the chosen lessons."""
    pool = [(lesson, q) for lesson in lessons for q in lesson.questions]
    return random.Random(seed).sample(pool, min(count, len(pool)))


SELF_GRADES = {"Nailed it": 1.0, "Partly": 0.5, "Missed it": 0.0}  # a mock answer, graded by the learner
