"""Every lesson question, asked again in a learner's own words (tests/search_rephrasings.yaml), finds its lesson in
the top 3 of the lesson search."""

from pathlib import Path

import pytest
import yaml

from engine import tfidf
from engine.lesson_search import search
from lessons import load_all

REPHRASINGS = yaml.safe_load((Path(__file__).parent / "search_rephrasings.yaml").read_text(encoding="utf-8"))
QUESTIONS = {f"{lesson.id}/{q.id}": q.question for lesson in load_all() for q in lesson.questions}
TOP = 3  # Home shows three hits
CONTENT = tfidf.TfidfConfig(stop_words=True)


def test_every_lesson_question_has_a_rephrasing():
    missing = [key for key in QUESTIONS if key not in REPHRASINGS]
    assert not missing, ("Write a rephrasing in tests/search_rephrasings.yaml for:\n"
                         + "\n".join(f"  {key}: {QUESTIONS[key]}" for key in missing))


def test_every_rephrasing_belongs_to_a_lesson_question():
    stale = [key for key in REPHRASINGS if key not in QUESTIONS]
    assert not stale, f"No lesson question has these ids any more: {', '.join(stale)}"


def _runs(text: str, n: int = 3) -> set[tuple[str, ...]]:
    words = tfidf.tokenize(text, CONTENT)
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


@pytest.mark.parametrize("key", sorted(REPHRASINGS.keys() & QUESTIONS.keys()))
def test_a_rephrasing_copies_no_run_of_three_words_from_its_question(key):
    assert not _runs(REPHRASINGS[key]) & _runs(QUESTIONS[key]), f"{key}: say it in other words"


@pytest.mark.parametrize("key", sorted(REPHRASINGS.keys() & QUESTIONS.keys()))
def test_a_rephrasing_finds_its_lesson_in_the_top_3(key):
    lesson_id = key.split("/")[0]
    hits = search(REPHRASINGS[key], k=TOP)
    assert lesson_id in [h.lesson_id for h in hits], (
        f"{REPHRASINGS[key]!r} should find {key}; found "
        + "; ".join(f"{h.lesson_id}/{h.question_id} ({h.score:.2f})" for h in hits))
