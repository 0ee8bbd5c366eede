import math
import re

import pytest

from lessons import LessonError, coverage, load_all, parse
from ui.params import validate
from ui.topics import BY_SLUG, TOPICS

LESSONS = load_all()


def test_lessons_load_and_cover_syllabus_sections_a_b_and_d():
    assert {"A", "B", "D"} <= {lesson.section for lesson in LESSONS}


def test_every_topics_syllabus_sections_have_a_lesson_that_links_to_its_page():
    for topic in TOPICS:
        for section in topic.syllabus:
            lessons = [lesson for lesson in LESSONS if lesson.section == section]
            assert lessons, f"{topic.slug}: no lesson for section {section}"
            assert any(link.page == topic.slug for lesson in lessons for q in lesson.questions for link in q.try_it)


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_every_try_it_link_opens_a_real_page_with_valid_values(lesson):
    for question in lesson.questions:
        for link in question.try_it:
            assert link.page in BY_SLUG, f"{question.id}: no topic page {link.page!r}"
            assert validate(BY_SLUG[link.page].params, link.params) == [], question.id


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_every_question_is_checked_by_a_quiz_item(lesson):
    checked = {qid for item in lesson.quiz for qid in item.covers}
    assert checked == {q.id for q in lesson.questions}


def test_lesson_ids_are_unique_across_lessons():
    ids = [lesson.id for lesson in LESSONS]
    assert len(ids) == len(set(ids))


MINIMAL = {
    "id": "x", "title": "X", "section": "Z", "intro": "i",
    "questions": [{"id": "q", "syllabus": ["A1"], "question": "Q?", "short_answer": "s", "deep_answer": "d"}],
    "quiz": [{"id": "k", "covers": ["q"], "prompt": "p", "kind": "choice", "explanation": "e",
              "choices": [{"text": "a", "why": "wa"}, {"text": "b", "why": "wb", "right": True}]}],
}


def test_a_minimal_lesson_parses():
    lesson = parse(MINIMAL)
    assert lesson.question("q").short_answer == "s"
    assert [o.text for o in lesson.quiz[0].options] == ["a", "b"]
    assert lesson.quiz[0].right == {1}


@pytest.mark.parametrize("breakage, message", [
    (lambda d: d.pop("intro"), "missing intro"),
    (lambda d: d["questions"][0].update(colour="red"), "unknown field"),
    (lambda d: d["quiz"][0].update(answer=5), "has no field answer"),
    (lambda d: d["quiz"][0]["choices"][0].update(right=True), "exactly one option marked right"),
    (lambda d: d["quiz"][0]["choices"][0].pop("why"), "option 1: missing why"),
    (lambda d: d["quiz"][0].update(kind="multi", choices=[{"text": "a", "why": "w"}, {"text": "b", "why": "w"}]),
     "one or more option marked right"),
    (lambda d: d["quiz"][0].update(kind="number", choices=None), "has no field choices"),
    (lambda d: d["quiz"][0].update(kind="number", answer=1, compute={"fn": "os.system"}) or d["quiz"][0].pop("choices"),
     "needs either answer or compute"),
    (lambda d: d["quiz"][0].update(kind="number", compute={"fn": "os.system"}) or d["quiz"][0].pop("choices"),
     "must name a function in engine/"),
    (lambda d: d["questions"][0].update(syllabus=["Z9"]), "unknown syllabus id"),
    (lambda d: d["questions"][0].update(wrong_answers=[{"claim": "c", "correction": "r", "number": 99}]),
     "no common wrong answer numbered 99"),
    (lambda d: d["quiz"].append(dict(d["quiz"][0])), "quiz item ids repeat"),
    (lambda d: d["quiz"][0].update(covers=["nope"]), "covers unknown"),
    (lambda d: d.update(quiz=[]), "no quiz item checks q"),
    (lambda d: d["quiz"][0].update(kind="essay"), "kind must be"),
])
def test_a_broken_lesson_is_rejected_with_the_reason(breakage, message):
    import copy

    data = copy.deepcopy(MINIMAL)
    breakage(data)
    with pytest.raises(LessonError, match=message):
        parse(data)


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_every_question_names_the_syllabus_questions_it_answers(lesson):
    assert [q.id for q in lesson.questions if not q.syllabus] == []


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_every_option_of_every_quiz_item_is_explained(lesson):
    unexplained = [item.id for item in lesson.quiz for o in item.options if len(o.why) < 15 or "to write" in o.why]
    assert unexplained == []


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_no_option_points_at_another_by_position_since_options_are_shuffled(lesson):
    pattern = re.compile(r"\b(all|none|both) of the above\b|\b(options?|answers?) [A-E]\b|\b[A-E] and [A-E]\b", re.I)
    assert [item.id for item in lesson.quiz for o in item.options if pattern.search(o.text)] == []


def test_the_right_answer_is_the_longest_option_no_more_often_than_chance():
    items = [item for lesson in LESSONS for item in lesson.quiz if item.kind == "choice"]
    longest_right = sum(max(range(len(item.options)), key=lambda i: len(item.options[i].text)) in item.right
                        for item in items)
    chance = sum(1 / len(item.options) for item in items)
    assert longest_right <= chance * 1.15, f"longest in {longest_right} of {len(items)} (chance {chance:.0f})"


def test_number_items_computed_by_the_engine_give_a_number():
    for lesson in LESSONS:
        for item in lesson.quiz:
            if item.compute:
                assert math.isfinite(item.number()), item.id


def test_every_syllabus_question_has_a_lesson_answer_and_a_quiz_item():
    missing = [(row.syllabus_id, bool(row.answers), bool(row.quiz)) for row in coverage.rows()
               if not row.answers or not row.quiz]
    assert missing == []


def test_every_common_wrong_answer_is_shown_and_corrected_in_a_lesson():
    assert [number for number, homes in coverage.wrong_answer_homes().items() if not homes] == []


def test_the_coverage_table_in_docs_is_current():
    assert coverage.TABLE_PATH.read_text(encoding="utf-8") == coverage.markdown(), \
        "docs/coverage.md is stale: run python -m lessons.coverage"


def test_a_computed_number_can_read_one_field_of_the_engines_record():
    data = {**MINIMAL, "quiz": [{"id": "k", "covers": ["q"], "prompt": "p", "kind": "number", "explanation": "e",
                                 "compute": {"fn": "engine.tfidf.classic", "field": "tfidf",
                                             "args": {"count": 3, "length": 100, "n_docs": 10_000_000, "df": 1000}}}]}
    assert parse(data).quiz[0].number() == pytest.approx(0.12)
