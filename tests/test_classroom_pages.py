"""AppTest in classroom mode: signing in and joining, each student seeing only their own progress, the teacher's
dashboard and assignments, and typed text shown inert."""

import uuid
from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from lessons import load_all
from progress import Store, accounts, classroom
from tests.test_pages import APP, TIMEOUT, no_exception, settle

CODE = "join-ML-42"
LESSON = next(lesson for lesson in load_all() if any(item.kind == "choice" for item in lesson.quiz))
ITEM = next(item for item in LESSON.quiz if item.kind == "choice")


@pytest.fixture(autouse=True)
def classroom_mode(monkeypatch):
    monkeypatch.setenv("DLLAB_MODE", "classroom")
    monkeypatch.setenv("DLLAB_JOIN_CODE", CODE)


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:6]}"


def fresh() -> AppTest:
    return AppTest.from_file(APP, default_timeout=TIMEOUT).run()


def join(name: str, password: str = "long enough", code: str = CODE) -> AppTest:
    at = fresh()
    form = [t for t in at.text_input if t.label in ("Choose a name", "Choose a password", "Class join code")]
    for widget, value in zip(form, (name, password, code), strict=True):
        widget.input(value)
    next(b for b in at.button if b.label == "Join the class").click().run()
    return at


def sign_in(name: str, password: str) -> AppTest:
    at = fresh()
    next(t for t in at.text_input if t.label == "Name").input(name)
    next(t for t in at.text_input if t.label == "Password").input(password)
    next(b for b in at.button if b.label == "Sign in").click().run()
    return at


def test_nothing_but_the_sign_in_screen_shows_until_a_student_signs_in():
    at = fresh()
    no_exception(at)
    assert [t.label for t in at.tabs] == ["Sign in", "Join the class"]
    assert not any(t.value == "Your study plan" for t in at.header)


def test_a_student_joins_with_the_code_and_lands_on_their_study_plan():
    name = unique("Ada")
    at = join(name)
    no_exception(at)
    assert any(h.value == "Your study plan" for h in at.header)
    assert any(t.value == name for t in at.text)  # "Signed in as" in the sidebar


def test_a_wrong_code_or_password_gets_a_sentence_and_no_way_in():
    at = join(unique("Bo"), code="guess")
    assert any("join code is not this class's" in e.value for e in at.error)
    at = sign_in("nobody here", "whatever1")
    assert any(e.value == "Wrong name or password." for e in at.error)
    assert not any(h.value == "Your study plan" for h in at.header)


def test_each_student_sees_only_their_own_progress():
    store = Store()
    ada, bo = unique("Ada"), unique("Bo")
    ada_id = accounts.join(store, ada, "long enough", CODE, CODE)
    bo_id = accounts.join(store, bo, "long enough", CODE, CODE)
    wrong = next(i for i in range(len(ITEM.options)) if i not in ITEM.right)
    store.record(ada_id, LESSON.id, ITEM.id, kind="choice", response=[wrong], correct=False)
    seen_by_bo = sign_in(bo, "long enough")
    no_exception(seen_by_bo)
    assert seen_by_bo.session_state["learner_id"] == bo_id  # Home's export is built for the signed-in learner
    assert ITEM.id not in Store().export_csv(bo_id)  # Bo's export holds none of Ada's answers
    assert all("to try again" not in p.proto.text for p in seen_by_bo.get("progress"))
    seen_by_ada = sign_in(ada, "long enough")
    assert any("1 to try again" in p.proto.text for p in seen_by_ada.get("progress"))


def test_a_student_cannot_open_the_teachers_dashboard():
    at = join(unique("Cy"))
    no_exception(at)
    with pytest.raises(ValueError, match="Could not find a navigation page"):  # not even registered for a student
        at.switch_page("app_pages/teacher.py")


def test_the_dashboard_itself_refuses_anyone_but_a_teacher():
    def script():
        import runpy

        runpy.run_path("app_pages/teacher.py")

    at = AppTest.from_function(script, default_timeout=TIMEOUT)
    at.session_state["learner_id"], at.session_state["role"] = 1, "student"
    at.run()
    assert any(e.value == "This page is for the class's teachers." for e in at.error)
    assert not at.dataframe


def test_the_teacher_sees_the_class_and_students_see_the_assignment_inert():
    store = Store()
    teacher = unique("Rivera")
    accounts.set_account(store, teacher, "teacher password", "teacher")
    student = unique("Dee")
    student_id = accounts.join(store, student, "long enough", CODE, CODE)
    store.record(student_id, LESSON.id, ITEM.id, kind="choice", response=sorted(ITEM.right), correct=True)
    hostile = "<script>alert(1)</script> ![x](http://203.0.113.9/x.png) **bold** [link](http://203.0.113.9)"
    classroom.add_assignment(store, hostile, [LESSON.id], [], date(2030, 1, 1))

    at = sign_in(teacher, "teacher password")
    at.switch_page("app_pages/teacher.py").run()
    no_exception(at)
    assert at.title[0].value == "Class dashboard"
    names = [frame.value["student"].tolist() for frame in at.dataframe if "student" in frame.value]
    assert any(student in column for column in names)
    assert any(hostile in t.value for t in at.text)  # shown as plain text

    home = sign_in(student, "long enough")
    no_exception(home)
    assert any(hostile in t.value for t in home.text)
    rendered = " ".join(m.value for m in home.markdown)
    assert "203.0.113.9" not in rendered  # never handed to Markdown, so no image is fetched


def test_the_teachers_status_panel_reads_the_job_service():
    store = Store()
    teacher = unique("Kim")
    accounts.set_account(store, teacher, "teacher password", "teacher")
    at = sign_in(teacher, "teacher password")
    at.switch_page("app_pages/teacher.py").run()
    settle(at, lambda at: any(m.label == "Workers busy" for m in at.metric))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Workers busy"].endswith("of 2") and int(metrics["Runs waiting"]) >= 0
    assert int(metrics["Students"]) >= 1
