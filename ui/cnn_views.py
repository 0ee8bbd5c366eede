"""Drawing the CNN page: each section's controls and results, the image the learner picks, draws or uploads."""

import inspect
from collections import OrderedDict

import numpy as np
import pandas as pd
import streamlit as st

from charts import cnn as charts
from engine import cnn as engine
from engine.conv_arithmetic import arithmetic, cell, receptive_fields
from engine.images import (
    DATA_NOTE,
    KERNELS,
    ImageRejected,
    apply_kernel,
    decode_upload,
    digits,
    from_canvas,
    image_hash,
    photo,
    rgb_view,
)
from jobs import Job
from ui.cnn_params import STAGES, arithmetic_config, augment_config, cnn_config, versus_config
from ui.figures import chart
from ui.fragments import running_on_its_own
from ui.page_state import PageState
from ui.section_views import result_key, say, show_code, widget_row

TRAIN_SLOT = "cnn_train"
SEEN_KEY = "cnn_result_seen"  # the trained job the whole page last drew
UPLOAD_TYPES = ["png", "jpg", "jpeg", "gif", "bmp", "webp", "tif", "tiff"]
CANVAS_SIDE = 280
PATCH = 4  # the image-representation patch is PATCH × PATCH pixels
_inside: OrderedDict = OrderedDict()  # (job id, image hash) -> engine.Inside, shared by sessions
INSIDE_ENTRIES = 64


def trained() -> Job | None:
    """The latest trained network's job, once it has a result."""
    job = st.session_state.get(f"{TRAIN_SLOT}_settled")
    return job if job is not None and job.result is not None else None


def _plain(value) -> str:
    return f"{value:,}"


# Train live


def train_controls(state: PageState) -> str | None:
    widget_row(state, "layers", "filters", "kernel", "stride")
    widget_row(state, "padding", "pool", "steps", "lr")
    state.widget("seed")
    try:
        engine.layer_sizes(cnn_config(state.values()))
    except ValueError as problem:
        return str(problem)
    return None


def train_live(rows: pd.DataFrame):
    return charts.live_figure(rows)


def train_result(job: Job) -> None:
    result: engine.TrainResult = job.result
    if st.session_state.get(SEEN_KEY) != job.id:  # a new network: the sections below must look inside it
        st.session_state[SEEN_KEY] = job.id
        if running_on_its_own():
            st.rerun()
    if result.learned_nothing:
        st.warning(result.message)
    else:
        say(result)
    cols = st.columns(4)
    cols[0].metric("Test accuracy", f"{result.accuracy:.1%}")
    cols[1].metric("Trained in", f"{result.seconds:.1f} s")
    cols[2].metric("Parameters", _plain(result.parameters))
    cols[3].metric("Steps", _plain(result.steps_done))
    st.caption(f"Trained on {result.device}, on {DATA_NOTE}.")
    cols = st.columns([3, 2])
    chart(result_key(job, "cnn_curves"), lambda: charts.live_figure(result.history), "fig_cnn_curves", cols[0])
    chart(result_key(job, "cnn_confusion"), lambda: charts.confusion_figure(result.confusion), "fig_cnn_confusion",
          cols[1])
    st.dataframe(architecture_table(result.config), hide_index=True)
    show_code(result.code)


def architecture_table(config: engine.CNNConfig) -> pd.DataFrame:
    """Each layer's output shape and parameters, from the network itself."""
    net = engine.DigitCNN(config)
    rows, shape = [], (1, 28, 28)
    for i, (block, (conv, pooled)) in enumerate(zip(net.blocks, engine.layer_sizes(config), strict=True), 1):
        c = block[0].out_channels
        rows.append({"layer": f"conv {i}: {c} filters {config.kernel}×{config.kernel}×{shape[0]}",
                     "output": f"{c}×{conv}×{conv}", "parameters": engine.count(block[0])})
        if config.pool != "none":
            rows.append({"layer": f"{engine.POOLS[config.pool]} {i}", "output": f"{c}×{pooled}×{pooled}",
                         "parameters": 0})
        shape = (c, pooled, pooled)
    rows.append({"layer": "flatten", "output": f"{net.flat}", "parameters": 0})
    rows.append({"layer": "fully connected", "output": "10", "parameters": engine.count(net.head)})
    return pd.DataFrame(rows)


