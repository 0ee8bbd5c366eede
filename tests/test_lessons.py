import pytest

from lessons import LessonError, load_all, parse
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
    "questions": [{"id": "q", "question": "Q?", "short_answer": "s", "deep_answer": "d"}],
    "quiz": [{"id": "k", "covers": ["q"], "prompt": "p", "kind": "choice", "choices": ["a", "b"],
              "answer": 1, "explanation": "e"}],
}


def test_a_minimal_lesson_parses():
    lesson = parse(MINIMAL)
    assert lesson.question("q").short_answer == "s"
    assert lesson.quiz[0].choices == ("a", "b")


@pytest.mark.parametrize("breakage, message", [
    (lambda d: d.pop("intro"), "missing intro"),
    (lambda d: d["questions"][0].update(colour="red"), "unknown field"),
    (lambda d: d["quiz"][0].update(answer=5), "choice item"),
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
