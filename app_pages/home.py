import streamlit as st

from lessons import load_all
from ui.job_view import device_label
from ui.lesson_view import lesson_url

st.title("Deep Learning Interview Lab")
st.write(
    "Learn the deep-learning questions interviewers ask, and see every answer happen. "
    "Each topic has a page that trains real PyTorch models live, and lessons that give the "
    "30-second answer, the deeper one, the common wrong answers, and a quiz."
)

st.subheader("Where to start")
st.page_link("app_pages/activations.py", label="Activation functions: why networks need non-linearity",
             icon=":material/show_chart:")
st.write("Then read the lessons, and follow their **Try it** links into the demos:")
for lesson in load_all():
    st.markdown(f"- Section {lesson.section}: [{lesson.title}](/{lesson_url(lesson)}) "
                f"({len(lesson.questions)} questions, {len(lesson.quiz)} quiz items)")

st.subheader("How it works")
st.write(
    "Training runs on the server in a pool of worker processes, so many learners can share one "
    "machine. Runs are bounded in time, can be stopped at any moment, and identical runs are "
    "answered from a cache. Settings live in the page address: copy it to share an exact setup."
)
st.caption(f"Models here train on: {device_label()}")
