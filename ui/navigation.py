"""The app's pages as st.Page objects, built from the topic registry and the lessons."""

from functools import partial
from pathlib import Path

import streamlit as st

from lessons import Lesson, load_all
from ui.topics import TOPICS, Topic

ROOT = Path(__file__).parent.parent  # page scripts are named from here, wherever the app runs
START = "Start"
LESSONS = "Lessons"
TEACHER = "Teacher"


def topic_page(topic: Topic) -> st.Page:
    return st.Page(ROOT / topic.page, title=topic.title, icon=topic.icon, url_path=topic.slug)


def lesson_page(lesson: Lesson) -> st.Page:
    from ui.lesson_view import render

    return st.Page(partial(render, lesson), title=f"{lesson.section}. {lesson.title}",
                   url_path=f"lesson-{lesson.id}", icon=":material/school:")


def home_page() -> st.Page:
    return st.Page(ROOT / "app_pages/home.py", title="Home", icon=":material/home:", default=True)


def mock_interview_page() -> st.Page:
    return st.Page(ROOT / "app_pages/mock_interview.py", title="Mock interview", icon=":material/record_voice_over:",
                   url_path="mock-interview")


def teacher_page() -> st.Page:
    return st.Page(ROOT / "app_pages/teacher.py", title="Class dashboard", icon=":material/groups:",
                   url_path="teacher")


def sections(teacher: bool = False) -> dict[str, list[st.Page]]:
    """Every page, by section: Start (Home, the mock interview), Teacher, the topics in registry order, Lessons."""
    pages: dict[str, list[st.Page]] = {START: [home_page(), mock_interview_page()]}
    if teacher:
        pages[TEACHER] = [teacher_page()]
    for topic in TOPICS:
        pages.setdefault(topic.section, []).append(topic_page(topic))
    pages[LESSONS] = [lesson_page(lesson) for lesson in load_all()]
    return pages
