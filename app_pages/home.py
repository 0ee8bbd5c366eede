import streamlit as st

from jobs.settings import RunnerSettings
from lessons import load_all
from ui import study_plan
from ui.job_panel import device_label, start_workers
from ui.navigation import mock_interview_page, topic_page
from ui.topics import TOPICS

st.title("Deep Learning Interview Lab")
st.write(
    "Learn the deep-learning questions interviewers ask, and see every answer happen. "
    "Each topic has a page that trains real PyTorch models live, and lessons that give the "
    "30-second answer, the deeper one, the common wrong answers, and a graded quiz."
)

study_plan.search_box()

st.header("Your study plan")
study_plan.plan(load_all())

st.header("Topics")
for topic in TOPICS:
    st.page_link(topic_page(topic), label=topic.title, icon=topic.icon)
    st.caption(topic.blurb[0].upper() + topic.blurb[1:] + ".")  # in full: a link's label is cut to one line
st.page_link(mock_interview_page(), label="Mock interview", icon=":material/record_voice_over:")
st.caption("Random questions from the lessons you choose, against the clock: answer out loud, reveal the model "
           "answer, grade yourself, and get a list of what to revisit.")

study_plan.your_data()

st.subheader("How it works")
st.write(
    "Training runs on the server in a pool of worker processes, so many learners can share one "
    "machine. Runs are bounded in time, can be stopped at any moment, and identical runs are "
    "answered from a cache. Settings live in the page address: copy it to share an exact setup."
)
try:
    limits = RunnerSettings.from_env()
    st.caption(f"Models here train on: {device_label()}. On this server each learner has one run at a time; a run "
               f"may train for up to {limits.job_timeout_s:g} s, and up to {limits.max_queued} runs can wait for one "
               f"of its {limits.workers} workers. A run that trains longer than {limits.long_run_s:g} s lets shorter "
               "runs go first, and so do the next runs of whoever trained that long in the last minute. The "
               "sliders' ranges are the largest models it trains.")
except ValueError:  # a mistyped setting: the job panel says why nothing can train
    st.caption(f"Models here train on: {device_label()}")
start_workers()  # warm before the learner opens a demo
