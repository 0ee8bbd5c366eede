"""Finding lesson parts by id or label, for the tests that recompute the numbers lessons state."""

import re

from lessons import load_all

LESSONS = {lesson.id: lesson for lesson in load_all()}


def question(lesson_id: str, question_id: str):
    return LESSONS[lesson_id].question(question_id)


def link(lesson_id: str, label: str):
    """The Try-it link with this label."""
    return next(t for q in LESSONS[lesson_id].questions for t in q.try_it if t.label == label)


def quiz(lesson_id: str, item_id: str):
    return next(item for item in LESSONS[lesson_id].quiz if item.id == item_id)


def preset(spec: dict, link_) -> dict:
    """The page's values when the link opens it: every widget at its default, then the link's values."""
    return {name: param.default for name, param in spec.items()} | link_.params


def says(text: str, number: str) -> bool:
    """The text states this number (or phrase), not as part of a longer number; line breaks count as spaces."""
    return re.search(rf"(?<![\d.]){re.escape(number)}(?![\d])", " ".join(text.split())) is not None
