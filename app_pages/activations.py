from functools import partial

import streamlit as st

from ui.topics import BY_SLUG

TOPIC = BY_SLUG["activations"]
st.title(TOPIC.title)
st.write(
    "An activation decides what a neuron passes on. Compare the functions and their slopes, "
    "then train a real PyTorch network and watch what each choice does to learning."
)

# On a fresh server these imports load torch (seconds); the browser draws the title meanwhile.
from charts.training import loss_figure  # noqa: E402
from ui import activation_views as views  # noqa: E402
from ui.job_panel import start_workers, training_section  # noqa: E402
from ui.lesson_view import lesson_links  # noqa: E402
from ui.page_state import PageState  # noqa: E402

NETWORK, XOR = TOPIC.tasks
state = PageState("act_", TOPIC.params)
for note in state.start():
    st.warning(note)


@st.fragment
def explorer() -> None:
    names = state.widget("fns")
    cols = st.columns(3)
    x_range, slope, k = (state.widget(name, col) for name, col in zip(("xrange", "slope", "k"), cols, strict=True))
    views.function_cards(names, x_range, slope, k)
    state.sync()


@st.fragment
def softmax() -> None:
    cols = st.columns([3, 2])
    views.softmax_panel(state.widget("logits", cols[0]), state.widget("temp", cols[1]))
    state.sync()


section = partial(training_section, state)  # section(slot, task, controls, show_result, live_chart, ...)
# A link aimed at the XOR section alone trains only that section: one session trains one thing at a time.
xor_only = views.linked_to(state, views.XOR_PARAMS) and not views.linked_to(state, views.NETWORK_PARAMS)

st.header("The functions and their derivatives")
st.caption("f(x) is drawn solid and f′(x), computed by autograd, dashed. Shaded: |f′(x)| < 0.05, "
           "where almost no gradient gets through.")
explorer()

st.header("Softmax")
st.write("Softmax turns a vector of scores into probabilities: softmax(z)ᵢ = e^(zᵢ/T) / Σⱼ e^(zⱼ/T).")
softmax()

st.header("Train a network")
st.write("A multilayer perceptron with its own activation in every hidden layer, trained live.")
section("act_net", NETWORK, views.network_controls, views.network_result,
        lambda rows: loss_figure(rows, "Loss so far"), autostart="linked" if xor_only else True,
        steps=lambda config: config.train.steps)

st.header("XOR, side by side")
st.write("No straight line separates XOR's classes: the best single line gets three of the four clusters "
         "right (75%). A perceptron trained with cross-entropy does not even find that line: its best fit is an "
         "almost flat 0.5 everywhere, so its loss stays near ln 2 ≈ 0.693 and its accuracy means little. One "
         "hidden layer bends the boundary and solves it.")
section("act_xor", XOR, views.xor_controls, views.xor_result,
        lambda rows: loss_figure(rows, "Loss so far (perceptron, then MLP)"), label="Train both",
        autostart="linked" if xor_only else False, steps=lambda config: 2 * config.steps)

lesson_links(TOPIC.slug)
start_workers()
