"""A quiz item the learner answers and the app grades: each item is its own fragment, so checking
one answer redraws only that item."""

import streamlit as st

from charts.quiz import prediction_run
from lessons import Lesson, QuizItem
from lessons.grading import Grade, grade, option_order, parse_number
from ui import job_panel
from ui.progress import learner, store

MARKS = {"right": ":green[:material/check_circle:]", "wrong": ":red[:material/cancel:]",
         "other": ":gray[:material/radio_button_unchecked:]"}


def quiz_item(lesson: Lesson, item: QuizItem, *, source: str = "lesson", context: str = "quiz") -> None:
    """Draw the item with its answer form; grade, save and explain the answer once it is given."""
    key = f"{context}_{lesson.id}_{item.id}"

    @st.fragment(key=f"{key}_job")  # the key lets a predict item's run redraw the item once it settles
    def draw() -> None:
        with st.container(border=True):
            st.markdown(item.prompt)
            order = option_order(item, seed=str(learner() or ""))
            with st.form(key, border=False, enter_to_submit=True):
                response = _answer_widgets(item, order, key)
                label = "Predict, then run the demo" if item.kind == "predict" else "Check my answer"
                submitted = st.form_submit_button(label, type="primary")
            if submitted:
                _submitted(lesson, item, response, key, source)
            if problem := st.session_state.get(f"{key}_problem"):
                st.warning(problem)
            if item.kind == "predict" and f"{key}_prediction" in st.session_state:
                _prediction_run(lesson, item, order, key, source)
            elif graded := st.session_state.get(f"{key}_graded"):
                _feedback(item, order, *graded)

    draw()


def _answer_widgets(item: QuizItem, order: list[int], key: str):
    """The form's widgets; returns what the learner entered (option indices, or the typed text)."""
    text = lambda i: item.options[i].text  # noqa: E731
    if item.kind == "number":
        return st.text_input("Your answer", key=f"{key}_number", placeholder="a number, e.g. 0.12 or 1e-3")
    if item.kind == "multi":
        st.caption("Mark every option that is right.")
        return [i for i in order if st.checkbox(text(i), key=f"{key}_option_{i}")]
    picked = st.radio("Your answer", order, index=None, format_func=text, key=f"{key}_radio",
                      label_visibility="collapsed")
    return [] if picked is None else [picked]


def _submitted(lesson: Lesson, item: QuizItem, response, key: str, source: str) -> None:
    st.session_state.pop(f"{key}_problem", None)
    if item.kind == "number":
        value = parse_number(response)
        if value is None:
            st.session_state[f"{key}_problem"] = ("Type a number, such as 50, 0.12, 1e-3 or 12%." if response.strip()
                                                  else "Type your answer first.")
            return
        response = value
    elif not response:
        st.session_state[f"{key}_problem"] = "Pick an answer first."
        return
    if item.kind == "predict":
        st.session_state[f"{key}_prediction"] = response
        st.session_state[f"{key}_runs"] = st.session_state.get(f"{key}_runs", 0) + 1
        return
    result = grade(item, response)
    st.session_state[f"{key}_graded"] = (response, result)
    _save(lesson, item, response, result, source)


def _save(lesson: Lesson, item: QuizItem, response, result: Grade, source: str) -> None:
    if (db := store()) is not None and (me := learner()) is not None:
        db.record(me, lesson.id, item.id, kind=item.kind, response=response, correct=result.correct,
                  score=result.score, source=source)


def _feedback(item: QuizItem, order: list[int], response, result: Grade, happened: int | None = None) -> None:
    (st.success if result.correct else st.error)(result.message)
    if item.kind == "number":
        st.markdown(f"You answered **{response:g}**.")
    else:
        right = {happened} if happened is not None else item.right
        for i in order:
            option = item.options[i]
            mark = MARKS["right"] if i in right else MARKS["wrong"] if i in response else MARKS["other"]
            yours = " *(your answer)*" if i in response else ""
            with st.container(gap=None):
                st.markdown(f"{mark} {option.text}{yours}")
                st.caption(option.why)
    with st.expander("The full explanation", expanded=not result.correct):
        st.markdown(item.explanation)


def _prediction_run(lesson: Lesson, item: QuizItem, order: list[int], key: str, source: str) -> None:
    """Run the item's demo for real, then grade the prediction against what happened."""
    from engine.predictions import PredictConfig, run  # torch loads on first use, not with the navigation

    job_panel.start_workers()  # a lesson page opened first has not started them
    config = PredictConfig(item.run.fn, tuple(sorted(item.run.args.items())), steps=item.run.args.get("steps", 100))
    predicted = st.session_state[f"{key}_prediction"]

    def show(job) -> None:
        outcome = job.result
        result = grade(item, predicted, happened=outcome.choice)
        if st.session_state.get(f"{key}_saved") != job.id:  # once per run, however often the item redraws
            st.session_state[f"{key}_saved"] = job.id
            _save(lesson, item, predicted, result, source)
        st.markdown(f"**What happened.** {outcome.summary}")
        st.plotly_chart(prediction_run(outcome.history, outcome.log_scale), key=f"{key}_chart")
        _feedback(item, order, predicted, result, happened=outcome.choice)

    job_panel.panel(f"{key}_job", run, config, steps=config.steps, label="Run it again",
                    live_chart=lambda progress: prediction_run(progress), show_result=show, autostart=True,
                    preset=st.session_state.get(f"{key}_runs", 0))
