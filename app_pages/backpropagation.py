from functools import partial

import streamlit as st

from ui.topics import BY_SLUG

TOPIC = BY_SLUG["backpropagation"]
st.title(TOPIC.title)
st.write(
    "Backpropagation is the chain rule, applied from the loss backwards, reusing every value the forward pass "
    "computed. Follow it in real numbers on a tiny network, see why cross-entropy beats squared error for a "
    "classifier, and watch what the starting weights decide in a deep network."
)

# On a fresh server these imports load torch (seconds); the browser draws the title meanwhile.
from ui import backprop_views as views  # noqa: E402
from ui.job_panel import start_workers, training_section  # noqa: E402
from ui.lesson_view import lesson_links  # noqa: E402
from ui.page_state import PageState  # noqa: E402

LOSS_TRAIN, INIT, HE, REMEDIES = TOPIC.tasks
state = PageState("bp_", TOPIC.params)
for note in state.start():
    st.warning(note)

section = partial(training_section, state)  # section(slot, task, controls, show_result, live_chart, ...)

st.header("Backpropagation, step by step")
st.write("A network with two inputs, two sigmoid hidden units and one sigmoid output. Edit the input and any weight: "
         "every number below is recomputed by hand, and checked against PyTorch's autograd and a finite difference.")


@st.fragment
def step_by_step() -> None:
    views.step_view(state)
    state.sync()


step_by_step()

st.header("Loss functions: mean squared error against cross-entropy")
st.write("A classifier's output is a probability. Both losses are smallest when it is right, but they push very "
         "differently when it is confidently wrong.")


@st.fragment
def loss_gradients() -> None:
    views.loss_view_section(state)
    state.sync()


loss_gradients()
st.subheader("The same network trained with each loss")
st.write("Logistic regression on the breast-cancer data, started with weights that point the wrong way, so that "
         "most tumours begin confidently misclassified; plain SGD, the same learning rate for both losses.")
section("bp_loss_train", LOSS_TRAIN, views.loss_train_controls, views.loss_train_result, views.loss_train_live,
        steps=views.loss_train_progress, autostart="linked")

st.header("Initialization")
st.write("A deep network on two noisy circles. The scheme sets how the signal and the gradients travel through "
         "the layers before the first update; all zeros and a constant leave every unit of a layer identical.")
section("bp_init", INIT, views.init_controls, views.init_result, views.init_live, autostart="linked")

st.subheader("Glorot and Bengio (2010): standard against normalized initialization")
st.write("One forward and one backward pass through a deep tanh network, measured layer by layer.")


@st.fragment
def glorot() -> None:
    views.glorot_section(state)
    state.sync()


glorot()

st.subheader("He et al. (2015): a deep ReLU network")
st.write("Xavier's scale assumes an activation that acts like the identity near zero, as tanh does. ReLU zeroes "
         "half its inputs, so under Xavier each layer halves the signal's second moment; He initialization doubles "
         "the weights' variance to make up for it.")
section("bp_he", HE, views.he_controls, views.deep_result, views.he_live, steps=views.deep_progress,
        autostart="linked")

st.header("Vanishing and exploding gradients")
st.write("The gradient reaching a layer is a product of one factor per layer above it: factors below 1 make it "
         "vanish, above 1 explode. Measured here at initialization, per layer, for three activations.")


@st.fragment
def gradient_depth() -> None:
    views.gradient_depth_section(state)
    state.sync()


gradient_depth()
st.subheader("Remedies side by side")
st.write("The same data and depth; each network changes one thing from the vanishing tanh network, and the last "
         "pair shows an exploding network with and without gradient clipping.")
section("bp_remedies", REMEDIES, views.remedies_controls, views.deep_result, views.remedies_live,
        steps=views.deep_progress, autostart="linked")

lesson_links(TOPIC.slug)
start_workers()
