from functools import partial

import streamlit as st

from ui.topics import BY_SLUG

TOPIC = BY_SLUG["lstm"]
st.title(TOPIC.title)
st.write(
    "A recurrent network reads a sequence one step at a time and carries a hidden state from step to step, so what "
    "it saw early can shape what it says late. Train an LSTM on a memory task and watch its gates open and close, "
    "then see why a plain RNN cannot hold on to the past."
)

# On a fresh server these imports load torch (seconds); the browser draws the title meanwhile.
from ui import lstm_views as views  # noqa: E402
from ui.job_panel import start_workers, training_section  # noqa: E402
from ui.lesson_view import lesson_links  # noqa: E402
from ui.page_state import PageState  # noqa: E402

GATES, COMPARE, FLOW, EXPLODE, BIDIRECTIONAL = TOPIC.tasks
state = PageState("rnn_", TOPIC.params)
for note in state.start():
    st.warning(note)

section = partial(training_section, state)  # section(slot, task, controls, show_result, live_chart, ...)

st.header("An LSTM, trained live, then looked inside")
st.write("At every step the LSTM computes four things from the input $x_t$ and its last hidden state $h_{t-1}$: "
         "an input gate $i$, a forget gate $f$, a candidate $g$ and an output gate $o$. The cell state keeps "
         "$c_t = f \\odot c_{t-1} + i \\odot g$ and shows $h_t = o \\odot \\tanh(c_t)$. The heatmaps show each of "
         "them over time for one test sequence; the slider shows one step in numbers.")
section("rnn_gates", GATES, views.gates_controls, views.gates_result, views.gates_live, autostart=True,
        steps=views.gates_progress)

st.header("Plain RNN, GRU and LSTM as the sequences grow")
st.write("The same task at several lengths T, each network trained from the same seed for the same number of "
         "steps. A plain RNN must carry the first symbol through T multiplications by its recurrent weights.")
section("rnn_compare", COMPARE, views.compare_controls, views.compare_result, views.runs_live,
        steps=views.compare_progress, autostart="linked")

st.subheader("Gradients through time")
st.write("Backpropagation through time sends the loss at the last step back through every earlier step. The "
         "size of $\\partial L / \\partial x_t$ says how much the last output can learn from the input at step "
         "t: in a plain RNN it shrinks by a factor at every step back, so the first steps barely count.")
section("rnn_flow", FLOW, views.flow_controls, views.flow_result, views.runs_live, steps=views.flow_progress,
        autostart="linked")

st.header("Exploding gradients: clipping and truncated BPTT")
st.write("When the recurrent weights stretch the hidden state, the same product of T factors grows instead of "
         "shrinking. A plain RNN on the noisy sine, trained by plain SGD three ways: with the full gradient, with "
         "its norm clipped, and with truncated backpropagation through time, which cuts the gradient every few "
         "steps but carries the hidden state on.")
section("rnn_explode", EXPLODE, views.explode_controls, views.explode_result, views.runs_live,
        steps=views.explode_progress, autostart="linked")

st.header("Bidirectional: when the answer lies ahead")
st.write("A bidirectional layer runs one RNN forwards and another backwards and joins their hidden states, so "
         "each step sees its past and its future. Here every step must name a symbol that comes later.")
section("rnn_bi", BIDIRECTIONAL, views.bi_controls, views.bi_result, views.runs_live, steps=views.bi_progress,
        autostart="linked")

lesson_links(TOPIC.slug)
start_workers()