# Look inside: the image


def test_digit(state: PageState) -> np.ndarray:
    values = state.values()
    data = digits()
    which = np.flatnonzero(data.y_test == int(values["digit"]))
    return data.X_test[which[min(values["nth"], len(which)) - 1]]


def pick_image(state: PageState) -> np.ndarray | None:
    """The learner's image as a 28 × 28 digit: from the test set, the canvas or an upload; None when there is none."""
    source = state.widget("src")
    if source == "test":
        widget_row(state, "digit", "nth")
        return test_digit(state)
    if source == "draw":
        return drawn_digit()
    return uploaded_digit()


def drawn_digit() -> np.ndarray | None:
    try:
        from streamlit_drawable_canvas import st_canvas  # imported here: a broken canvas must not break the page
    except Exception:
        st.info("The drawing canvas cannot load on this server; pick a test image or upload one instead.")
        return None
    st.caption("Draw one digit, large, in the middle of the box.")
    drawing = st_canvas(stroke_width=22, stroke_color="#000000", background_color="#ffffff", height=CANVAS_SIDE,
                        width=CANVAS_SIDE, drawing_mode="freedraw", return_image_data=True, key="cnn_canvas")
    image = getattr(drawing, "image_data", None)
    prepared = from_canvas(image) if image is not None else None
    if prepared is None:
        st.info("Draw a digit on the canvas to see what the network makes of it.")
        return None
    return prepared.digit


def uploaded_digit() -> np.ndarray | None:
    upload = st.file_uploader("An image of one digit (PNG, JPEG, GIF, BMP, WebP or TIFF)", type=UPLOAD_TYPES,
                              key="cnn_upload")
    if upload is None:
        return None
    try:
        prepared = decode_upload(upload.getvalue())
    except ImageRejected as refusal:
        st.warning(str(refusal))
        return None
    inverted = "inverted to light ink on black, " if prepared.inverted else ""
    st.caption(f"{upload.name}: {prepared.source}; turned to grey, {inverted}"
               "cropped to the digit, fitted into 20 × 20 pixels and centred in 28 × 28, as the training digits are.")
    return prepared.digit


def inside_of(job: Job, digit: np.ndarray) -> engine.Inside:
    """One image through the trained network, computed once per network and image."""
    key = (job.id, image_hash(digit))
    if key not in _inside:
        _inside[key] = engine.look_inside(job.result.config, job.result.weights, digit)
        while len(_inside) > INSIDE_ENTRIES:
            _inside.popitem(last=False)
    _inside.move_to_end(key)
    return _inside[key]


