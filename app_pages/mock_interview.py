import time

import streamlit as st
import streamlit.components.v1 as components

from lessons import load_all
from lessons.plan import SELF_GRADES, draw_questions
from ui.navigation import lesson_page
from ui.progress import learner, store, unsaved_note

st.title("Mock interview")
st.write("Questions drawn at random from the lessons you choose. Answer each one out loud before the clock "
         "runs out, as you would in an interview, then reveal the model answer and grade yourself honestly. "
         "At the end you get a summary and the lessons to revisit.")
unsaved_note()

LESSONS = {lesson.id: lesson for lesson in load_all()}
mock = st.session_state.get("mock")


def timer(seconds_left: float, key: str) -> None:
    """A countdown that runs in the browser, so the server does no work while the learner thinks."""
    components.html(f"""
<div id="t" style="font: 600 1.4rem 'Source Sans Pro', sans-serif; color: #31333f"></div>
<script>
const end = Date.now() + {max(0.0, seconds_left) * 1000:.0f};
function tick() {{
  const left = Math.max(0, Math.round((end - Date.now()) / 1000));
  const el = document.getElementById("t");
  el.textContent = left > 0 ? `Time left: ${{Math.floor(left / 60)}}:${{String(left % 60).padStart(2, "0")}}`
                            : "Time is up: wrap up your answer.";
  el.style.color = left > 15 ? "#31333f" : "#d62728";
  if (left > 0) setTimeout(tick, 250);
}}
tick();
</script><!-- {key} -->""", height=48)


if mock is None:
    chosen = st.multiselect("Lessons to draw from", list(LESSONS), default=list(LESSONS),
                            format_func=lambda i: f"{LESSONS[i].section}. {LESSONS[i].title}")
    count = st.slider("Questions", 3, 10, 5)
    minutes = st.select_slider("Time per question (minutes)", [1, 2, 3, 5], value=2)
    if st.button("Start the interview", type="primary", icon=":material/play_arrow:", disabled=not chosen):
        seed = time.time_ns()
        questions = draw_questions([LESSONS[i] for i in chosen], count, seed)
        st.session_state.mock = dict(questions=[(lesson.id, q.id) for lesson, q in questions], index=0,
                                     seconds=60 * minutes, asked_at=time.time(), revealed=False, grades=[])
        st.rerun()
    if not chosen:
        st.caption("Choose at least one lesson.")
    st.stop()

questions = [(LESSONS[lid], LESSONS[lid].question(qid)) for lid, qid in mock["questions"] if lid in LESSONS]
if mock["index"] < len(questions):
    lesson, question = questions[mock["index"]]
    st.progress(mock["index"] / len(questions), text=f"Question {mock['index'] + 1} of {len(questions)}")
    st.subheader(question.question)
    if not mock["revealed"]:
        timer(mock["seconds"] - (time.time() - mock["asked_at"]), f"{mock['index']}")
        if st.button("Reveal the model answer", type="primary", icon=":material/visibility:"):
            mock["revealed"] = True
            mock["answer_seconds"] = time.time() - mock["asked_at"]
            st.rerun()
    else:
        st.caption(f"You took {mock['answer_seconds']:.0f} s of {mock['seconds']} s.")
        st.markdown(f"**In 30 seconds.** {question.short_answer}")
        with st.expander("What an interviewer probes next", expanded=True):
            st.markdown(question.deep_answer)
        for wrong in question.wrong_answers:
            st.warning(f"**Did you say this?** “{wrong.claim}”\n\n{wrong.correction}")
        st.write("How did your answer compare?")
        for column, (label, score) in zip(st.columns(len(SELF_GRADES)), SELF_GRADES.items(), strict=True):
            if column.button(label, key=f"mock_grade_{label}", use_container_width=True):
                if (db := store()) is not None and (me := learner()) is not None:
                    db.record(me, lesson.id, question.id, kind="open", response=label, correct=score == 1.0,
                              score=score, source="mock")
                mock["grades"].append((lesson.id, question.id, label, score, round(mock["answer_seconds"])))
                mock.update(index=mock["index"] + 1, revealed=False, asked_at=time.time())
                st.rerun()
    if st.button("End the interview now", icon=":material/stop_circle:"):
        mock["index"] = len(questions)
        st.rerun()
    st.stop()

st.subheader("Summary")
grades = mock["grades"]
if grades:
    total = sum(score for *_, score, _ in grades)
    st.metric("Score", f"{total:g} of {len(grades)}")
    st.dataframe([{"question": LESSONS[lid].question(qid).question, "your grade": label, "seconds": seconds}
                  for lid, qid, label, _, seconds in grades], hide_index=True)
    revisit = [(lid, qid) for lid, qid, _, score, _ in grades if score < 1.0]
    if revisit:
        st.write("Revisit these lessons:")
        for lid in dict.fromkeys(lid for lid, _ in revisit):
            asked = "; ".join(LESSONS[lid].question(qid).question for l2, qid in revisit if l2 == lid)
            st.page_link(lesson_page(LESSONS[lid]), label=LESSONS[lid].title, icon=":material/school:")
            st.caption(asked)
    else:
        st.success("Every answer nailed. Try more questions, or a shorter clock.")
else:
    st.info("No question was graded.")
if st.button("Start another interview", type="primary"):
    del st.session_state["mock"]
    st.rerun()
