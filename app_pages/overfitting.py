from functools import partial

import streamlit as st

from ui.topics import BY_SLUG

TOPIC = BY_SLUG["overfitting"]
st.title(TOPIC.title)
st.write(
    "A model overfits when it learns its training set's noise as if it were signal: training loss keeps falling while "
    "validation loss turns up. Make one overfit on a handful of points, then cure it, and see inside the layers that "
    "regularize."
)

# On a fresh server these imports load torch (seconds); the browser draws the title meanwhile.
from ui import overfitting_views as views  # noqa: E402
from ui.job_panel import start_workers, training_section  # noqa: E402
from ui.lesson_view import lesson_links  # noqa: E402
from ui.page_state import PageState  # noqa: E402

FIT, DROPOUT_RATES, KFOLD, CAPACITY, LEARNING, BIAS_VARIANCE = TOPIC.tasks
state = PageState("of_", TOPIC.params)
for note in state.start():
    st.warning(note)

section = partial(training_section, state)  # section(slot, task, controls, show_result, live_chart, ...)

st.header("Make it overfit, then cure it")
st.write("A network with plenty of capacity on a few noisy points. Watch the training and validation losses part, "
         "then switch on remedies one at a time.")
section("of_fit", FIT, views.fit_controls, views.fit_result, views.fit_live, autostart=True,
        steps=views.fit_progress)

st.header("Validation error against capacity")
st.write("The same data, networks from 1 to 128 units per layer, all trained at once in one vectorized run.")
section("of_capacity", CAPACITY, views.capacity_controls, views.capacity_result, views.capacity_live,
        steps=views.capacity_progress)

st.header("Learning curves: more data")
section("of_learning", LEARNING, views.learning_controls, views.learning_result, views.learning_live,
        steps=views.learning_progress)

st.header("Bias and variance")
st.write("Draw many training sets from the same distribution and fit a simple and a flexible model to each: the "
         "simple one is wrong in the same way every time (bias), the flexible one differently every time (variance).")
section("of_bias_variance", BIAS_VARIANCE, views.bias_variance_controls, views.bias_variance_result,
        views.bias_variance_live, steps=views.bias_variance_progress)

st.header("K-fold cross-validation")
section("of_kfold", KFOLD, views.kfold_controls, views.kfold_result, views.kfold_live, steps=views.kfold_progress)

st.header("Dropout, inside")


@st.fragment
def dropout_inside() -> None:
    views.dropout_view(state.widget("di_p"))
    state.sync()


dropout_inside()
st.subheader("A higher dropout rate regularizes more")
section("of_dropout_rates", DROPOUT_RATES, views.dropout_rates_controls, views.dropout_rates_result,
        views.dropout_rates_live, steps=views.dropout_rates_progress)

st.header("Batch normalization, inside")
st.write("Batch normalization is a layer, with a learnable scale γ and shift β and running statistics, not a "
         "preprocessing step.")


@st.fragment
def batchnorm_inside() -> None:
    views.batchnorm_view(state)
    state.sync()


batchnorm_inside()

lesson_links(TOPIC.slug)
start_workers()
