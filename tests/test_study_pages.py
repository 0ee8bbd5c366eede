"""AppTest: graded quizzes saved to the progress store, Home's study plan, and the mock interview."""

import uuid
from datetime import UTC, datetime, timedelta

from streamlit.testing.v1 import AppTest

from lessons import load_all
from progress import Store
from tests.test_pages import APP, TIMEOUT, no_exception

LESSON = next(lesson for lesson in load_all() if any(item.kind == "choice" for item in lesson.quiz))
ITEM = next(item for item in LESSON.quiz if item.kind == "choice")
KEY = f"quiz_{LESSON.id}_{ITEM.id}"


def as_new_learner(at: AppTest) -> int:
    """Each test is a learner of its own in the test run's database."""
    learner_id = Store().learner(f"test-{uuid.uuid4().hex[:8]}")
    at.session_state["learner_id"] = learner_id
    return learner_id


def open_lesson(lesson_id: str = LESSON.id) -> tuple[AppTest, int]:
    def script(lesson_id):
        from lessons import load_all
        from ui.lesson_view import render

        render(next(lesson for lesson in load_all() if lesson.id == lesson_id))

    at = AppTest.from_function(script, args=(lesson_id,), default_timeout=TIMEOUT)
    learner_id = as_new_learner(at)
    return at.run(), learner_id


def submit(at: AppTest, key: str = KEY) -> None:
    next(b for b in at.button if b.label == "Check my answer" and b.form_id == key).click().run()


def test_a_quiz_answer_is_graded_explained_and_saved():
    at, me = open_lesson()
    wrong = next(i for i in range(len(ITEM.options)) if i not in ITEM.right)
    at.radio(key=f"{KEY}_radio").set_value(wrong)
    submit(at)
    no_exception(at)
    assert any(e.value == "Not this one." for e in at.error)
    shown = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert all(option.why in shown for option in ITEM.options)  # every option explained, not only the right one
    (saved,) = Store().attempts(me)
    assert (saved.lesson_id, saved.item_id, saved.response, saved.correct) == (LESSON.id, ITEM.id, [wrong], False)

    at.radio(key=f"{KEY}_radio").set_value(min(ITEM.right))
    submit(at)
    assert any(e.value == "Right." for e in at.success)
    assert [a.correct for a in Store().attempts(me)] == [False, True]


def test_an_empty_or_unreadable_answer_gets_a_sentence_and_saves_nothing():
    at, me = open_lesson()
    submit(at)
    assert any("Pick an answer first" in w.value for w in at.warning)
    lesson, item = next((lesson, item) for lesson in load_all() for item in lesson.quiz if item.kind == "number")
    at, me = open_lesson(lesson.id)
    key = f"quiz_{lesson.id}_{item.id}"
    at.text_input(key=f"{key}_number").input("about a dozen")
    submit(at, key)
    assert any("Type a number" in w.value for w in at.warning)
    at.text_input(key=f"{key}_number").input(f"{item.number():g}")
    submit(at, key)
    assert any(s.value.startswith("Right") for s in at.success)
    assert [a.response for a in Store().attempts(me)] == [item.number()]


def test_home_shows_the_missed_item_in_the_review_queue_and_the_progress_per_topic():
    store = Store()
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    me = as_new_learner(at)
    wrong = next(i for i in range(len(ITEM.options)) if i not in ITEM.right)
    store.record(me, LESSON.id, ITEM.id, kind="choice", response=[wrong], correct=False,
                 now=datetime.now(UTC) - timedelta(hours=1))
    at.run()
    no_exception(at)
    assert any("1 review item" in m.value for m in at.markdown)
    assert at.radio(key=f"review_{LESSON.id}_{ITEM.id}_radio") is not None
    assert any("0 of" in p.proto.text for p in at.get("progress"))
    # answering it right from the queue reschedules it into the future
    at.radio(key=f"review_{LESSON.id}_{ITEM.id}_radio").set_value(min(ITEM.right))
    next(b for b in at.button if b.form_id == f"review_{LESSON.id}_{ITEM.id}").click().run()
    assert [a.source for a in store.attempts(me)] == ["lesson", "review"]
    assert store.due(me) == []


def test_home_search_finds_the_lesson_for_a_question_in_other_words():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    as_new_learner(at)
    at.run()
    at.text_input(key="home_search").input("my training loss turns into NaN, what went wrong?").run()
    no_exception(at)
    assert at.get("page_link"), "no result"


def test_a_mock_interview_runs_to_its_summary_and_saves_self_grades():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    me = as_new_learner(at)
    at.run()
    at.switch_page("app_pages/mock_interview.py").run()
    at.slider[0].set_value(3).run()
    next(b for b in at.button if b.label == "Start the interview").click().run()
    for grade in ("Nailed it", "Partly", "Missed it"):
        no_exception(at)
        next(b for b in at.button if b.label == "Reveal the model answer").click().run()
        assert any(m.value.startswith("**In 30 seconds.**") for m in at.markdown)
        next(b for b in at.button if b.label == grade).click().run()
    no_exception(at)
    assert at.metric[0].value == "1.5 of 3"
    saved = Store().attempts(me)
    assert [(a.source, a.kind, a.score) for a in saved] == [("mock", "open", 1.0), ("mock", "open", 0.5),
                                                             ("mock", "open", 0.0)]
    assert Store().scheduled(me) == []  # self-grades do not enter the review queue
    assert any(m.value == "Revisit these lessons:" for m in at.markdown)


def test_a_prediction_is_graded_against_the_real_run_and_saved():
    from tests.test_pages import settle

    lesson, item = next((lesson, item) for lesson in load_all() for item in lesson.quiz if item.kind == "predict")
    at, me = open_lesson(lesson.id)
    key = f"quiz_{lesson.id}_{item.id}"
    at.radio(key=f"{key}_radio").set_value(min(item.right))
    next(b for b in at.button if b.label == "Predict, then run the demo" and b.form_id == key).click().run()
    settle(at, lambda at: any(m.value.startswith("**What happened.**") for m in at.markdown), timeout=120)
    no_exception(at)
    assert any(s.value == "Your prediction matched the run." for s in at.success)
    (saved,) = Store().attempts(me)
    assert (saved.item_id, saved.kind, saved.correct) == (item.id, "predict", True)
