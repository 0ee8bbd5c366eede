import itertools
from types import SimpleNamespace

import pytest

from lessons import load_all, parse
from lessons.grading import grade, option_order, parse_number
from lessons.plan import SELF_GRADES, draw_questions, lesson_progress, next_step

ITEMS = [(lesson, item) for lesson in load_all() for item in lesson.quiz]


def item_of(kind: str, options=None, **fields):
    options = options or [{"text": "a", "why": "wa"}, {"text": "b", "why": "wb", "right": True},
                          {"text": "c", "why": "wc", "right": kind == "multi"}]
    quiz = {"id": "k", "covers": ["q"], "prompt": "p", "kind": kind, "explanation": "e", **fields}
    if kind != "number":
        quiz["choices"] = options
    lesson = parse({"id": "x", "title": "X", "section": "Z", "intro": "i", "quiz": [quiz],
                    "questions": [{"id": "q", "question": "Q?", "short_answer": "s", "deep_answer": "d"}]})
    return lesson.quiz[0]


@pytest.mark.parametrize("lesson, item", ITEMS, ids=[f"{lesson.id}-{item.id}" for lesson, item in ITEMS])
def test_every_quiz_item_grades_its_right_answer_right_and_every_other_answer_wrong(lesson, item):
    if item.kind == "number":
        right = item.number()
        assert grade(item, right).correct
        assert not grade(item, right + 2 * item.tolerance + max(1e-6, abs(right) * 1e-3)).correct
        return
    if item.kind == "predict":  # graded against the run; see test_predictions
        return
    assert grade(item, sorted(item.right)).correct
    options = range(len(item.options))
    every_other = [set(c) for n in range(1, len(item.options) + 1) for c in itertools.combinations(options, n)
                   if set(c) != item.right]
    if item.kind == "choice":
        every_other = [c for c in every_other if len(c) == 1]
    assert not any(grade(item, sorted(c)).correct for c in every_other)


def test_a_multi_item_gives_partial_credit_and_takes_off_for_wrong_marks():
    item = item_of("multi")  # b and c are right
    assert grade(item, [1, 2]).score == 1.0 and grade(item, [1, 2]).correct
    assert grade(item, [1]).score == 0.5 and not grade(item, [1]).correct
    assert grade(item, [0, 1]).score == 0.0
    assert grade(item, [0, 1, 2]).score == 0.5


def test_a_number_item_accepts_answers_within_its_tolerance():
    item = item_of("number", answer=0.12, tolerance=0.005)
    assert grade(item, 0.124).correct and grade(item, 0.116).correct
    assert not grade(item, 0.13).correct
    assert not grade(item, None).correct


def test_a_computed_number_item_is_graded_against_what_the_engine_computes():
    item = item_of("number", compute={"fn": "engine.descent_demos.updates_per_epoch",
                                      "args": {"n": 10_000, "batch_size": 200}})
    assert item.number() == 50
    assert grade(item, 50).correct and not grade(item, 10_000 / 50).correct


def test_a_predict_item_is_graded_against_what_happened_not_against_the_stored_answer():
    item = item_of("predict", run={"fn": "engine.predictions.learning_rate", "args": {"lr": 5.0}})
    assert grade(item, [0], happened=0).correct
    assert not grade(item, [1], happened=0).correct


def test_options_are_shuffled_the_same_way_for_the_same_learner_and_differently_across_items():
    items = [item for _, item in ITEMS if len(item.options) >= 4]
    orders = [option_order(item, "7") for item in items]
    assert all(sorted(order) == list(range(len(item.options))) for order, item in zip(orders, items, strict=True))
    assert orders == [option_order(item, "7") for item in items]
    assert sum(order == sorted(order) for order in orders) < len(orders) / 4  # most are shuffled
    first_right = [order.index(min(item.right)) for order, item in zip(orders, items, strict=True)]
    assert len(set(first_right)) >= 3  # the right answer lands in every position, not one


@pytest.mark.parametrize("typed, value", [("0.12", 0.12), (" 50 ", 50.0), ("1e-3", 0.001), ("1,000", 1000.0),
                                          ("12%", 0.12), ("−3", -3.0), ("3×10^-8", 3e-8), ("2.5x10^3", 2500.0)])
def test_numbers_are_read_as_learners_type_them(typed, value):
    assert parse_number(typed) == pytest.approx(value)


@pytest.mark.parametrize("typed", ["", "abc", "nan", "inf", "1/2", "--1"])
def test_unreadable_numbers_are_none(typed):
    assert parse_number(typed) is None


def attempt(correct: bool):
    return SimpleNamespace(correct=correct)


def test_progress_counts_each_items_latest_answer():
    lessons = load_all()[:2]
    first = lessons[0]
    latest = {(first.id, first.quiz[0].id): attempt(True), (first.id, first.quiz[1].id): attempt(False)}
    rows = lesson_progress(lessons, latest)
    assert (rows[0].answered, rows[0].right, rows[0].total) == (2, 1, len(first.quiz))
    assert (rows[1].answered, rows[1].right) == (0, 0)


def test_the_next_step_is_the_due_reviews_then_the_started_lesson_then_the_first_unstarted_one():
    lessons = load_all()
    first, second = lessons[0], lessons[1]
    assert "review item" in next_step(lesson_progress(lessons, {}), due=2).text
    assert next_step(lesson_progress(lessons, {}), due=0).lesson == first
    started = {(second.id, second.quiz[0].id): attempt(True)}
    assert next_step(lesson_progress(lessons, started), due=0).lesson == second
    everything = {(lesson.id, item.id): attempt(True) for lesson in lessons for item in lesson.quiz}
    done = next_step(lesson_progress(lessons, everything), due=0)
    assert done.lesson is None and "mock interview" in done.text


def test_a_mock_interview_draws_distinct_questions_from_the_chosen_lessons_only():
    chosen = list(load_all()[:2])
    drawn = draw_questions(chosen, 6, seed=3)
    assert len(drawn) == len({(lesson.id, q.id) for lesson, q in drawn}) == 6
    assert {lesson.id for lesson, _ in drawn} <= {lesson.id for lesson in chosen}
    assert drawn == draw_questions(chosen, 6, seed=3)
    assert len(draw_questions(chosen[:1], 1000, seed=3)) == len(chosen[0].questions)
    assert SELF_GRADES["Nailed it"] == 1.0 and SELF_GRADES["Missed it"] == 0.0