def inside_section(state: PageState) -> None:
    job = trained()
    cols = st.columns([4, 3, 4])  # wide enough for the 280-pixel canvas
    with cols[0]:
        digit = pick_image(state)
    st.session_state["cnn_picked_image"] = digit if digit is not None else test_digit(state)
    if job is None:
        st.info("Train the network above to look inside it.")
        return
    if digit is None:
        return
    inside = inside_of(job, digit)
    key = (job.id, image_hash(digit))
    chart(("cnn_seen",) + key, lambda: charts.digit_figure(digit, "As the network sees it (28 × 28)"),
          "fig_cnn_seen", cols[1])
    guess = int(inside.probabilities.argmax())
    cols[1].markdown(f"The network says **{guess}** ({inside.probabilities[guess]:.0%}).")
    chart(("cnn_probs",) + key, lambda: charts.probabilities_figure(inside.probabilities), "fig_cnn_probs", cols[2])
    stage = state.widget("stage")
    config = job.result.config
    for i, maps in enumerate(inside.maps):
        shown = maps[stage]
        title = f"Layer {i + 1}: {shown.shape[0]} maps of {shown.shape[1]} × {shown.shape[2]}, {STAGES[stage]}"
        chart(("cnn_maps", i, stage) + key, lambda shown=shown, title=title: charts.maps_figure(
            shown, title, columns=8, signed=stage == "conv"), f"fig_cnn_maps_{i}")
    st.caption("Each map has its own colour range, so weak maps still show their pattern. After the convolution, "
               "red is positive and blue negative; a map after ReLU is zero (dark) wherever that was negative.")
    st.subheader("The learned filters")
    st.caption("Red weights are positive, blue negative, white near zero; each filter on its own scale.")
    for i in range(config.layers):
        kernels = engine.filters(job.result.weights, i)
        title = (f"Layer {i + 1}: {kernels.shape[0]} filters, each {kernels.shape[2]} × {kernels.shape[3]} over "
                 f"{kernels.shape[1]} input channel{'s' if kernels.shape[1] > 1 else ''}"
                 + (" (one row per filter, one tile per channel)" if kernels.shape[1] > 1 else ""))
        chart(("cnn_filters", job.id, i), lambda kernels=kernels, title=title: charts.filters_figure(kernels, title),
              f"fig_cnn_filters_{i}")
    show_code("x = standardize(digit)                    # (1, 1, 28, 28)\n"
              "for conv, relu, pool in net.blocks:\n"
              "    a = conv(x); b = relu(a); x = pool(b)  # the three maps shown for each layer\n"
              "probabilities = F.softmax(net.head(x.flatten(1)), dim=1)\n"
              "kernels = net.blocks[0][0].weight          # (filters, in channels, k, k)")


# Hand-made filters


def kernels_section(state: PageState) -> None:
    names = state.widget("kernels")
    digit = st.session_state.get("cnn_picked_image")
    if digit is None:
        digit = test_digit(state)
    if not names:
        st.warning("Choose at least one kernel.")
        return
    image = digit / 255.0
    results = {name: apply_kernel(image, KERNELS[name][1]) for name in names}
    labels = {name: KERNELS[name][0] for name in names}
    chart(("cnn_kernels", image_hash(digit), tuple(names)), lambda: charts.kernels_figure(results, labels),
          "fig_cnn_kernels")
    st.caption("Red is a positive response, blue a negative one: a Sobel kernel answers a dark-to-light edge with "
               "one colour and a light-to-dark edge with the other.")
    cols = st.columns(len(names))
    for col, name in zip(cols, names, strict=True):
        col.dataframe(pd.DataFrame(KERNELS[name][1]).round(3), hide_index=True)
    job = trained()
    if job is not None:
        learned = engine.filters(job.result.weights, 0)[:, 0]  # (F, k, k): the first layer reads one channel
        st.markdown("**What the trained first layer learned**, each filter matched with the hand-made kernel it "
                    "resembles most (the cosine of the two over their common centre; a negative one is the same "
                    "detector with its sign flipped):")
        matches = engine.kernel_matches(learned, {n: KERNELS[n][1] for n in names})
        matches["most like"] = matches["most like"].map(lambda n: KERNELS[n][0])
        st.dataframe(matches.round(3), hide_index=True)
    show_code("import torch.nn.functional as F\n"
              "sobel_x = torch.tensor([[-1., 0., 1.], [-2., 0., 2.], [-1., 0., 1.]])\n"
              "edges = F.conv2d(image[None, None], sobel_x[None, None], padding=1)  # as a conv layer computes it")


# Image representation


def _patch(values: np.ndarray, r0: int, c0: int) -> pd.DataFrame:
    """A patch of pixels labelled with their rows and columns in the image."""
    return pd.DataFrame(values, index=pd.RangeIndex(r0, r0 + values.shape[0], name="row"),
                        columns=[str(c) for c in range(c0, c0 + values.shape[1])])


