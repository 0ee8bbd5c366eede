"""Rendering a lesson: questions, answers, demo links, wrong answers and quiz items."""

import streamlit as st

from lessons import Lesson, Question, TryIt, load_all
from ui.params import preset_query
from ui.progress import unsaved_note
from ui.quiz import quiz_item
from ui.topics import BY_SLUG


def try_it_query(link: TryIt) -> dict[str, str]:
    """The URL query that opens the link's demo with its preset."""
    return preset_query(BY_SLUG[link.page].params, link.params)


def lesson_links(slug: str) -> None:
    """Links to the lessons whose demos live on this topic's page."""
    from ui.navigation import lesson_page

    related = [lesson for lesson in load_all()
               if any(link.page == slug for q in lesson.questions for link in q.try_it)]
    if related:
        st.header("Lessons")
        for lesson in related:
            st.page_link(lesson_page(lesson), label=lesson.title, icon=":material/school:")


def render(lesson: Lesson) -> None:
    st.title(lesson.title)
    st.write(lesson.intro)
    for question in lesson.questions:
        _question(question)
    if lesson.quiz:
        st.header("Check yourself")
        st.caption("Answer first: the app grades your answer, explains every option, and brings back "
                   "the ones you miss for review on the Home page.")
        unsaved_note()
        for item in lesson.quiz:
            quiz_item(lesson, item)


def _question(q: Question) -> None:
    from ui.navigation import topic_page

    st.subheader(q.question)
    st.markdown(f"**In 30 seconds.** {q.short_answer}")
    with st.expander("The deeper answer"):
        st.markdown(q.deep_answer)
    for link in q.try_it:
        st.page_link(topic_page(BY_SLUG[link.page]), label=f"Try it: {link.label}", icon=":material/science:",
                     query_params=try_it_query(link))
        st.caption(f"Look for: {link.look_for}")
    for wrong in q.wrong_answers:
        st.warning(f"**A common wrong answer:** “{wrong.claim}”\n\n{wrong.correction}")
