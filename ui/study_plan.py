"""Home's study plan: lesson search, progress per topic, what to do next, the review queue, saved data."""

import streamlit as st

from lessons import Lesson, load_all
from lessons.plan import lesson_progress, next_step
from ui.navigation import lesson_page, topic_page
from ui.progress import learner, store, unsaved_note
from ui.quiz import quiz_item
from ui.topics import TOPICS

REVIEWS_SHOWN = 5  # review items drawn at once; the rest wait for the next visit


@st.fragment
def search_box() -> None:
    """A question in the learner's own words finds the lessons that answer it."""
    from engine.lesson_search import search

    query = st.text_input("Search the lessons", placeholder="Ask in your own words, e.g. why does my loss become NaN?",
                          key="home_search", max_chars=500, icon=":material/search:")
    if not query.strip():
        return
    try:
        hits = search(query, k=3)
    except ValueError as problem:
        st.warning(str(problem))
        return
    if not hits:
        st.info("No lesson uses those words. Try other words, or a term such as *dropout*, *ReLU* or *TF-IDF*.")
        return
    lessons = {lesson.id: lesson for lesson in load_all()}
    for hit in hits:
        st.page_link(lesson_page(lessons[hit.lesson_id]), label=hit.question, icon=":material/school:")
        st.caption(f"{hit.lesson_title} · matched on: {', '.join(hit.terms[:6])}")


def plan(lessons: tuple[Lesson, ...]) -> None:
    """What to do next, progress per topic, and the items due for review."""
    db, me = store(), learner()
    unsaved_note()
    latest = db.latest(me) if db else {}
    due = db.due(me) if db else []
    items = {(lesson.id, item.id): (lesson, item) for lesson in lessons for item in lesson.quiz}
    due = [r for r in due if (r.lesson_id, r.item_id) in items]  # items a lesson no longer has are skipped
    progress = lesson_progress(lessons, latest)
    step = next_step(progress, len(due))
    _assignments(db, progress)
    with st.container(border=True):
        st.markdown(f":material/flag: **Next.** {step.text}")
        if step.lesson is not None:
            st.page_link(lesson_page(step.lesson), label=f"Open {step.lesson.title}", icon=":material/school:")
    left, right = st.columns(2, gap="large")
    with left:
        st.subheader("Progress per topic")
        _progress_per_topic(progress)
    with right:
        st.subheader("Review queue")
        if not due:
            upcoming = len(db.scheduled(me)) if db else 0
            st.caption("Nothing is due. Quiz items you miss come back here on a spaced-repetition schedule"
                       + (f"; {upcoming} are scheduled for later." if upcoming else "."))
        for review in due[:REVIEWS_SHOWN]:
            lesson, item = items[(review.lesson_id, review.item_id)]
            st.caption(f"From {lesson.title}")
            quiz_item(lesson, item, source="review", context="review")
        if len(due) > REVIEWS_SHOWN:
            st.caption(f"{len(due) - REVIEWS_SHOWN} more are due: they follow once these are answered.")


def _assignments(db, progress) -> None:
    """What the teacher assigned, soonest due first, with this learner's progress on each lesson."""
    from progress.classroom import list_assignments
    from ui.topics import BY_SLUG

    if db is None or not (assigned := list_assignments(db)):
        return
    by_id = {p.lesson.id: p for p in progress}
    st.subheader("Assignments")
    for assignment in assigned:
        with st.container(border=True):
            st.text(f"{assignment.title} · due {assignment.due:%d %b %Y}")  # st.text: typed text stays plain
            for lesson_id in assignment.lessons:
                if (p := by_id.get(lesson_id)) is not None:
                    st.page_link(lesson_page(p.lesson), label=f"{p.lesson.title}: {p.right} of {p.total} right",
                                 icon=":material/task_alt:" if p.done else ":material/school:")
            for demo in assignment.demos:
                if demo["page"] in BY_SLUG:
                    st.page_link(topic_page(BY_SLUG[demo["page"]]), label=f"Try it: {demo['label']}",
                                 icon=":material/science:", query_params=demo["params"])


def _progress_per_topic(progress) -> None:
    """Each topic page with its lessons' quiz progress, then the lessons of sections without a page."""
    by_section = {p.lesson.section: p for p in progress}
    for topic in TOPICS:
        rows = [by_section[s] for s in topic.syllabus if s in by_section]
        st.page_link(topic_page(topic), label=topic.title, icon=topic.icon)
        _bar(sum(p.right for p in rows), sum(p.answered for p in rows), sum(p.total for p in rows))
        for p in rows:
            st.page_link(lesson_page(p.lesson), label=f"Lesson {p.lesson.section}: {p.lesson.title}",
                         icon=":material/task_alt:" if p.done else ":material/school:")
    others = [p for p in progress if not any(p.lesson.section in t.syllabus for t in TOPICS)]
    for p in others:
        st.page_link(lesson_page(p.lesson), label=f"Lesson {p.lesson.section}: {p.lesson.title}",
                     icon=":material/task_alt:" if p.done else ":material/school:")
        _bar(p.right, p.answered, p.total)


def _bar(right: int, answered: int, total: int) -> None:
    retry = f", {answered - right} to try again" if answered > right else ""
    st.progress(right / total if total else 0.0, text=f"{right} of {total} quiz items right{retry}")


def your_data() -> None:
    """Export or erase the learner's saved progress."""
    db, me = store(), learner()
    if db is None:
        return
    with st.expander("Your saved progress: export or reset"):
        st.caption("Every graded answer is saved on this server, so your progress survives a restart.")
        left, middle, right = st.columns(3)
        # the exports are built when clicked, not at every redraw of Home
        left.download_button("Download as CSV", lambda: db.export_csv(me), file_name="progress.csv", mime="text/csv",
                             icon=":material/download:", on_click="ignore")
        middle.download_button("Download as JSON", lambda: db.export_json(me), file_name="progress.json",
                               mime="application/json", icon=":material/download:", on_click="ignore")
        if right.button("Reset my progress", icon=":material/delete:"):
            st.session_state.home_confirm_reset = True
        if st.session_state.get("home_confirm_reset"):
            st.warning("This erases every saved answer and your review schedule. It cannot be undone.")
            yes, no = st.columns(2)
            if yes.button("Yes, erase my progress", type="primary"):
                db.reset(me)
                st.session_state.home_confirm_reset = False
                st.rerun()
            if no.button("Keep it"):
                st.session_state.home_confirm_reset = False
                st.rerun()