def rgb_section(state: PageState) -> None:
    widget_row(state, "px_row", "px_col")
    values = state.values()
    rgb = photo()
    view = rgb_view(rgb)
    r0 = min(values["px_row"], rgb.shape[0] - PATCH)
    c0 = min(values["px_col"], rgb.shape[1] - PATCH)
    chart(("cnn_rgb", r0, c0), lambda: charts.rgb_figure(rgb, (r0, c0), PATCH), "fig_cnn_rgb")
    window = np.s_[r0:r0 + PATCH, c0:c0 + PATCH]
    cols = st.columns(3)
    for c, name in enumerate(("red", "green", "blue")):
        with cols[c]:
            st.markdown(f"**{name}**: 8-bit values, then ÷ 255, then (x − {view.mean[c]}) / {view.std[c]}")
            for values, digits_ in ((view.rgb[..., c], 0), (view.scaled[c], 3), (view.normalized[c], 2)):
                st.dataframe(_patch(values[window], r0, c0).round(digits_))
    st.caption(f"The photo is stored as {rgb.shape[0]} × {rgb.shape[1]} × 3 bytes (height, width, channel), each 0 to "
               f"255. A PyTorch network takes channels first, (3, {rgb.shape[0]}, {rgb.shape[1]}), as floats: divided "
               "by 255 and standardized per channel with the means and standard deviations of ImageNet, the values "
               "that pretrained models expect. The digits here have one channel; their mean "
               f"{digits().mean:.4f} and standard deviation {digits().std:.4f} come from the training images.")
    show_code("x = torch.tensor(rgb).permute(2, 0, 1).float() / 255   # (3, H, W) in [0, 1]\n"
              "mean = torch.tensor([0.485, 0.456, 0.406])[:, None, None]\n"
              "std = torch.tensor([0.229, 0.224, 0.225])[:, None, None]\n"
              "x = (x - mean) / std                                 # what the network reads")


def channels_section() -> None:
    demo = engine.channel_demo(photo())
    gap = float(np.abs(demo.maps - demo.torch_maps).max())
    st.markdown(f"`nn.Conv2d(3, 2, kernel_size=3)` has weights of shape **{tuple(demo.weight_shape)}**: 2 filters, "
                f"each **3 channels deep** and 3 × 3 wide, {demo.parameters} parameters with the biases. Each filter "
                "reads all three channels at every position, adds the three results and its bias, and writes **one** "
                f"map. Summed by hand from the per-channel shares, the maps match `nn.Conv2d` to within {gap:.1e}.")
    chart("cnn_channels", lambda: charts.channels_figure(demo.names, demo.partial, demo.maps), "fig_cnn_channels")
    show_code(demo.code)


# Convolution arithmetic


