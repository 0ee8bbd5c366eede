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
from ui.job_panel import panel, start_workers  # noqa: E402
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


@st.fragment(key="act_net")
def network() -> None:
    views.network_controls(state)
    state.sync()
    config = NETWORK.from_values(state.values())
    panel("act_net", NETWORK.fn, config, steps=config.train.steps, autostart=True, preset=state.presets,
          live_chart=lambda rows: loss_figure(rows, "Loss so far"), show_result=views.network_result)


@st.fragment(key="act_xor")
def xor() -> None:
    cols = st.columns(2)
    state.widget("xact", cols[0])
    state.widget("xwidth", cols[1])
    state.sync()
    config = XOR.from_values(state.values())
    panel("act_xor", XOR.fn, config, steps=2 * config.steps, label="Train both",
          live_chart=lambda rows: loss_figure(rows, "Loss so far (perceptron, then MLP)"),
          show_result=views.xor_result)


st.header("The functions and their derivatives")
st.caption("f(x) is drawn solid and f′(x), computed by autograd, dashed. Shaded: |f′(x)| < 0.05, "
           "where almost no gradient gets through.")
explorer()

st.header("Softmax")
st.write("Softmax turns a vector of scores into probabilities: softmax(z)ᵢ = e^(zᵢ/T) / Σⱼ e^(zⱼ/T).")
softmax()

st.header("Train a network")
st.write("A multilayer perceptron with its own activation in every hidden layer, trained live.")
network()

st.header("XOR, side by side")
st.write("No straight line separates XOR's classes: the best single line gets three of the four clusters "
         "right (75%), and a perceptron trained by gradient descent usually ends near chance with its weights "
         "near zero. One hidden layer bends the boundary and solves it.")
xor()

lesson_links(TOPIC.slug)
start_workers()
