"""Lessons as data: one YAML file per lesson, one skeleton for all, validated on load."""

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

LESSON_DIR = Path(__file__).parent
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's, ten times faster, where PyYAML has it


class LessonError(ValueError):
    """A lesson file does not follow the skeleton."""


@dataclass(frozen=True)
class TryIt:
    label: str  # what to do, as a link text
    page: str  # url path of the demo page
    params: dict  # widget values the link sets
    look_for: str  # what the learner should notice


@dataclass(frozen=True)
class WrongAnswer:
    claim: str  # the answer that circulates
    correction: str  # why it is wrong, and what is right


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    short_answer: str  # the 30-second answer
    deep_answer: str  # what an interviewer probes next; Markdown with LaTeX
    try_it: tuple[TryIt, ...] = ()
    wrong_answers: tuple[WrongAnswer, ...] = ()


@dataclass(frozen=True)
class QuizItem:
    id: str
    covers: tuple[str, ...]  # question ids it checks
    prompt: str
    kind: str  # "choice" (one right option) or "number"
    explanation: str
    choices: tuple[str, ...] = ()
    answer: float | int = 0  # the right choice's index, or the number
    tolerance: float = 0.0  # for numbers: accepted absolute error


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    section: str  # syllabus letter
    intro: str
    questions: tuple[Question, ...]
    quiz: tuple[QuizItem, ...] = field(default=())

    def question(self, question_id: str) -> Question:
        return next(q for q in self.questions if q.id == question_id)


def _take(data: dict, where: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict:
    if not isinstance(data, dict):
        raise LessonError(f"{where}: expected a mapping, got {type(data).__name__}")
    missing = [k for k in required if not data.get(k) and data.get(k) != 0]
    unknown = set(data) - set(required) - set(optional)
    if missing:
        raise LessonError(f"{where}: missing {', '.join(missing)}")
    if unknown:
        raise LessonError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    return data


def _question(raw: dict, where: str) -> Question:
    q = _take(raw, where, ("id", "question", "short_answer", "deep_answer"), ("try_it", "wrong_answers"))
    try_it = tuple(
        TryIt(**_take(t, f"{where} try_it {i}", ("label", "page", "params", "look_for")))
        for i, t in enumerate(q.get("try_it") or [], 1))
    wrong = tuple(WrongAnswer(**_take(w, f"{where} wrong answer {i}", ("claim", "correction")))
                  for i, w in enumerate(q.get("wrong_answers") or [], 1))
    return Question(q["id"], " ".join(q["question"].split()), q["short_answer"].strip(), q["deep_answer"].strip(),
                    try_it, wrong)


def _quiz_item(raw: dict, where: str, question_ids: set[str]) -> QuizItem:
    item = _take(raw, where, ("id", "covers", "prompt", "kind", "explanation", "answer"),
                 ("choices", "tolerance"))
    covers = tuple(item["covers"])
    if unknown := [c for c in covers if c not in question_ids]:
        raise LessonError(f"{where}: covers unknown question(s) {', '.join(unknown)}")
    choices = tuple(item.get("choices") or ())
    if item["kind"] == "choice":
        if len(choices) < 2 or not isinstance(item["answer"], int) or not 0 <= item["answer"] < len(choices):
            raise LessonError(f"{where}: a choice item needs 2+ choices and the right one's index as answer")
    elif item["kind"] == "number":
        if not isinstance(item["answer"], int | float):
            raise LessonError(f"{where}: a number item needs a numeric answer")
    else:
        raise LessonError(f"{where}: kind must be 'choice' or 'number'")
    return QuizItem(item["id"], covers, item["prompt"].strip(), item["kind"], item["explanation"].strip(),
                    choices, item["answer"], float(item.get("tolerance", 0.0)))


def parse(raw: dict, where: str = "lesson") -> Lesson:
    """Build and validate a Lesson from its YAML data."""
    data = _take(raw, where, ("id", "title", "section", "intro", "questions"), ("quiz",))
    questions = tuple(_question(q, f"{where} question {i}") for i, q in enumerate(data["questions"], 1))
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        raise LessonError(f"{where}: question ids repeat")
    quiz = tuple(_quiz_item(q, f"{where} quiz {i}", set(ids)) for i, q in enumerate(data.get("quiz") or [], 1))
    if uncovered := [q for q in ids if not any(q in item.covers for item in quiz)]:
        raise LessonError(f"{where}: no quiz item checks {', '.join(uncovered)}")
    return Lesson(data["id"], data["title"], str(data["section"]), data["intro"].strip(), questions, quiz)


@cache
def load_all() -> tuple[Lesson, ...]:
    """Every lesson in lessons/, in syllabus order."""
    lessons = []
    for path in sorted(LESSON_DIR.glob("*.yaml")):
        with path.open(encoding="utf-8") as f:
            lessons.append(parse(yaml.load(f, Loader=SafeLoader), path.name))
    return tuple(sorted(lessons, key=lambda lesson: lesson.section))