def arithmetic_section(state: PageState) -> None:
    widget_row(state, "ar_size", "ar_channels", "ar_filters", "ar_kernel", "ar_stride")
    widget_row(state, "ar_padding", "ar_pad", "ar_dilation", "ar_pool", "ar_pool_size")
    config = arithmetic_config(state.values())
    try:
        result = arithmetic(config)
    except ValueError as problem:
        st.warning(str(problem))
        return
    st.latex(f"\\text{{out}} = \\left\\lfloor \\frac{{n + p_{{before}} + p_{{after}} - d(k - 1) - 1}}{{s}} "
             f"\\right\\rfloor + 1 \\;\\Rightarrow\\; {result.formula}")
    c = config
    table = pd.DataFrame([
        {"layer": f"Conv2d({c.channels}, {c.filters}, {c.kernel}, stride={c.stride}, dilation={c.dilation}), "
                  f"padding {result.pad[0]} before and {result.pad[1]} after",
         "formula": f"{c.filters} × {result.conv_out} × {result.conv_out}",
         "torch": " × ".join(map(str, result.torch_conv_out[1:])), "parameters": result.weights},
        {"layer": engine.POOLS[c.pool] + (f" {c.pool_size} × {c.pool_size}, stride {c.pool_size}"
                                          if c.pool != "none" else ""),
         "formula": f"{c.filters} × {result.pool_out} × {result.pool_out}",
         "torch": " × ".join(map(str, result.torch_pool_out[1:])), "parameters": 0}])
    st.dataframe(table, hide_index=True)
    st.caption(f"Parameters: {c.filters} filters × ({c.kernel} × {c.kernel} × {c.channels} weights + 1 bias) = "
               f"{result.weights}. SAME pads so that the output is ⌈n / s⌉ (an odd total puts the extra pixel after, "
               "as TensorFlow does); VALID does not pad, and the kernel must fit inside the image.")
    show_code(result.code)
    st.markdown("**One output cell, in numbers.** A test digit resized to the input size, one channel, and a kernel "
                "of small integers (−2 to 2): the cell is the dot product of the kernel with the window under it.")
    widget_row(state, "ar_row", "ar_col")
    values = state.values()
    row = min(values["ar_row"], result.conv_out) - 1
    col = min(values["ar_col"], result.conv_out) - 1
    from PIL import Image

    image = np.asarray(Image.fromarray(test_digit(state)).resize((c.size, c.size)), dtype=float) / 255.0
    kernel = np.random.default_rng(0).integers(-2, 3, size=(c.kernel, c.kernel)).astype(float)
    one = cell(image, kernel, row, col, c.stride, *result.pad, c.dilation)
    chart(("cnn_cell", c, row, col), lambda: charts.cell_figure(image, one.rows, one.cols, one.output, row, col,
                                                                result.pad), "fig_cnn_cell")
    terms = " + ".join(f"{w:g}·{x:.2f}" for w, x in zip(one.kernel.ravel(), one.window.ravel(), strict=True)
                       if w != 0)
    st.markdown(f"Cell (row {row + 1}, column {col + 1}) reads input rows {one.rows[0]} to {one.rows[-1]} and "
                f"columns {one.cols[0]} to {one.cols[-1]} (step {c.dilation}; negative or past {c.size - 1} is "
                "padding, zero):")
    st.code(f"{terms or '0'} = {one.value:.4f}   F.conv2d gives {one.torch_value:.4f}", language=None)
    cols = st.columns(3)
    window = pd.DataFrame(one.window, index=pd.Index(one.rows, name="input row"), columns=[str(c) for c in one.cols])
    for where, name, frame in ((cols[0], "window (input rows and columns)", window),
                               (cols[1], "kernel", pd.DataFrame(one.kernel)),
                               (cols[2], "window × kernel", pd.DataFrame(one.products))):
        where.markdown(f"**{name}**")
        where.dataframe(frame.round(3), hide_index=frame is not window)


# Receptive field


def fields_section(state: PageState) -> None:
    config = cnn_config(state.values())
    try:
        boxes = engine.field_boxes(config)
    except ValueError as problem:
        st.warning(str(problem))
        return
    table = pd.DataFrame([{"after": name, "receptive field (pixels)": f"{size} × {size}", "layer side": n,
                           "centre unit looks at": f"rows {centre - (size - 1) / 2:g} to {centre + (size - 1) / 2:g}"}
                          for name, size, centre, n in boxes])
    digit = st.session_state.get("cnn_picked_image")
    digit = digit if digit is not None else test_digit(state)
    cols = st.columns([3, 2])
    shown = [(name, size, centre, centre) for name, size, centre, _ in boxes]
    chart(("cnn_fields", config, image_hash(digit)), lambda: charts.fields_figure(digit, shown), "fig_cnn_fields",
          cols[0])
    cols[1].dataframe(table, hide_index=True)
    cols[1].caption("r grows by (k − 1)·j at each layer, where j, the distance in input pixels between neighbouring "
                    "units, multiplies by each stride. Part of a field can lie in the padding, outside the image.")
    show_code(inspect.getsource(receptive_fields))


# CNN against dense

versus_progress = engine.versus_steps


def versus_controls(state: PageState) -> str | None:
    widget_row(state, "vs_hidden", "vs_steps", "vs_shift")
    values = state.values()
    config = versus_config(values)
    try:
        table = engine.model_table(config.cnn, config.hidden)
    except ValueError as problem:
        return str(problem)
    totals = table.groupby("model", sort=False)["parameters"].sum()
    st.caption(f"The CNN is the one chosen above ({config.cnn.layers} conv layers, {config.cnn.filters} filters first, "
               f"kernel {config.cnn.kernel}): {totals['CNN']:,} parameters. The dense network: "
               f"{totals['dense']:,}.")
    return None


