import csv
import io
from datetime import date, timedelta

import streamlit as st

from lessons import load_all
from lessons.reports import question_stats, roster_progress
from progress import accounts, classroom
from ui import auth
from ui.job_panel import runner, start_workers
from ui.lesson_view import try_it_query
from ui.progress import store
from ui.topics import TOPICS

st.title("Class dashboard")
if not auth.is_teacher():  # the navigation lists this page for teachers only; a typed address lands here
    st.error("This page is for the class's teachers.")
    st.stop()
db = store()
LESSONS = load_all()
students = [a for a in accounts.roster(db) if a["role"] == "student"]
rows = classroom.class_attempts(db)


@st.fragment(run_every=5)
def server_status() -> None:
    """The training server's load, refreshed every 5 s while the page is open."""
    if (jobs := runner()) is None:
        st.caption("The training workers are starting.")
        return
    status = jobs.status()
    cells = st.columns(5)
    cells[0].metric("Workers busy", f"{status['busy']} of {status['workers']}")
    cells[1].metric("Runs waiting", status["queued"])
    cells[2].metric("Runs in the last minute", status["runs_last_minute"])
    cells[3].metric("Answered from the cache", status["cache_hits"])
    cells[4].metric("Students", len(students))


st.subheader("Server")
start_workers()
server_status()

st.subheader("Progress per topic")
topics = [(topic.title, topic.syllabus) for topic in TOPICS]
others = sorted({lesson.section for lesson in LESSONS} - {s for _, sections in topics for s in sections})
topics += [(next(lesson.title for lesson in LESSONS if lesson.section == s), (s,)) for s in others]
progress = roster_progress(LESSONS, topics, students, rows)
if progress.empty:
    st.info("No student has joined yet. Give them the class join code.")
else:
    st.dataframe(progress, hide_index=True, column_config={
        title: st.column_config.ProgressColumn(title, format="percent", min_value=0, max_value=1)
        for title, _ in topics})  # a dataframe shows names as plain text, whatever they contain

st.subheader("Questions the class misses most")
stats = question_stats(LESSONS, rows)
if stats.empty:
    st.caption("No answers yet.")
else:
    st.dataframe(stats, hide_index=True, column_config={
        c: st.column_config.ProgressColumn(c, format="percent", min_value=0, max_value=1)
        for c in ("right first time", "right now")})



def class_csv() -> str:
    """Every student's answers as CSV, built when the teacher clicks, not at every redraw."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["name", "lesson_id", "item_id", "kind", "source", "correct", "score",
                                                "answered_at"], extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


st.download_button("Download every answer as CSV", class_csv, file_name="class-progress.csv",
                   mime="text/csv", icon=":material/download:", on_click="ignore")

st.subheader("One student")
if students:
    chosen = st.selectbox("Student", students, format_func=lambda a: a["name"], key="teacher_student")
    mine = [r for r in rows if r["learner_id"] == chosen["id"]]
    st.caption(f"{len(mine)} answers saved.")
    if mine:
        st.dataframe([{k: r[k] for k in ("answered_at", "lesson_id", "item_id", "source", "correct", "score")}
                      for r in reversed(mine)], hide_index=True)
    if not chosen["has_password"]:
        st.caption("This student signs in with the school's account; its password is changed there.")
    else:
        with st.form("teacher_password"):
            password = st.text_input("New password for this student", type="password", max_chars=200)
            if st.form_submit_button("Reset the password"):
                try:
                    accounts.set_password(db, chosen["id"], password)
                    st.success("Password reset, and any lock from failed sign-ins lifted. Tell the student their "
                               "new password; they are signed out everywhere else.")
                except accounts.AccountError as problem:
                    st.error(str(problem))
    if st.checkbox("I want to remove this student and everything they saved", key="teacher_confirm_remove"):
        if st.button("Remove the student", type="primary", icon=":material/person_remove:"):
            accounts.remove(db, chosen["id"])
            st.session_state.teacher_confirm_remove = False
            st.rerun()

st.subheader("Assignments")
st.caption("Students see these on their Home page, with their own progress on each lesson.")
for assignment in classroom.list_assignments(db):
    with st.container(border=True):
        st.text(f"{assignment.title} · due {assignment.due:%d %b %Y}")
        names = {lesson.id: lesson.title for lesson in LESSONS}
        st.caption("; ".join(names.get(lid, lid) for lid in assignment.lessons)
                   + (f"; {len(assignment.demos)} demos" if assignment.demos else ""))
        if st.button("Delete", key=f"teacher_delete_{assignment.id}", icon=":material/delete:"):
            classroom.delete_assignment(db, assignment.id)
            st.rerun()
links = {f"{lesson.id}/{q.id}/{i}": (lesson, link) for lesson in LESSONS for q in lesson.questions
         for i, link in enumerate(q.try_it)}
with st.form("teacher_assignment", clear_on_submit=True):
    title = st.text_input("Title", max_chars=200, placeholder="e.g. Week 3: optimizers")
    chosen_lessons = st.multiselect("Lessons", [lesson.id for lesson in LESSONS],
                                    format_func=lambda i: next(f"{x.section}. {x.title}" for x in LESSONS if x.id == i))
    chosen_demos = st.multiselect("Demos (lesson Try-it links)", list(links),
                                  format_func=lambda k: f"{links[k][0].section}: {links[k][1].label}")
    due = st.date_input("Due", value=date.today() + timedelta(days=7), min_value=date.today())
    if st.form_submit_button("Add the assignment", type="primary"):
        demos = [{"page": links[k][1].page, "params": try_it_query(links[k][1]), "label": links[k][1].label}
                 for k in chosen_demos]
        try:
            classroom.add_assignment(db, title, chosen_lessons, demos, due)
            st.rerun()
        except ValueError as problem:
            st.error(str(problem))
