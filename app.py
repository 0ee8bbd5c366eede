"""Deep Learning Interview Lab: the entry point. Run with `streamlit run app.py`."""

from functools import partial

import streamlit as st

from lessons import load_all
from ui.lesson_view import lesson_url, render

st.set_page_config(page_title="Deep Learning Interview Lab", page_icon=":material/neurology:", layout="wide")

lesson_pages = [
    st.Page(partial(render, lesson), title=f"{lesson.section}. {lesson.title}", url_path=lesson_url(lesson),
            icon=":material/school:")
    for lesson in load_all()
]
pages = {
    "Start": [st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True)],
    "Foundations": [
        st.Page("app_pages/activations.py", title="Activation functions", icon=":material/show_chart:"),
    ],
    "Lessons": lesson_pages,
}
st.navigation(pages).run()