def versus_live(rows: pd.DataFrame):
    return charts.runs_figure(rows, "model", "Test accuracy so far")


def versus_result(job: Job) -> None:
    result: engine.VersusResult = job.result
    say(result)
    if result.history.empty:
        return
    chart(result_key(job, "cnn_vs"), lambda: charts.runs_figure(result.history, "model", "Test accuracy"),
          "fig_cnn_vs")
    st.dataframe(result.scores.round(3), hide_index=True)
    st.caption(f"Shifted: every test image moved {result.config.shift} pixels right and down (the training digits "
               "are all centred). The dense network learned one weight per pixel, so a shift moves the digit onto "
               "weights that never saw it. The CNN's filters find the strokes wherever they are and pooling absorbs "
               "a pixel or so, but its last layer is dense too and ties each feature to a place: it is more "
               "tolerant of a shift, not immune to it. Global average pooling before the last layer would remove "
               "that tie.")
    show_code(result.code)


# Classic architectures


def classics_section() -> None:
    table = classic_table()
    chart("cnn_classics", lambda: charts.classic_figure(table), "fig_cnn_classics")
    st.dataframe(table, hide_index=True, column_config={
        name: st.column_config.NumberColumn(format="localized") for name in
        ("parameters", "in conv layers", "in dense layers")})
    show_code("\n\n".join(inspect.getsource(f) for f in (engine.vgg16, engine.resnet18)) +
              "\n\nwith torch.device('meta'):  # shapes only: no memory for VGG-16's 138 million weights\n"
              "    net = vgg16()\nprint(sum(p.numel() for p in net.parameters()))")


@st.cache_data(show_spinner=False)
def classic_table() -> pd.DataFrame:
    return engine.classic_table()


# Transfer learning

transfer_progress = engine.transfer_steps


def transfer_controls(state: PageState) -> str | None:
    widget_row(state, "tl_pre", "tl_shots", "tl_steps", "tl_fine_lr")
    return None


def transfer_live(rows: pd.DataFrame):
    return charts.runs_figure(rows, "run", "Test accuracy so far")


def transfer_result(job: Job) -> None:
    result: engine.TransferResult = job.result
    say(result)
    history = result.history
    new_task = history[history["run"] != engine.TRANSFER_RUNS["pretrain"]] if "run" in history else history
    if new_task.empty:  # stopped before the new task began: nothing to draw
        st.caption("The run stopped during pretraining on the digits 0-4, before the three ways began.")
        return
    chart(result_key(job, "cnn_tl"), lambda: charts.runs_figure(new_task, "run", "Test accuracy on the digits 5-9"),
          "fig_cnn_tl")
    st.dataframe(result.finals.round(3), hide_index=True)
    st.caption(f"The pretrained network scored {result.pretrain_accuracy:.1%} on the test digits 0-4. Feature "
               "extraction trains only the new head; fine-tuning trains everything from the pretrained weights; "
               "from scratch starts from random weights with the same few images.")
    show_code(result.code)


# Data augmentation

augment_progress = engine.augment_steps


def augment_controls(state: PageState) -> str | None:
    widget_row(state, "aug_size", "aug_steps")
    widget_row(state, "aug_shift", "aug_rot", "aug_noise")
    config = augment_config(state.values())
    chart(("cnn_aug_samples", config.shift, config.rotation, config.noise),
          lambda: charts.samples_figure(engine.augmentation_samples(config)), "fig_cnn_aug_samples")
    return None


def augment_live(rows: pd.DataFrame):
    return charts.runs_figure(rows, "run", "Test accuracy so far")


def augment_result(job: Job) -> None:
    result: engine.AugmentResult = job.result
    say(result)
    if result.history.empty:
        return
    chart(result_key(job, "cnn_aug"), lambda: charts.runs_figure(result.history, "run", "Test accuracy"),
          "fig_cnn_aug")
    st.dataframe(result.finals.round(3), hide_index=True)
    show_code(result.code)
