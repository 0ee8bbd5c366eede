"""Rendering a lesson: questions, answers, demo links, wrong answers and quiz items."""

import streamlit as st

from lessons import Lesson, Question, QuizItem, load_all
from ui.demos import DEMO_PARAMS
from ui.url_params import query_string


def lesson_url(lesson: Lesson) -> str:
    return f"lesson-{lesson.id}"


def try_it_link(page: str, params: dict) -> str:
    return f"/{page}?{query_string(DEMO_PARAMS[page], params)}"


def lesson_links(page: str) -> None:
    """Links to the lessons whose demos live on this page."""
    related = [lesson for lesson in load_all()
               if any(link.page == page for q in lesson.questions for link in q.try_it)]
    if related:
        st.header("Lessons")
        st.markdown("\n".join(f"- [{lesson.title}](/{lesson_url(lesson)})" for lesson in related))


def render(lesson: Lesson) -> None:
    st.title(lesson.title)
    st.write(lesson.intro)
    for question in lesson.questions:
        _question(question)
    if lesson.quiz:
        st.header("Check yourself")
        for item in lesson.quiz:
            _quiz_item(item)


def _question(q: Question) -> None:
    st.subheader(q.question)
    st.markdown(f"**In 30 seconds.** {q.short_answer}")
    with st.expander("The deeper answer"):
        st.markdown(q.deep_answer)
    for link in q.try_it:
        st.markdown(f":material/science: **Try it:** [{link.label}]({try_it_link(link.page, link.params)}) "
                    f"— {link.look_for}")
    for wrong in q.wrong_answers:
        st.warning(f"**A common wrong answer:** “{wrong.claim}”\n\n{wrong.correction}")


def _quiz_item(item: QuizItem) -> None:
    with st.container(border=True):
        st.markdown(item.prompt)
        if item.kind == "choice":
            for letter, choice in zip("ABCDEFG", item.choices, strict=False):
                st.markdown(f"{letter}. {choice}")
            answer = f"{'ABCDEFG'[int(item.answer)]}. {item.choices[int(item.answer)]}"
        else:
            answer = f"{item.answer:g}"
        with st.expander("Show the answer"):
            st.markdown(f"**{answer}**\n\n{item.explanation}")
